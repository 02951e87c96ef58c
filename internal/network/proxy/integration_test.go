package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// serveEnv makes the test binary a tiny TCP server (run inside the test's namespace).
const serveEnv = "ORDINAL_PROXY_TEST_SERVE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		serve(addr)
		return
	}
	os.Exit(m.Run())
}

// serve greets every connection with "hello from <addr>" and closes it.
func serve(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		fmt.Fprintf(c, "hello from %s\n", addr)
		c.Close()
	}
}

// needRoot skips without root, except in CI where a missing privilege must fail loudly.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("nft"); err != nil {
			t.Fatalf("nft not found: %v", err)
		}
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test needs root (network namespaces and nftables)")
	}
	t.Skip("needs root")
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestClusterIPFromHost puts a server in a namespace of the test's own behind a veth pair
// (10.42.250.0/30), gives the proxy a Service at 10.43.250.5:80 with that server as its
// endpoint, and checks that the host reaches it through the cluster IP; a second service
// without endpoints must be refused, and the table must go when Run ends.
func TestClusterIPFromHost(t *testing.T) {
	needRoot(t)
	const (
		hostIP, podIP = "10.42.250.1", "10.42.250.2"
		clusterIP     = "10.43.250.5"
		emptyIP       = "10.43.250.6"
	)
	id := os.Getpid() % 100000
	ns, hostIf, podIf := fmt.Sprintf("ordpx-%d", id), fmt.Sprintf("ordpxh%d", id), fmt.Sprintf("ordpxp%d", id)
	table := fmt.Sprintf("ordinal-proxy-test-%d", id)

	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", podIf)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostIf).Run() })
	run(t, "ip", "link", "set", podIf, "netns", ns)
	run(t, "ip", "addr", "add", hostIP+"/30", "dev", hostIf)
	run(t, "ip", "link", "set", hostIf, "up")
	run(t, "ip", "-n", ns, "addr", "add", podIP+"/30", "dev", podIf)
	run(t, "ip", "-n", ns, "link", "set", podIf, "up")
	run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	// The node routes the service CIDR nowhere (unreachable); connect() needs a route to
	// the cluster IP before the output hook can rewrite it.
	for _, ip := range []string{clusterIP, emptyIP} {
		run(t, "ip", "route", "replace", ip+"/32", "dev", hostIf)
	}

	srv := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$")
	srv.Env = append(os.Environ(), serveEnv+"="+podIP+":8080")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	if got := poll(t, podIP+":8080", 10*time.Second); !strings.HasPrefix(got, "hello") {
		t.Fatalf("direct connection to the server: %q", got)
	}

	client := fake.NewSimpleClientset(
		&v1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP},
				Ports: []v1.ServicePort{{Name: "http", Protocol: v1.ProtocolTCP, Port: 80}}},
		},
		&v1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "empty"},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeClusterIP, ClusterIP: emptyIP, ClusterIPs: []string{emptyIP},
				Ports: []v1.ServicePort{{Name: "http", Protocol: v1.ProtocolTCP, Port: 80}}},
		},
	)
	factory := informers.NewSharedInformerFactory(client, 0)
	p, err := New(client, factory, Options{NodeName: "test", Table: table})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	// No slice yet: the service has no endpoints and is refused.
	waitRefused(t, emptyIP+":80")
	waitRefused(t, clusterIP+":80")

	// The endpoint appears: traffic to the cluster IP reaches the server.
	s := slice("web-abc", "web", []slicePort{{"http", v1.ProtocolTCP, 8080}}, ep(podIP))
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := poll(t, clusterIP+":80", 10*time.Second); got != "hello from "+podIP+":8080\n" {
		t.Fatalf("through the cluster IP: %q", got)
	}

	// The endpoint turns not ready: refused again.
	s.Endpoints[0].Conditions.Ready = new(bool)
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, clusterIP+":80")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if out, err := exec.Command("nft", "list", "table", "ip", table).CombinedOutput(); err == nil {
		t.Fatalf("table %s still there after shutdown:\n%s", table, out)
	}
}

// poll connects until the server answers or the deadline passes, and returns the answer.
func poll(t *testing.T, addr string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			b, err := io.ReadAll(c)
			c.Close()
			if err == nil && len(b) > 0 {
				return string(b)
			}
			last = err
		} else {
			last = err
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no answer from %s within %v: %v", addr, within, last)
	return ""
}

// waitRefused polls until a connection to addr is refused (the reject rule answered).
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		} else if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s was not refused within 10s: %v", addr, last)
}
