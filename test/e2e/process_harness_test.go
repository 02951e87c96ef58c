package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ordinal.dev/ordinal/internal/image/busybox"
	"ordinal.dev/ordinal/internal/runtime/process"
)

// withProcessRuntime runs the cluster with real containers (--runtime=process) inside a
// network namespace made for the test, so that its bridge, nftables tables, routes and the
// cluster DNS address on lo never touch the host's, and several such clusters can run at
// once. The namespace is joined to the host by a veth pair with a /30 of 198.18.0.0/16 (part
// of the range set aside for network tests); the apiserver, the ingress controller and NodePorts
// listen on the namespace's end, so kubectl and the test reach them from the host. The
// cluster starts with the busybox image imported.
func withProcessRuntime() clusterOption {
	return func(c *cluster) { c.process = true }
}

// netnsSeq numbers the namespaces of one test process.
var netnsSeq atomic.Int32

// netns is a network namespace of the test's, with a veth pair to the host.
type netns struct {
	name     string
	hostIP   string // the host's end of the veth pair
	nsIP     string // the namespace's end: the node's address
	hostLink string
}

// requireProcessRuntime skips t unless this machine can run real containers; in CI it fails
// instead, since CI installs everything they need.
func requireProcessRuntime(t *testing.T) {
	t.Helper()
	var err error
	switch {
	case runtime.GOOS != "linux":
		err = fmt.Errorf("real containers need Linux")
	case os.Geteuid() != 0:
		err = fmt.Errorf("real containers need root")
	default:
		err = process.Check(t.TempDir())
	}
	if err == nil {
		for _, tool := range []string{"ip", "nsenter", "curl"} {
			if _, lerr := exec.LookPath(tool); lerr != nil {
				err = fmt.Errorf("%s is not on PATH", tool)
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the process-runtime tests: %v", err)
		}
		t.Skipf("process runtime unavailable: %v", err)
	}
}

// newNetns makes a namespace with lo up and a veth pair to the host, removed when t ends.
func newNetns(t *testing.T) *netns {
	t.Helper()
	seq := netnsSeq.Add(1)
	// A /30 per namespace, spread by pid so that two test processes do not collide.
	idx := uint32(os.Getpid()*31+int(seq)*7919) % (1 << 14) // 198.18.0.0/16; the LANs use 198.19
	base := binary.BigEndian.Uint32(net.IPv4(198, 18, 0, 0).To4()) + idx*4
	ip := func(off uint32) string {
		b := make(net.IP, 4)
		binary.BigEndian.PutUint32(b, base+off)
		return b.String()
	}
	n := &netns{
		name:     fmt.Sprintf("ordinal-e2e-%d-%d", os.Getpid(), seq),
		hostIP:   ip(1),
		nsIP:     ip(2),
		hostLink: fmt.Sprintf("oe%dh%d", os.Getpid()%100000, seq),
	}
	nsLink := strings.TrimSuffix(n.hostLink, fmt.Sprintf("h%d", seq)) + fmt.Sprintf("n%d", seq)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	runIP(t,
		[]string{"netns", "add", n.name},
		[]string{"-n", n.name, "link", "set", "lo", "up"},
		[]string{"link", "add", n.hostLink, "type", "veth", "peer", "name", nsLink, "netns", n.name},
		[]string{"addr", "add", n.hostIP + "/30", "dev", n.hostLink},
		[]string{"link", "set", n.hostLink, "up"},
		[]string{"-n", n.name, "addr", "add", n.nsIP + "/30", "dev", nsLink},
		[]string{"-n", n.name, "link", "set", nsLink, "up"},
	)
	return n
}

// runIP runs ip commands, failing t on the first error.
func runIP(t *testing.T, cmds ...[]string) {
	t.Helper()
	for _, args := range cmds {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
}

// command is argv run inside the namespace. nsenter joins only the network namespace (ip
// netns exec would also remount /sys, hiding the cgroup hierarchies the runtime needs).
func (n *netns) command(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=/run/netns/" + n.name}, argv...)...)
}

// hostRun runs argv in the cluster's host network namespace (where the node lives) and
// returns its combined output; it fails t on a non-zero exit.
func (c *cluster) hostRun(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := c.hostTry(argv...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out
}

// hostTry is hostRun that returns the error instead of failing.
func (c *cluster) hostTry(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.netns.command(ctx, argv...).CombinedOutput()
	return string(out), err
}

// busyboxArchive is the busybox image archive of this test run, built once.
var busyboxArchive = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ordinal-e2e-images-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "busybox.tar")
	return path, busybox.WriteArchive(path, busybox.Binary, busybox.Ref)
})

// prepareProcess makes the namespace and imports busybox before the first launch.
func (c *cluster) prepareProcess() {
	t := c.t
	requireProcessRuntime(t)
	c.netns = newNetns(t)
	archive, err := busyboxArchive()
	if err != nil {
		t.Fatalf("building the busybox image: %v", err)
	}
	c.importImage(archive)
}

// importImage loads a docker-save archive into the cluster's image store.
func (c *cluster) importImage(archive string) {
	c.t.Helper()
	out, err := exec.Command(ordinalBinary, "image", "import", "--data-dir", c.dataDir, archive).CombinedOutput()
	if err != nil {
		c.t.Fatalf("ordinal image import %s: %v\n%s", archive, err, out)
	}
}

// resetProcess removes the cluster's containers and host state once ordinal has stopped
// (stopping leaves pods running on purpose) and checks that nothing is left behind.
func (c *cluster) resetProcess() {
	t := c.t
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.netns.command(ctx, ordinalBinary, "reset", "--data-dir", c.dataDir).CombinedOutput(); err != nil {
		t.Errorf("ordinal reset --data-dir %s: %v\n%s", c.dataDir, err, out)
	}
	out, err := exec.Command("runc", "--root", filepath.Join(c.dataDir, "runc"), "list", "-q").Output()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("containers left after ordinal reset: %s (%v)", out, err)
	}
	if m := mountsBelow(c.dataDir); len(m) > 0 {
		t.Errorf("mounts left after ordinal reset: %s", strings.Join(m, ", "))
	}
}

// mountsBelow lists the mount points under dir.
func mountsBelow(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}
