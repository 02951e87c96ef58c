package streaming_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// cluster is a control plane with one simulated node whose agent runs the streaming
// server, registered with streaming.Local as `ordinal up` would.
type cluster struct {
	t          *testing.T
	client     kubernetes.Interface
	kubeconfig string
	node       string
	rt         *sim.Runtime
}

func startCluster(t *testing.T, node string) *cluster {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	rt := sim.New(sim.Options{})
	m := agent.SimMachine(node, 1)
	a, err := agent.New(agent.Config{
		NodeName: node, Client: client, Runtime: rt, Machine: &m,
		RelistPeriod: 50 * time.Millisecond, BackOff: 200 * time.Millisecond, MaxBackOff: 2 * time.Second,
		NodeStatusUpdateFrequency: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := streaming.NewServer(streaming.Config{NodeName: node, Client: client, Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Streaming.Register(srv))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &cluster{t: t, client: client, kubeconfig: cp.Kubeconfig, node: node, rt: rt}
}

// eventually polls cond until it holds or the deadline passes; cond explains what it saw.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
}

// createPod creates a pod bound to the node and waits until it runs and is ready.
func (c *cluster) createPod(pod *corev1.Pod) *corev1.Pod {
	c.t.Helper()
	if pod.Namespace == "" {
		pod.Namespace = "default"
	}
	pod.Spec.NodeName = c.node
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		c.t.Fatalf("creating pod %s: %v", pod.Name, err)
	}
	return c.waitPod(pod.Namespace, pod.Name, "running and ready", func(p *corev1.Pod) bool {
		if p.Status.Phase != corev1.PodRunning {
			return false
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady {
				return cond.Status == corev1.ConditionTrue
			}
		}
		return false
	})
}

func (c *cluster) waitPod(ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	c.t.Helper()
	var pod *corev1.Pod
	eventually(c.t, 30*time.Second, "pod "+name+" "+what, func() (bool, string) {
		p, err := c.client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		pod = p
		return cond(p), fmt.Sprintf("phase %s, statuses %+v", p.Status.Phase, p.Status.ContainerStatuses)
	})
	return pod
}

func simplePod(name string, containers ...string) *corev1.Pod {
	if len(containers) == 0 {
		containers = []string{name}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name: c, Image: "busybox", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}},
		})
	}
	return pod
}

// kubectl runs the real kubectl against the cluster.
type kubectl struct {
	c        *cluster
	cacheDir string
	env      []string
}

func (c *cluster) kubectl(env ...string) *kubectl {
	c.t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		if os.Getenv("CI") != "" {
			c.t.Fatal("kubectl is not on PATH and CI is set")
		}
		c.t.Skip("kubectl is not on PATH (install the Debian package kubectl)")
	}
	return &kubectl{c: c, cacheDir: c.t.TempDir(), env: env}
}

type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("kubectl %s (exit %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

func (k *kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--cache-dir=" + k.cacheDir}, args...)...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+k.c.kubeconfig), k.env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// exec runs kubectl with stdin to its end and returns what happened.
func (k *kubectl) exec(stdin string, args ...string) result {
	k.c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		k.c.t.Fatalf("no answer within a minute: %s", r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		k.c.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// run runs a kubectl command that must succeed and returns its stdout.
func (k *kubectl) run(stdin string, args ...string) string {
	k.c.t.Helper()
	r := k.exec(stdin, args...)
	if r.code != 0 {
		k.c.t.Fatalf("command failed: %s", r)
	}
	return r.stdout
}

// background is a long-running kubectl (logs -f, port-forward) whose stdout lines the
// test reads as they come.
type background struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	lines  chan string
	stderr *syncBuffer
	done   chan struct{}
}

func (k *kubectl) start(args ...string) *background {
	k.c.t.Helper()
	return k.startStdin("", args...)
}

// startStdin starts kubectl with stdin, which ends after the given text.
func (k *kubectl) startStdin(stdin string, args ...string) *background {
	k.c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		k.c.t.Fatal(err)
	}
	b := &background{t: k.c.t, cmd: cmd, cancel: cancel, lines: make(chan string, 100), stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		k.c.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
		close(b.lines)
	}()
	go func() { cmd.Wait(); close(b.done) }()
	k.c.t.Cleanup(b.stop)
	return b
}

// next returns the next line of output, failing the test after timeout.
func (b *background) next(timeout time.Duration) string {
	b.t.Helper()
	select {
	case line, ok := <-b.lines:
		if !ok {
			b.t.Fatalf("kubectl %v ended; stderr: %s", b.cmd.Args, b.stderr.String())
		}
		return line
	case <-time.After(timeout):
		b.t.Fatalf("no output from kubectl %v within %v; stderr: %s", b.cmd.Args, timeout, b.stderr.String())
	}
	return ""
}

// wait waits for kubectl to exit by itself and returns its exit code.
func (b *background) wait(timeout time.Duration) int {
	b.t.Helper()
	select {
	case <-b.done:
		return b.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		b.t.Fatalf("kubectl %v still runs after %v; stderr: %s", b.cmd.Args, timeout, b.stderr.String())
	}
	return -1
}

func (b *background) stop() {
	b.cancel()
	<-b.done
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)
