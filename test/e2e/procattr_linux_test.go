package e2e

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill a started server if the test binary dies (a
// `go test -timeout` panic, say), so no ordinal outlives its test.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
