package sim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"ordinal.dev/ordinal/internal/runtime"
)

// runningApp starts pod uid's app container and returns the runtime, clock and its ID.
func runningApp(t *testing.T, uid string, annotations map[string]string) (*Runtime, string) {
	t.Helper()
	r, _ := fixture(t, Options{})
	pod := newPod(uid, annotations)
	mustRun(t, r, pod)
	return r, mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
}

func TestExecShell(t *testing.T) {
	r, id := runningApp(t, "a", nil)
	for _, tc := range []struct {
		cmd            []string
		stdin          string
		stdout, stderr string
		code           int
	}{
		{cmd: []string{"echo", "hi", "there"}, stdout: "hi there\n"},
		{cmd: []string{"/bin/echo", "-n", "x"}, stdout: "x"},
		{cmd: []string{"hostname"}, stdout: "p-a\n"},
		{cmd: []string{"cat", "/etc/hostname"}, stdout: "p-a\n"},
		{cmd: []string{"cat"}, stdin: "piped", stdout: "piped"},
		{cmd: []string{"cat", "/nope"}, stderr: "cat: can't open '/nope': No such file or directory\n", code: 1},
		{cmd: []string{"true"}},
		{cmd: []string{"false"}, code: 1},
		{cmd: []string{"sh", "-c", "exit 3"}, code: 3},
		{cmd: []string{"sh", "-c", "echo a; echo b >&2; false || echo c && echo d; true && exit 7; echo never"}, stdout: "a\nc\nd\n", stderr: "b\n", code: 7},
		{cmd: []string{"sh", "-c", `echo "$HOSTNAME" '$HOSTNAME' ${HOME} $?; false; echo $?`}, stdout: "p-a $HOSTNAME /root 0\n1\n"},
		{cmd: []string{"sh", "-c", "echo quiet >/dev/null; nope 2>&1"}, stdout: "sh: nope: not found\n", code: 127},
		{cmd: []string{"sh", "-c", `echo "unterminated`}, stderr: "sh: syntax error: unterminated quoted string\n", code: 2},
		{cmd: []string{"sh"}, stdin: "echo one\nhostname\nexit 4\necho never\n", stdout: "one\np-a\n", code: 4},
		{cmd: []string{"env"}, stdout: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=p-a\nHOME=/root\n"},
	} {
		var stdout, stderr bytes.Buffer
		code, err := r.Exec(context.Background(), id, tc.cmd, runtime.Streams{Stdin: strings.NewReader(tc.stdin), Stdout: &stdout, Stderr: &stderr})
		if err != nil || code != tc.code || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
			t.Errorf("%q: exit %d (%v), stdout %q, stderr %q; want exit %d, stdout %q, stderr %q",
				tc.cmd, code, err, stdout.String(), stderr.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
	if _, err := r.Exec(context.Background(), id, []string{"nginx"}, runtime.Streams{}); err == nil || !strings.Contains(err.Error(), `"nginx": executable file not found in $PATH`) {
		t.Errorf("exec of an unknown command: %v", err)
	}
	var tty bytes.Buffer
	if _, err := r.Exec(context.Background(), id, []string{"sh", "-c", "echo a; echo b >&2"}, runtime.Streams{Stdout: &tty, TTY: true}); err != nil || tty.String() != "a\r\nb\r\n" {
		t.Errorf("with a terminal: %q, %v", tty.String(), err)
	}
}

func TestExecNeedsARunningContainer(t *testing.T) {
	r, id := runningApp(t, "a", map[string]string{AnnotationCrash: "true"})
	if _, err := r.Exec(context.Background(), id, []string{"true"}, runtime.Streams{}); !errors.Is(err, runtime.ErrContainerNotRunning) {
		t.Errorf("exec into an exited container: %v", err)
	}
	if _, err := r.Exec(context.Background(), "nope", []string{"true"}, runtime.Streams{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("exec into an unknown container: %v", err)
	}
}

func readAll(t *testing.T, r *Runtime, id string, follow bool) string {
	t.Helper()
	log, err := r.ContainerLogs(context.Background(), id, follow)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	b, err := io.ReadAll(log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestContainerLogs(t *testing.T) {
	r, clk := fixture(t, Options{})
	pod := newPod("a", map[string]string{AnnotationExitCode: "2", AnnotationRunSeconds: "10"})
	mustRun(t, r, pod)
	id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
	started := "2026-01-02T03:04:05Z stdout F sim: container \"app\" started (image docker.io/library/nginx:1.27, attempt 0)\n"
	if got := readAll(t, r, id, false); got != started {
		t.Errorf("log of a running container:\n%q\nwant\n%q", got, started)
	}

	// A follower sees new lines, and ends when the container exits on its own.
	log, err := r.ContainerLogs(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	lines := bufio.NewReader(log)
	if line, _ := lines.ReadString('\n'); line != started {
		t.Errorf("first followed line %q", line)
	}
	clk.Step(time.Second)
	if err := r.AppendLog(pod.UID, "app", "working"); err != nil {
		t.Fatal(err)
	}
	if line, _ := lines.ReadString('\n'); line != "2026-01-02T03:04:06Z stdout F working\n" {
		t.Errorf("followed line %q", line)
	}
	clk.Step(9 * time.Second) // the planned exit
	rest, err := io.ReadAll(lines)
	if err != nil || string(rest) != "2026-01-02T03:04:15Z stdout F sim: container \"app\" exited with code 2 (Error)\n" {
		t.Errorf("end of the follow %q, %v", rest, err)
	}
	if _, err := r.ContainerLogs(context.Background(), "nope", false); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("log of an unknown container: %v", err)
	}
}

func TestAttach(t *testing.T) {
	t.Run("stdinOnce: the end of stdin ends the container", func(t *testing.T) {
		r, id := runningApp(t, "a", nil)
		var out bytes.Buffer
		err := r.Attach(context.Background(), id, runtime.Streams{Stdin: strings.NewReader("echo hi\n"), Stdout: &out, StdinOnce: true})
		if err != nil || out.String() != "hi\n" {
			t.Errorf("attach: %q, %v", out.String(), err)
		}
		if st := containerStatus(t, r, "a", id); st.State != runtime.ContainerExited || st.ExitCode != 0 || st.Reason != "Completed" {
			t.Errorf("container %+v, want exited 0", st)
		}
		// What the shell printed is in the log, between start and exit.
		if log := readAll(t, r, id, false); !strings.Contains(log, "stdout F hi\n") || !strings.HasSuffix(log, "exited with code 0 (Completed)\n") {
			t.Errorf("log %q", log)
		}
	})
	t.Run("exit N ends the container with N", func(t *testing.T) {
		r, id := runningApp(t, "a", nil)
		if err := r.Attach(context.Background(), id, runtime.Streams{Stdin: strings.NewReader("exit 5\n"), Stdout: io.Discard}); err != nil {
			t.Fatal(err)
		}
		if st := containerStatus(t, r, "a", id); st.State != runtime.ContainerExited || st.ExitCode != 5 {
			t.Errorf("container %+v, want exited 5", st)
		}
	})
	t.Run("without stdinOnce the container keeps running and output keeps coming", func(t *testing.T) {
		r, id := runningApp(t, "a", nil)
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		done := make(chan error)
		go func() {
			done <- r.Attach(ctx, id, runtime.Streams{Stdin: strings.NewReader("echo one\n"), Stdout: out})
		}()
		waitFor(t, func() bool { return out.String() == "one\n" })
		if err := r.AppendLog("a", "app", "two"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return out.String() == "one\ntwo\n" })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := containerStatus(t, r, "a", id); st.State != runtime.ContainerRunning {
			t.Errorf("container %+v after a detach, want running", st)
		}
	})
	t.Run("a terminal echoes and prompts", func(t *testing.T) {
		r, id := runningApp(t, "a", nil)
		var out bytes.Buffer
		if err := r.Attach(context.Background(), id, runtime.Streams{Stdin: strings.NewReader("hostname\rexit\r"), Stdout: &out, TTY: true}); err != nil {
			t.Fatal(err)
		}
		if want := "/ # hostname\r\np-a\r\n/ # exit\r\n"; out.String() != want {
			t.Errorf("terminal showed %q, want %q", out.String(), want)
		}
	})
	t.Run("the session ends when the container does", func(t *testing.T) {
		r, id := runningApp(t, "a", nil)
		done := make(chan error)
		out := &syncBuffer{}
		go func() { done <- r.Attach(context.Background(), id, runtime.Streams{Stdout: out}) }()
		// Attached once the container's output shows.
		waitFor(t, func() bool { r.AppendLog("a", "app", "ping"); return strings.Contains(out.String(), "ping") })
		if err := r.ExitContainer("a", "app", 1); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("attach did not end with the container")
		}
	})
}

func TestPortForward(t *testing.T) {
	r, _ := runningApp(t, "a", nil)
	dial := func() net.Conn {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			if err := r.PortForward(context.Background(), "a", 8080, server); err != nil {
				t.Errorf("port-forward: %v", err)
			}
		}()
		client.SetDeadline(time.Now().Add(10 * time.Second))
		return client
	}
	c := dial()
	fmt.Fprintf(c, "GET /path?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "sim pod default/p-a port 8080: GET /path?q=1\n" {
		t.Errorf("HTTP answer %d %q", resp.StatusCode, body)
	}
	c.Close()

	c = dial()
	fmt.Fprintf(c, "hello\nworld\n")
	got := make([]byte, len("hello\nworld\n"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello\nworld\n" {
		t.Errorf("echo %q, %v", got, err)
	}
	c.Close()

	if err := r.PortForward(context.Background(), "nope", 80, &bytes.Buffer{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("unknown pod: %v", err)
	}
	if err := r.StopPodSandbox(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.PortForward(context.Background(), "a", 80, &bytes.Buffer{}); !errors.Is(err, runtime.ErrSandboxNotReady) {
		t.Errorf("stopped pod: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
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
