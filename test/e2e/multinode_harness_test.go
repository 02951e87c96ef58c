package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// The multi-node harness: a 3-member etcd cluster on loopback ports inside the test
// process, `ordinal server`s on the host, and `ordinal agent`s each in a network namespace
// of its own, joined by a bridge (the "LAN", a /24 of 198.19.0.0/16) that the test can cut a
// node off from and reconnect it to.

// etcdCluster is a multi-member etcd cluster on loopback ports.
type etcdCluster struct {
	endpoints []string
	members   []*embed.Etcd
}

// startEtcdCluster starts n members and waits until they serve; they stop when t ends.
func startEtcdCluster(t *testing.T, n int) *etcdCluster {
	t.Helper()
	type urls struct{ client, peer url.URL }
	var us []urls
	var initial []string
	for i := 0; i < n; i++ {
		u := urls{
			client: url.URL{Scheme: "http", Host: freeLoopbackAddr(t)},
			peer:   url.URL{Scheme: "http", Host: freeLoopbackAddr(t)},
		}
		us = append(us, u)
		initial = append(initial, fmt.Sprintf("m%d=%s", i, u.peer.String()))
	}
	c := &etcdCluster{}
	token := fmt.Sprintf("e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	for i, u := range us {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(t.TempDir(), cfg.Name)
		cfg.LogLevel = "error"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		cfg.TickMs, cfg.ElectionMs = 50, 500
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{u.client}, []url.URL{u.client}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{u.peer}, []url.URL{u.peer}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = token
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatalf("etcd member %s: %v", cfg.Name, err)
		}
		c.members = append(c.members, e)
		c.endpoints = append(c.endpoints, u.client.String())
	}
	t.Cleanup(func() {
		for _, e := range c.members {
			e.Close()
		}
	})
	for _, e := range c.members {
		select {
		case <-e.Server.ReadyNotify():
		case err := <-e.Err():
			t.Fatalf("etcd: %v", err)
		case <-time.After(60 * time.Second):
			t.Fatal("etcd cluster not ready within 60s")
		}
	}
	return c
}

// lanSeq numbers the LANs of one test process.
var lanSeq atomic.Int32

// lan is a switch: a bridge inside a namespace of its own (so that no nftables rules of the
// host, which br_netfilter applies to bridged frames, see the traffic between nodes), with a
// port for the host, where the servers listen, and one per node.
type lan struct {
	t      *testing.T
	name   string // the switch's namespace
	host   string // the host's end of its port
	prefix string // "198.19.N"
	nodes  int
}

func newLAN(t *testing.T) *lan {
	t.Helper()
	requireProcessRuntime(t)
	seq := lanSeq.Add(1)
	l := &lan{
		t:      t,
		name:   fmt.Sprintf("oel%dx%d", os.Getpid()%100000, seq),
		prefix: fmt.Sprintf("198.19.%d", (os.Getpid()*7+int(seq))%256),
	}
	l.host = l.name + "h"
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", l.host).Run()
		exec.Command("ip", "netns", "del", l.name).Run()
	})
	l.ip(
		[]string{"netns", "add", l.name},
		[]string{"-n", l.name, "link", "add", "name", "switch0", "type", "bridge"},
		[]string{"-n", l.name, "link", "set", "switch0", "up"},
		[]string{"link", "add", l.host, "type", "veth", "peer", "name", "host", "netns", l.name},
		[]string{"-n", l.name, "link", "set", "host", "master", "switch0"},
		[]string{"-n", l.name, "link", "set", "host", "up"},
		[]string{"link", "set", l.host, "up"},
	)
	return l
}

// ip runs ip commands, failing the test on the first error.
func (l *lan) ip(cmds ...[]string) {
	l.t.Helper()
	runIP(l.t, cmds...)
}

// serverIP gives the host another address on the LAN for server i (1, 2, ...): .1, .2, ...
func (l *lan) serverIP(i int) string {
	ip := fmt.Sprintf("%s.%d", l.prefix, i)
	out, err := exec.Command("ip", "addr", "add", ip+"/24", "dev", l.host).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "File exists") {
		l.t.Fatalf("ip addr add %s: %v: %s", ip, err, out)
	}
	return ip
}

// node is an agent's machine: a namespace on the LAN.
type node struct {
	*netns
	name    string
	dataDir string
	args    []string // of the agent
	proc    *exec.Cmd
	exited  chan struct{}
	log     *syncBuffer
}

// addNode plugs a new namespace into the LAN with address <prefix>.(100+k).
func (l *lan) addNode(name string) *node {
	t := l.t
	t.Helper()
	l.nodes++
	n := &node{name: name, dataDir: filepath.Join(t.TempDir(), name), log: &syncBuffer{}}
	n.netns = &netns{
		name:     fmt.Sprintf("%s-%s", l.name, name),
		nsIP:     fmt.Sprintf("%s.%d", l.prefix, 100+l.nodes),
		hostLink: fmt.Sprintf("port%d", l.nodes), // in the switch's namespace
	}
	t.Cleanup(func() {
		n.stop(t)
		exec.Command("ip", "netns", "del", n.netns.name).Run()
	})
	l.ip(
		[]string{"netns", "add", n.netns.name},
		[]string{"-n", n.netns.name, "link", "set", "lo", "up"},
		[]string{"-n", l.name, "link", "add", n.hostLink, "type", "veth", "peer", "name", "lan", "netns", n.netns.name},
		[]string{"-n", l.name, "link", "set", n.hostLink, "master", "switch0"},
		[]string{"-n", l.name, "link", "set", n.hostLink, "up"},
		[]string{"-n", n.netns.name, "addr", "add", n.nsIP + "/24", "dev", "lan"},
		[]string{"-n", n.netns.name, "link", "set", "lan", "up"},
	)
	return n
}

// cut takes the node off the LAN (its cable pulled); heal plugs it back.
func (l *lan) cut(n *node)  { l.ip([]string{"-n", l.name, "link", "set", n.hostLink, "down"}) }
func (l *lan) heal(n *node) { l.ip([]string{"-n", l.name, "link", "set", n.hostLink, "up"}) }

// startAgent runs `ordinal agent` in the node's namespace with the busybox image imported.
func (n *node) startAgent(t *testing.T, server, token, caHash string, extra ...string) {
	t.Helper()
	archive, err := busyboxArchive()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ordinalBinary, "image", "import", "--data-dir", n.dataDir, archive).CombinedOutput(); err != nil {
		t.Fatalf("image import: %v\n%s", err, out)
	}
	n.args = append([]string{ordinalBinary, "agent", "--server", server, "--token", token, "--ca-cert-hash", caHash,
		"--data-dir", n.dataDir, "--node-name", n.name, "--node-ip", n.nsIP, "--runtime=process"}, extra...)
	n.launch(t)
}

// launch starts the agent with the arguments of startAgent.
func (n *node) launch(t *testing.T) {
	t.Helper()
	cmd := n.netns.command(context.Background(), n.args...)
	cmd.Stdout, cmd.Stderr = n.log, n.log
	setDeathSignal(cmd)
	fmt.Fprintf(n.log, "--- %s\n", strings.Join(n.args, " "))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.proc, n.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(n.exited) }()
}

// kill ends the agent with SIGKILL: its containers stay behind, as after a crash.
func (n *node) kill() {
	if n.proc != nil {
		n.proc.Process.Kill()
		<-n.exited
		n.proc = nil
	}
}

// stop ends the agent (SIGTERM, then SIGKILL) and resets the node: no container may outlive
// the test.
func (n *node) stop(t *testing.T) {
	if n.proc != nil {
		n.proc.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.exited:
		case <-time.After(stopTimeout):
			n.proc.Process.Kill()
			<-n.exited
		}
		n.proc = nil
	}
	if t.Failed() {
		t.Logf("log of node %s:\n%s\nits network:\n%s", n.name, n.log.String(), n.diagnose())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := n.netns.command(ctx, ordinalBinary, "reset", "--data-dir", n.dataDir).CombinedOutput(); err != nil {
		t.Errorf("ordinal reset on %s: %v\n%s", n.name, err, out)
	}
}

// diagnose shows the node's addresses, routes and nftables rules.
func (n *node) diagnose() string {
	var b strings.Builder
	for _, argv := range [][]string{{"ip", "-br", "addr"}, {"ip", "route"}, {"nft", "list", "ruleset"}, {"sysctl", "net.ipv4.ip_forward"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, _ := n.netns.command(ctx, argv...).CombinedOutput()
		cancel()
		fmt.Fprintf(&b, "$ %s\n%s", strings.Join(argv, " "), out)
	}
	return b.String()
}

// server is one `ordinal server` process on the host.
type server struct {
	t       *testing.T
	addr    string
	dataDir string
	args    []string
	proc    *exec.Cmd
	exited  chan struct{}
	log     *syncBuffer
}

// startServer runs `ordinal server` on ip:6443 against the etcd cluster.
func startServer(t *testing.T, ip string, etcd *etcdCluster, extra ...string) *server {
	t.Helper()
	s := &server{t: t, addr: net.JoinHostPort(ip, "6443"), dataDir: filepath.Join(t.TempDir(), "server-"+ip), log: &syncBuffer{}}
	s.args = append([]string{"server", "--data-dir", s.dataDir, "--listen", s.addr,
		"--etcd-endpoints", strings.Join(etcd.endpoints, ","), "--ingress-http-addr", ""}, extra...)
	t.Cleanup(func() {
		s.kill(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("log of server %s:\n%s", s.addr, s.log.String())
		}
	})
	s.start()
	return s
}

func (s *server) start() {
	t := s.t
	t.Helper()
	cmd := exec.Command(ordinalBinary, s.args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	setDeathSignal(cmd)
	fmt.Fprintf(s.log, "--- ordinal %s\n", strings.Join(s.args, " "))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc, s.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := os.Stat(filepath.Join(s.dataDir, "kubeconfig")); err == nil {
			if out, err := exec.Command(kubectlBinary, "--kubeconfig", s.kubeconfig(), "get", "--raw", "/readyz").CombinedOutput(); err == nil {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("server %s not ready: %v %s\n%s", s.addr, err, out, s.log.String())
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("ordinal server exited: %s", s.log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s not ready within %v\n%s", s.addr, startTimeout, s.log.String())
		}
	}
}

// kill sends sig and waits for the exit.
func (s *server) kill(sig syscall.Signal) {
	if s.proc == nil {
		return
	}
	s.proc.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		s.proc.Process.Kill()
		<-s.exited
	}
	s.proc = nil
}

func (s *server) kubeconfig() string { return filepath.Join(s.dataDir, "kubeconfig") }

// kubectl is a kubectl for the server's admin kubeconfig.
func (s *server) kubectl(t *testing.T) *kubectl {
	return (&cluster{t: t, dataDir: s.dataDir}).kubectl(t)
}

// joinToken creates a bootstrap token and returns it with the CA hash, from the join
// command `ordinal token create --print-join-command` prints.
func (s *server) joinToken(t *testing.T) (token, caHash string) {
	t.Helper()
	out, err := exec.Command(ordinalBinary, "token", "create", "--kubeconfig", s.kubeconfig(), "--print-join-command").CombinedOutput()
	if err != nil {
		t.Fatalf("ordinal token create: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "--token":
			token = f[i+1]
		case "--ca-cert-hash":
			caHash = f[i+1]
		}
	}
	if token == "" || caHash == "" {
		t.Fatalf("no token or CA hash in the join command: %s", out)
	}
	return token, caHash
}

// nodesReady waits until n nodes are Ready.
func nodesReady(t *testing.T, k *kubectl, n int, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, func() string {
		if out := k.run("get", "nodes"); strings.Count(out, " Ready ") != n {
			return fmt.Sprintf("want %d nodes Ready:\n%s", n, out)
		}
		return ""
	})
}
