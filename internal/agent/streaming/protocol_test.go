package streaming_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	apimachineryremotecommand "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	utilexec "k8s.io/client-go/util/exec"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// The protocols with client-go's own clients (those kubectl uses) against a server over a
// sim runtime and a fake API: no control plane.

type node struct {
	t   *testing.T
	url string
	rt  *sim.Runtime
	pod *corev1.Pod
	id  string
}

// newNode runs a streaming server for node "n" with one running pod p (container c, with
// stdin and stdinOnce as given) and, when waiting is set, a pod "w" whose container waits.
func newNode(t *testing.T, stdinOnce bool) *node {
	t.Helper()
	ctx := context.Background()
	rt := sim.New(sim.Options{})
	if err := rt.UpdatePodCIDR(ctx, "10.42.0.0/24"); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", UID: "uid-p"},
		Spec: corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{
			{Name: "c", Image: "busybox", Stdin: true, StdinOnce: stdinOnce},
		}},
	}
	if err := rt.RunPodSandbox(ctx, &runtime.SandboxConfig{Pod: pod}); err != nil {
		t.Fatal(err)
	}
	id, err := rt.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "c", ContainerID: "sim://" + id, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
	}}}
	waiting := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "default", UID: "uid-w"},
		Spec:       corev1.PodSpec{NodeName: "n", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
		}}},
	}
	srv, err := streaming.NewServer(streaming.Config{NodeName: "n", Client: fake.NewClientset(pod, waiting), Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &node{t: t, url: ts.URL, rt: rt, pod: pod, id: id}
}

func (n *node) containerState() runtime.ContainerStatus {
	st, err := n.rt.PodStatus(context.Background(), n.pod.UID)
	if err != nil {
		n.t.Fatal(err)
	}
	for _, c := range st.Containers {
		if c.ID == n.id {
			return c
		}
	}
	n.t.Fatal("container gone")
	return runtime.ContainerStatus{}
}

// executor builds a client-go executor for one protocol.
type executor struct {
	name string
	new  func(n *node, u string) (remotecommand.Executor, error)
	// statusInText: v2 and v3 report failures as text, without the exit code.
	statusInText bool
}

func spdyExecutor(protocols ...string) func(*node, string) (remotecommand.Executor, error) {
	return func(n *node, u string) (remotecommand.Executor, error) {
		tr, up, err := spdy.RoundTripperFor(&rest.Config{Host: n.url})
		if err != nil {
			return nil, err
		}
		parsed, _ := url.Parse(u)
		return remotecommand.NewSPDYExecutorForProtocols(tr, up, "POST", parsed, protocols...)
	}
}

var executors = []executor{
	{name: "websocket v5", new: func(n *node, u string) (remotecommand.Executor, error) {
		return remotecommand.NewWebSocketExecutor(&rest.Config{Host: n.url}, "GET", u)
	}},
	{name: "spdy v5", new: spdyExecutor(apimachineryremotecommand.StreamProtocolV5Name)},
	{name: "spdy v4", new: spdyExecutor(apimachineryremotecommand.StreamProtocolV4Name)},
	{name: "spdy v3", new: spdyExecutor(apimachineryremotecommand.StreamProtocolV3Name), statusInText: true},
	{name: "spdy v2", new: spdyExecutor(apimachineryremotecommand.StreamProtocolV2Name), statusInText: true},
}

func execURL(n *node, kind string, q url.Values) string {
	return n.url + "/" + kind + "/default/p/uid-p/c?" + q.Encode()
}

func stream(t *testing.T, ex remotecommand.Executor, opts remotecommand.StreamOptions) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := ex.StreamWithContext(ctx, opts)
	if ctx.Err() != nil {
		t.Fatalf("the session did not end: %v", err)
	}
	return err
}

func TestExecOverEveryProtocol(t *testing.T) {
	n := newNode(t, false)
	for _, e := range executors {
		t.Run(e.name, func(t *testing.T) {
			q := url.Values{"command": {"sh", "-c", "echo out; echo err >&2; exit 3"}, "stdout": {"true"}, "stderr": {"true"}}
			ex, err := e.new(n, execURL(n, "exec", q))
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err = stream(t, ex, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
			if stdout.String() != "out\n" || stderr.String() != "err\n" {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
			var exit utilexec.CodeExitError
			switch {
			case e.statusInText:
				if err == nil || !strings.Contains(err.Error(), "exit status 3") {
					t.Errorf("error %v, want one naming exit status 3", err)
				}
			case !errors.As(err, &exit) || exit.Code != 3:
				t.Errorf("error %v, want exit code 3", err)
			}

			// stdin to its end, then success.
			q = url.Values{"command": {"cat"}, "stdin": {"true"}, "stdout": {"true"}}
			ex, _ = e.new(n, execURL(n, "exec", q))
			stdout.Reset()
			if err := stream(t, ex, remotecommand.StreamOptions{Stdin: strings.NewReader("a\nb\n"), Stdout: &stdout}); err != nil || stdout.String() != "a\nb\n" {
				t.Errorf("cat: %q, %v", stdout.String(), err)
			}
		})
	}
}

// noSizes is a TerminalSizeQueue of a terminal whose size is not known: a size sent
// after a short command ended would race with the end of the session (readResizes has
// its own test).
type noSizes struct{}

func (noSizes) Next() *remotecommand.TerminalSize { return nil }

func TestExecWithTerminal(t *testing.T) {
	n := newNode(t, false)
	for _, e := range executors[:2] {
		t.Run(e.name, func(t *testing.T) {
			q := url.Values{"command": {"sh", "-c", "echo a; echo b >&2"}, "stdout": {"true"}, "stderr": {"true"}, "tty": {"true"}}
			ex, err := e.new(n, execURL(n, "exec", q))
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			if err := stream(t, ex, remotecommand.StreamOptions{Stdout: &stdout, Tty: true, TerminalSizeQueue: noSizes{}}); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != "a\r\nb\r\n" {
				t.Errorf("a terminal printed %q, want both streams with CRLF", stdout.String())
			}
		})
	}
}

func TestAttachToAStdinOnceContainerEndsIt(t *testing.T) {
	for _, e := range executors[:2] {
		t.Run(e.name, func(t *testing.T) {
			n := newNode(t, true)
			q := url.Values{"stdin": {"true"}, "stdout": {"true"}, "stderr": {"true"}}
			ex, err := e.new(n, execURL(n, "attach", q))
			if err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			if err := stream(t, ex, remotecommand.StreamOptions{Stdin: strings.NewReader("echo hi\n"), Stdout: &stdout, Stderr: io.Discard}); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != "hi\n" {
				t.Errorf("attach printed %q", stdout.String())
			}
			if st := n.containerState(); st.State != runtime.ContainerExited || st.ExitCode != 0 {
				t.Errorf("after stdin ended the container is %s (exit %d), want Exited 0", st.State, st.ExitCode)
			}
		})
	}
}

func TestErrorsBeforeAnyUpgrade(t *testing.T) {
	n := newNode(t, false)
	for _, tc := range []struct {
		method, path string
		code         int
		message      string
	}{
		{"GET", "/containerLogs/default/nope/c", 404, `pods "nope" not found`},
		{"GET", "/containerLogs/default/p/x", 400, "container x is not valid for pod p"},
		{"GET", "/containerLogs/default/w/c", 400, `container "c" in pod "w" is waiting to start: ContainerCreating`},
		{"GET", "/containerLogs/default/p/c?previous=true", 400, `previous terminated container "c" in pod "p" not found`},
		{"GET", "/containerLogs/default/p/c?tailLines=-2", 400, `tailLines: invalid value "-2"`},
		{"POST", "/exec/default/p/c?stdout=true", 400, "you must specify at least 1 command"},
		{"POST", "/exec/default/p/c?command=true", 400, "you must specify at least 1 of stdin, stdout, stderr"},
		{"POST", "/exec/default/p/other-uid/c?command=true&stdout=true", 404, `pods "p" not found`},
		{"POST", "/exec/default/w/c?command=true&stdout=true", 404, `container not found ("c")`},
		{"POST", "/exec/default/p/c?command=true&stdout=true", 400, "unable to upgrade: X-Stream-Protocol-Version is required"},
		{"PUT", "/attach/default/p/c?stdout=true", 405, `PUT is not supported`},
		{"POST", "/portForward/default/p", 400, "unable to upgrade: X-Stream-Protocol-Version is required"},
	} {
		req, _ := http.NewRequest(tc.method, n.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var status metav1.Status
		err = json.NewDecoder(resp.Body).Decode(&status)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.code || int(status.Code) != tc.code || !strings.Contains(status.Message, tc.message) {
			t.Errorf("%s %s: %d %+v (%v); want %d with %q", tc.method, tc.path, resp.StatusCode, status, err, tc.code, tc.message)
		}
	}
}

func TestContainerLogsFollow(t *testing.T) {
	n := newNode(t, false)
	resp, err := http.Get(n.url + "/containerLogs/default/p/c?follow=true&tailLines=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		buf := make([]byte, 1024)
		for {
			k, err := resp.Body.Read(buf)
			if k > 0 {
				lines <- string(buf[:k])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	if err := n.rt.AppendLog(n.pod.UID, "c", "fresh"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-lines:
		if got != "fresh\n" {
			t.Errorf("followed %q (tailLines=0 must leave out the start line)", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the new line did not arrive")
	}
	if err := n.rt.ExitContainer(n.pod.UID, "c", 0); err != nil {
		t.Fatal(err)
	}
	for range lines { // the exit line, then the end
	}
}

func TestPortForwardOverBothProtocols(t *testing.T) {
	n := newNode(t, false)
	u, _ := url.Parse(n.url + "/portForward/default/p/uid-p")
	tunnel, err := portforward.NewSPDYOverWebsocketDialer(u, &rest.Config{Host: n.url})
	if err != nil {
		t.Fatal(err)
	}
	tr, up, err := spdy.RoundTripperFor(&rest.Config{Host: n.url})
	if err != nil {
		t.Fatal(err)
	}
	plain := spdy.NewDialer(up, &http.Client{Transport: tr}, "POST", u)
	for name, dialer := range map[string]httpstream.Dialer{"websocket tunnel": tunnel, "spdy": plain} {
		t.Run(name, func(t *testing.T) {
			addr := startForwarder(t, dialer, "0:8080")
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET /x HTTP/1.1\r\nHost: pod\r\n\r\n")
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "sim pod default/p port 8080: GET /x\n" {
				t.Errorf("body %q", body)
			}
			// A second connection through the same session: an echo.
			echo, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer echo.Close()
			echo.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(echo, "hello\n")
			line, err := bufio.NewReader(echo).ReadString('\n')
			if err != nil || line != "hello\n" {
				t.Errorf("echo %q, %v", line, err)
			}
		})
	}
}

func TestPortForwardToAStoppedPodFails(t *testing.T) {
	n := newNode(t, false)
	if err := n.rt.StopPodSandbox(context.Background(), n.pod.UID); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(n.url + "/portForward/default/p/uid-p")
	tr, up, err := spdy.RoundTripperFor(&rest.Config{Host: n.url})
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := spdy.NewDialer(up, &http.Client{Transport: tr}, "POST", u).Dial("portforward.k8s.io")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := http.Header{}
	h.Set(corev1.StreamType, corev1.StreamTypeError)
	h.Set(corev1.PortHeader, "80")
	h.Set(corev1.PortForwardRequestIDHeader, "0")
	errStream, err := conn.CreateStream(h)
	if err != nil {
		t.Fatal(err)
	}
	errStream.Close()
	h.Set(corev1.StreamType, corev1.StreamTypeData)
	data, err := conn.CreateStream(h)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	msg, _ := io.ReadAll(errStream)
	if want := "error forwarding port 80 to pod p_default, uid uid-p: pod default/p: runtime: pod sandbox is not ready"; string(msg) != want {
		t.Errorf("error stream said %q, want %q", msg, want)
	}
}

// startForwarder runs client-go's port forwarder (kubectl port-forward's engine) and
// returns the local address it listens on.
func startForwarder(t *testing.T, dialer httpstream.Dialer, ports string) string {
	t.Helper()
	stop, ready := make(chan struct{}), make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{ports}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pf.ForwardPorts() }()
	t.Cleanup(func() { close(stop); <-done })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("port forwarder ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("port forwarder not ready")
	}
	fwd, err := pf.GetPorts()
	if err != nil || len(fwd) != 1 {
		t.Fatalf("ports %v, %v", fwd, err)
	}
	return fmt.Sprintf("127.0.0.1:%d", fwd[0].Local)
}
