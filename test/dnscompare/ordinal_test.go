package dnscompare

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	// startTimeout bounds `ordinal up` from exec to a 200 on /readyz.
	startTimeout = 60 * time.Second
	// stopTimeout bounds the exit after SIGTERM.
	stopTimeout = 30 * time.Second
)

// ordinal is one `ordinal up --runtime=sim` process with its own data dir and ports.
type ordinal struct {
	dataDir string
	apiAddr string // 127.0.0.1:port of the apiserver
	dnsAddr string // 127.0.0.1:port of the cluster DNS server (UDP and TCP)
	proc    *exec.Cmd
	exited  chan struct{}
	log     *syncBuffer
	client  kubernetes.Interface
}

// startOrdinal runs `ordinal up` with two extra simulated nodes, its DNS server on a free
// loopback port and no ingress controller, waits for /readyz, and stops it when the test
// ends.
func startOrdinal(t *testing.T) *ordinal {
	t.Helper()
	o := &ordinal{dataDir: filepath.Join(t.TempDir(), "data"), log: &syncBuffer{}}
	t.Cleanup(func() {
		o.stop(t)
		if t.Failed() {
			t.Logf("output of ordinal up:\n%s", o.log.String())
		}
	})
	// A free port can be taken by someone else between choosing and binding it: retry then.
	for attempt := 1; ; attempt++ {
		o.apiAddr, o.dnsAddr = freeTCPAddr(t), freeDNSAddr(t)
		err := o.launch()
		if err == nil {
			break
		}
		if attempt < 3 && strings.Contains(o.log.String(), "address already in use") {
			continue
		}
		t.Fatalf("ordinal up --listen %s --dns-listen %s: %v\n%s", o.apiAddr, o.dnsAddr, err, o.log.String())
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig())
	if err != nil {
		t.Fatalf("reading %s: %v", o.kubeconfig(), err)
	}
	cfg.QPS, cfg.Burst = -1, 0 // unthrottled: the test creates a few hundred objects
	o.client = kubernetes.NewForConfigOrDie(cfg)
	return o
}

func (o *ordinal) kubeconfig() string { return filepath.Join(o.dataDir, "kubeconfig") }

// launch starts `ordinal up` and waits until it is ready or has exited.
func (o *ordinal) launch() error {
	cmd := exec.Command(ordinalBinary, "up", "--runtime=sim", "--sim-nodes=2",
		"--data-dir", o.dataDir, "--listen", o.apiAddr, "--dns-listen", o.dnsAddr,
		"--ingress-http-addr", "", "--ingress-https-addr", "")
	cmd.Stdout, cmd.Stderr = o.log, o.log
	cmd.WaitDelay = 5 * time.Second
	setDeathSignal(cmd)
	fmt.Fprintf(o.log, "--- %s\n", strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready: %v", cmd.ProcessState)
		default:
		}
		if o.ready() {
			o.proc, o.exited = cmd, exited
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("/readyz did not answer 200 within %v", startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether /readyz answers 200 with the admin kubeconfig's credentials.
func (o *ordinal) ready() bool {
	if _, err := os.Stat(o.kubeconfig()); err != nil {
		return false
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig())
	if err != nil {
		return false
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var code int
	c.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code)
	return code == 200
}

// stop sends SIGTERM and expects a clean exit.
func (o *ordinal) stop(t *testing.T) {
	if o.proc == nil {
		return
	}
	select {
	case <-o.exited:
		return
	default:
	}
	o.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.exited:
		if code := o.proc.ProcessState.ExitCode(); code != 0 {
			t.Errorf("ordinal up exited with status %d after SIGTERM, want 0", code)
		}
	case <-time.After(stopTimeout):
		o.proc.Process.Kill()
		<-o.exited
		t.Errorf("ordinal up did not exit within %v of SIGTERM", stopTimeout)
	}
}

// freeTCPAddr is a loopback address with a port that was free a moment ago.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// freeDNSAddr is a loopback address whose port was free for both UDP and TCP a moment ago.
func freeDNSAddr(t *testing.T) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		pc.Close()
		if err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no loopback port free for both UDP and TCP in 20 tries")
	return ""
}

// syncBuffer is a bytes.Buffer safe for writer goroutines and a reading test.
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
