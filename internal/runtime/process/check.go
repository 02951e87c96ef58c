package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// requiredPlugins are the CNI plugins the runtime uses.
var requiredPlugins = []string{"bridge", "host-local", "portmap"}

// Check says whether this host can run the process runtime with its state in dataDir. The
// error lists everything missing, each with the command that fixes it, and ends with the
// way out: --runtime=sim.
func Check(dataDir string) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	root := os.Geteuid() == 0
	if !root {
		add("not running as root: containers need root (run ordinal with sudo)")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		add("runc is not installed: apt-get install runc")
	}
	if fs, err := os.ReadFile("/proc/filesystems"); err != nil || !bytes.Contains(fs, []byte("\toverlay\n")) {
		add("the kernel has no overlay filesystem: modprobe overlay")
	}
	var missing []string
	for _, p := range requiredPlugins {
		if !isExecutable(filepath.Join(DefaultCNIPluginDir, p)) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		add("CNI plugins missing from %s (%s): apt-get install containernetworking-plugins", DefaultCNIPluginDir, strings.Join(missing, ", "))
	}
	if cs := detectCgroups(); !cs.v2 && cs.memory == "" {
		add("no cgroup v2 hierarchy at %s and no v1 memory controller: mount cgroup2 there (mount -t cgroup2 none %s)", cgroupRoot, cgroupRoot)
	}
	if _, err := exec.LookPath("nft"); err != nil {
		add("nft is not installed: apt-get install nftables")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		add("iptables is not installed (the portmap CNI plugin needs it for hostPort): apt-get install iptables")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		add("ip is not installed: apt-get install iproute2")
	}
	if root && len(problems) == 0 {
		if err := checkOverlayIn(dataDir); err != nil {
			add("%v", err)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the process runtime cannot run pods on this host:\n  - %s\nFix the above, or run with --runtime=sim to simulate pods instead", strings.Join(problems, "\n  - "))
}

// checkOverlayIn mounts a small overlay in the data dir: its filesystem must accept
// overlayfs upper directories (a data dir on overlayfs itself, as in a container, does not).
func checkOverlayIn(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o711); err != nil {
		return fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	dir, err := os.MkdirTemp(dataDir, ".overlay-check-")
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	defer os.RemoveAll(dir)
	lower := filepath.Join(dir, "lower")
	if err := os.MkdirAll(lower, 0o755); err != nil {
		return err
	}
	target := filepath.Join(dir, "merged")
	if err := mountOverlay([]string{lower}, filepath.Join(dir, "upper"), filepath.Join(dir, "work"), target); err != nil {
		return fmt.Errorf("overlayfs does not work in the data directory %s (%v): put --data-dir on a local ext4 or xfs filesystem", dataDir, errors.Unwrap(err))
	}
	return unix.Unmount(target, unix.MNT_DETACH)
}
