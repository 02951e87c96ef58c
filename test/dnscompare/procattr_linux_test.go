package dnscompare

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill the started ordinal if the test binary dies (a
// `go test -timeout` panic, say), so that no cluster outlives its test.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
