package proxybench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Addresses of the topology (see the package comment). They are inside the run's own
// namespaces, so they cannot clash with a cluster on the host.
const (
	nodeToA, podA = "10.42.251.1", "10.42.251.2"
	nodeToB, podB = "10.42.251.5", "10.42.251.6"
	serviceCIDR   = "10.43.0.0/16"
)

// topology is the run's namespaces: node, pod a and pod b.
type topology struct {
	node, a, b string // names under /run/netns
}

// newTopology creates the namespaces, named after the process id, and wires them. On error
// whatever was made is removed.
func newTopology() (_ *topology, err error) {
	id := os.Getpid()
	t := &topology{
		node: fmt.Sprintf("ordpb-%d-node", id),
		a:    fmt.Sprintf("ordpb-%d-a", id),
		b:    fmt.Sprintf("ordpb-%d-b", id),
	}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	steps := [][]string{
		{"ip", "netns", "add", t.node},
		{"ip", "netns", "add", t.a},
		{"ip", "netns", "add", t.b},
		{"ip", "-n", t.node, "link", "set", "lo", "up"},
	}
	for _, p := range []struct{ ns, nodeIf, nodeIP, podIP string }{{t.a, "va", nodeToA, podA}, {t.b, "vb", nodeToB, podB}} {
		steps = append(steps,
			[]string{"ip", "-n", t.node, "link", "add", p.nodeIf, "type", "veth", "peer", "name", "eth0", "netns", p.ns},
			[]string{"ip", "-n", t.node, "addr", "add", p.nodeIP + "/30", "dev", p.nodeIf},
			[]string{"ip", "-n", t.node, "link", "set", p.nodeIf, "up"},
			[]string{"ip", "-n", p.ns, "link", "set", "lo", "up"},
			[]string{"ip", "-n", p.ns, "addr", "add", p.podIP + "/30", "dev", "eth0"},
			[]string{"ip", "-n", p.ns, "link", "set", "eth0", "up"},
			[]string{"ip", "-n", p.ns, "route", "add", "default", "via", p.nodeIP},
		)
	}
	steps = append(steps,
		// connect() needs a route to a cluster IP before nat-output can rewrite it; which
		// interface does not matter, the packet is routed again after DNAT.
		[]string{"ip", "-n", t.node, "route", "add", serviceCIDR, "dev", "va"},
		// Clients open tens of thousands of connections a second: use the whole port range
		// and reuse ports in TIME_WAIT (both settings are the node namespace's own).
		[]string{"ip", "netns", "exec", t.node, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000", "net.ipv4.tcp_tw_reuse=1"},
	)
	for _, s := range steps {
		if err := command(s...); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// shortConntrack makes closed connections leave the node namespace's conntrack table after
// a second instead of two minutes, so that the connection-rate runs do not fill it. It needs
// the nf_conntrack module, which the proxy's nat table loads.
func (t *topology) shortConntrack() error {
	return command("ip", "netns", "exec", t.node, "sysctl", "-qw",
		"net.netfilter.nf_conntrack_tcp_timeout_time_wait=1", "net.netfilter.nf_conntrack_tcp_timeout_close_wait=1",
		"net.netfilter.nf_conntrack_tcp_timeout_fin_wait=1", "net.netfilter.nf_conntrack_tcp_timeout_last_ack=1")
}

// close deletes the namespaces; their veths, routes and nftables tables go with them.
func (t *topology) close() error {
	var errs []error
	for _, ns := range []string{t.node, t.a, t.b} {
		if _, err := os.Stat("/run/netns/" + ns); err != nil {
			continue
		}
		errs = append(errs, command("ip", "netns", "del", ns))
	}
	return errors.Join(errs...)
}

// inNetns runs fn on a goroutine locked to a thread that has entered the namespace, and
// returns fn's error once it is done. The thread is never unlocked, so it ends with the
// goroutine and no other code ever runs in the namespace by accident.
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := enter(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// goNetns is inNetns without waiting: fn runs in the background, its error on the channel.
func goNetns(ns string, fn func() error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- inNetns(ns, fn) }()
	return errc
}

func enter(ns string) error {
	fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", ns, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("entering network namespace %s: %w", ns, err)
	}
	return nil
}

func command(args ...string) error {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
