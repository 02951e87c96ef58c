package process

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
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

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestContainerLogsFollowsUntilExit(t *testing.T) {
	f := newFixture(t)
	pod := testPod("logs", sh("main", "echo first; sleep 0.3; echo second >&2; sleep 0.3; echo third"))
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	rc, err := f.rt.ContainerLogs(f.ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(rc) // ends with the container
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	text := string(all)
	if !strings.Contains(text, " stdout F first\n") || !strings.Contains(text, " stderr F second\n") || !strings.HasSuffix(text, " stdout F third\n") {
		t.Fatalf("followed log:\n%s", text)
	}
	rc, _ = f.rt.ContainerLogs(f.ctx, id, false)
	again, _ := io.ReadAll(rc)
	rc.Close()
	if string(again) != text {
		t.Fatalf("log read again differs:\n%s", again)
	}
	if _, err := f.rt.ContainerLogs(f.ctx, "nope", false); err == nil {
		t.Fatal("logs of an unknown container")
	}
}

func TestExec(t *testing.T) {
	f := newFixture(t)
	pod := testPod("exec", sh("main", "exec sleep 1000"))
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)

	var out, errOut syncBuffer
	code, err := f.rt.Exec(f.ctx, id, []string{"sh", "-c", "read line; echo got $line; echo oops >&2; exit 3"},
		runtime.Streams{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errOut})
	if err != nil || code != 3 || out.String() != "got hello\n" || errOut.String() != "oops\n" {
		t.Fatalf("exec: code %d err %v stdout %q stderr %q", code, err, out.String(), errOut.String())
	}
	if _, err := f.rt.Exec(f.ctx, id, []string{"no-such-command"}, runtime.Streams{}); err == nil {
		t.Fatal("exec of a missing binary must be an error")
	}

	// On a terminal: input is echoed, output comes back on stdout.
	inR, inW := io.Pipe()
	var tty syncBuffer
	done := make(chan int, 1)
	go func() {
		code, err := f.rt.Exec(f.ctx, id, []string{"sh"}, runtime.Streams{Stdin: inR, Stdout: &tty, TTY: true})
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	go io.WriteString(inW, "tty -s && echo on-a-tty; exit 5\n")
	select {
	case code := <-done:
		if code != 5 || !strings.Contains(tty.String(), "on-a-tty") {
			t.Fatalf("tty exec: code %d output %q", code, tty.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tty exec did not end; output %q", tty.String())
	}
	inW.Close()
}

func TestAttachToStdinOnceContainer(t *testing.T) {
	f := newFixture(t)
	pod := testPod("attach", corev1.Container{Name: "main", Command: []string{"sh", "-c", "while read line; do echo echo:$line; done; echo stdin-closed"}, Stdin: true, StdinOnce: true})
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	inR, inW := io.Pipe()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- f.rt.Attach(f.ctx, id, runtime.Streams{Stdin: inR, Stdout: &out, Stderr: &out, StdinOnce: true})
	}()
	// The first line can go before the session is set up; write until it echoes.
	waitFor(t, "the echo", 5*time.Second, func() bool {
		io.WriteString(inW, "hi\n")
		time.Sleep(50 * time.Millisecond)
		return strings.Contains(out.String(), "echo:hi")
	})
	inW.Close() // stdinOnce: the container's stdin closes and the loop ends
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("attach did not end; output %q", out.String())
	}
	if st := f.waitExit(pod.UID, id, 5*time.Second); st.ExitCode != 0 || !strings.Contains(out.String(), "stdin-closed") {
		t.Fatalf("exit %d, output %q", st.ExitCode, out.String())
	}
	f.waitLog(pod.UID, "main", 0, "echo:hi", time.Second)
}

func TestAttachToATerminal(t *testing.T) {
	f := newFixture(t)
	pod := testPod("tty", corev1.Container{Name: "main", Command: []string{"sh"}, Stdin: true, StdinOnce: true, TTY: true})
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	inR, inW := io.Pipe()
	var out syncBuffer
	resize := make(chan runtime.TerminalSize, 1)
	resize <- runtime.TerminalSize{Width: 123, Height: 45}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	go func() {
		done <- f.rt.Attach(ctx, id, runtime.Streams{Stdin: inR, Stdout: &out, TTY: true, Resize: resize, StdinOnce: true})
	}()
	waitFor(t, "the terminal's size", 5*time.Second, func() bool {
		io.WriteString(inW, "stty size\n")
		time.Sleep(100 * time.Millisecond)
		return strings.Contains(out.String(), "45 123")
	})
	io.WriteString(inW, "exit 4\n")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("attach did not end; output %q", out.String())
	}
	if st := f.waitExit(pod.UID, id, 5*time.Second); st.ExitCode != 4 {
		t.Fatalf("exit %d, output %q", st.ExitCode, out.String())
	}
}

func TestPortForward(t *testing.T) {
	f := newFixture(t)
	pod := testPod("pf", sh("main", "while true; do echo forwarded | nc -l -p 9090; done"))
	f.runSandbox(pod, nil)
	f.start(pod, 0, 0)
	waitFor(t, "the forwarded port", 5*time.Second, func() bool {
		local, remote := net.Pipe()
		defer local.Close()
		go f.rt.PortForward(f.ctx, pod.UID, 9090, remote)
		local.SetDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(local, buf, len("forwarded"))
		return strings.HasPrefix(string(buf[:n]), "forwarded")
	})
	if err := f.rt.PortForward(f.ctx, pod.UID, 9999, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("forwarding to a closed port: %v", err)
	}
}
