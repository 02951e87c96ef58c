package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds `ordinal up` from exec to a 200 on /readyz.
	startTimeout = 60 * time.Second
	// stopTimeout bounds the exit after SIGTERM.
	stopTimeout = 30 * time.Second
)

// cluster is one `ordinal up` process with its own data dir and loopback port.
type cluster struct {
	t       *testing.T
	dataDir string
	addr    string // 127.0.0.1:port
	env     []string

	proc   *exec.Cmd
	exited chan struct{} // closed when proc has exited
	stdout *syncBuffer   // of the current run
	stderr *syncBuffer   // of the current run
	log    *syncBuffer   // of every run, for failure reports

	client *http.Client // trusts the cluster's CA; made once the CA exists

	process bool   // real containers in a network namespace of the test's (withProcessRuntime)
	netns   *netns // that namespace
}

// clusterOption changes how `ordinal up` is started.
type clusterOption func(*cluster)

// withEnv adds KEY=VALUE pairs to the environment of `ordinal up`.
func withEnv(kv ...string) clusterOption {
	return func(c *cluster) { c.env = append(c.env, kv...) }
}

// startCluster runs `ordinal up` on a fresh data dir and a free loopback port, waits until
// /readyz answers 200, and stops the server when the test ends.
func startCluster(t *testing.T, opts ...clusterOption) *cluster {
	t.Helper()
	c := &cluster{t: t, dataDir: filepath.Join(t.TempDir(), "data"), log: &syncBuffer{}}
	for _, o := range opts {
		o(c)
	}
	if c.process {
		// Before c.cleanup is registered, so that the namespace goes after the cluster.
		c.prepareProcess()
	}
	t.Cleanup(c.cleanup)
	// The free port can be taken by someone else (another test's etcd, say) between
	// choosing it and binding it; pick another one then.
	for attempt := 1; ; attempt++ {
		if c.process {
			c.addr = net.JoinHostPort(c.netns.nsIP, "6443") // the namespace's own ports
		} else {
			c.addr = freeLoopbackAddr(t)
		}
		err := c.launch()
		if err == nil {
			return c
		}
		if attempt < 3 && strings.Contains(c.stderr.String(), "address already in use") {
			continue
		}
		t.Fatalf("ordinal up --data-dir %s --listen %s: %v\n%s", c.dataDir, c.addr, err, c.log.String())
	}
}

// launch starts `ordinal up` and waits until it is ready or has exited.
func (c *cluster) launch() error {
	c.stdout, c.stderr = &syncBuffer{}, &syncBuffer{}
	// Several clusters run side by side: the ingress controller takes ports of its own.
	cmd := exec.Command(ordinalBinary, "up", "--data-dir", c.dataDir, "--listen", c.addr,
		"--ingress-http-addr", "127.0.0.1:0", "--ingress-https-addr", "127.0.0.1:0", "--runtime=sim")
	if c.process {
		cmd = c.netns.command(context.Background(), ordinalBinary, "up", "--data-dir", c.dataDir, "--listen", c.addr,
			"--ingress-http-addr", ":8080", "--ingress-https-addr", ":8443", "--runtime=process")
	}
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout = io.MultiWriter(c.stdout, c.log)
	cmd.Stderr = io.MultiWriter(c.stderr, c.log)
	cmd.WaitDelay = 5 * time.Second
	setDeathSignal(cmd)
	fmt.Fprintf(c.log, "--- ordinal up --data-dir %s --listen %s\n", c.dataDir, c.addr)
	if err := cmd.Start(); err != nil {
		return err
	}
	c.proc, c.exited = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		close(c.exited)
	}()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("exited before it was ready: %v", c.proc.ProcessState)
		default:
		}
		if c.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			c.signal(syscall.SIGKILL)
			<-c.exited
			return fmt.Errorf("/readyz did not answer 200 within %v", startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready reports whether /readyz answers 200 over TLS verified with the cluster's CA.
func (c *cluster) ready() bool {
	if _, err := os.Stat(filepath.Join(c.dataDir, "pki", "ca.crt")); err != nil {
		return false
	}
	client, err := c.httpClient()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url("/readyz"), nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (c *cluster) running() bool {
	if c.exited == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

func (c *cluster) signal(sig syscall.Signal) {
	if c.running() {
		c.proc.Process.Signal(sig)
	}
}

// stop sends SIGTERM, as Ctrl-C or systemd would, and expects a clean exit (status 0).
func (c *cluster) stop() {
	c.t.Helper()
	if !c.running() {
		return
	}
	c.signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		c.signal(syscall.SIGKILL)
		<-c.exited
		c.t.Errorf("ordinal up did not exit within %v of SIGTERM", stopTimeout)
		return
	}
	if code := c.proc.ProcessState.ExitCode(); code != 0 {
		c.t.Errorf("ordinal up exited with status %d after SIGTERM, want 0\nstderr:\n%s", code, c.stderr.String())
	}
}

// kill ends the server with SIGKILL: no shutdown code runs.
func (c *cluster) kill() {
	c.t.Helper()
	c.signal(syscall.SIGKILL)
	if c.exited != nil {
		<-c.exited
	}
}

// restart starts `ordinal up` again on the same data dir and port.
func (c *cluster) restart() {
	c.t.Helper()
	if c.running() {
		c.t.Fatal("restart: the server is still running; stop or kill it first")
	}
	if err := c.launch(); err != nil {
		c.t.Fatalf("restarting ordinal up on %s: %v\n%s", c.dataDir, err, c.log.String())
	}
}

func (c *cluster) cleanup() {
	if c.running() {
		c.stop()
	}
	if c.client != nil {
		c.client.CloseIdleConnections()
	}
	if c.process {
		c.resetProcess()
	}
	if c.t.Failed() {
		c.t.Logf("output of ordinal up:\n%s", c.log.String())
	}
}

func (c *cluster) kubeconfig() string { return filepath.Join(c.dataDir, "kubeconfig") }

func (c *cluster) url(path string) string { return "https://" + c.addr + path }

// token is the admin bearer token from the data dir.
func (c *cluster) token() string {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dataDir, "pki", "admin.token"))
	if err != nil {
		c.t.Fatalf("reading the admin token: %v", err)
	}
	return strings.TrimSpace(string(data))
}

// httpClient trusts the cluster's CA (DIR/pki/ca.crt) and nothing else. The CA stays the
// same across restarts, so one client serves the whole test.
func (c *cluster) httpClient() (*http.Client, error) {
	if c.client != nil {
		return c.client, nil
	}
	pem, err := os.ReadFile(filepath.Join(c.dataDir, "pki", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no certificate in pki/ca.crt")
	}
	c.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return c.client, nil
}

// request sends one HTTP request with the given bearer token ("" for none) and returns the
// status code and body.
func (c *cluster) request(method, path, token string, body string) (int, string) {
	c.t.Helper()
	client, err := c.httpClient()
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, string(data)
}

// freeLoopbackAddr returns 127.0.0.1:port for a port nobody listens on right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reading test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
