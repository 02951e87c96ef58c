package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubectlTimeout bounds one kubectl command.
const kubectlTimeout = 60 * time.Second

// kubectl runs the real kubectl against one cluster, with the cluster's kubeconfig and a
// discovery cache of its own.
type kubectl struct {
	t        *testing.T
	c        *cluster
	cacheDir string
	tmpDir   string // kubectl's TMPDIR: kubectl edit leaves files there
	env      []string
}

// kubectl returns a kubectl for test t; it skips t when kubectl is not installed (outside CI).
func (c *cluster) kubectl(t *testing.T) *kubectl {
	t.Helper()
	needKubectl(t)
	return &kubectl{t: t, c: c, cacheDir: t.TempDir(), tmpDir: t.TempDir()}
}

// withEnv returns a copy of k that also sets KEY=VALUE pairs (KUBE_EDITOR, say).
func (k *kubectl) withEnv(kv ...string) *kubectl {
	k2 := *k
	k2.env = append(append([]string(nil), k.env...), kv...)
	return &k2
}

// result is what a kubectl command printed and how it exited.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r result) String() string {
	return fmt.Sprintf("kubectl %s (exit %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// exec runs kubectl with stdin and returns what happened, whatever the exit code.
func (k *kubectl) exec(stdin string, args ...string) result {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBinary, k.argv(args)...)
	cmd.Env = k.environ()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		k.t.Fatalf("kubectl %s: no answer within %v\n%s", strings.Join(args, " "), kubectlTimeout, r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		k.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (k *kubectl) argv(args []string) []string {
	return append([]string{"--cache-dir=" + k.cacheDir}, args...)
}

func (k *kubectl) environ() []string {
	return append(append(os.Environ(), "KUBECONFIG="+k.c.kubeconfig(), "TMPDIR="+k.tmpDir), k.env...)
}

// run runs a kubectl command that must succeed and returns its stdout.
func (k *kubectl) run(args ...string) string {
	k.t.Helper()
	r := k.exec("", args...)
	if r.code != 0 {
		k.t.Fatalf("command failed: %s", r)
	}
	return r.stdout
}

// apply runs `kubectl apply -f -` with the manifest on stdin and returns stdout.
func (k *kubectl) apply(manifest string, args ...string) string {
	k.t.Helper()
	return k.runStdin(manifest, append([]string{"apply", "-f", "-"}, args...)...)
}

// runStdin runs a kubectl command that must succeed, with stdin, and returns its stdout.
func (k *kubectl) runStdin(stdin string, args ...string) string {
	k.t.Helper()
	r := k.exec(stdin, args...)
	if r.code != 0 {
		k.t.Fatalf("command failed: %s", r)
	}
	return r.stdout
}

// fails runs a kubectl command that must fail and returns stdout and stderr together (the
// error is on stderr).
func (k *kubectl) fails(args ...string) string {
	k.t.Helper()
	return k.failsStdin("", args...)
}

func (k *kubectl) failsStdin(stdin string, args ...string) string {
	k.t.Helper()
	r := k.exec(stdin, args...)
	if r.code == 0 {
		k.t.Fatalf("command succeeded, want an error: %s", r)
	}
	return r.stdout + r.stderr
}

// try runs a kubectl command for a poll: it never fails the test.
func (k *kubectl) try(args ...string) result {
	k.t.Helper()
	return k.exec("", args...)
}

// editorScript writes a KUBE_EDITOR script that runs `sed -i EXPR` on the file kubectl
// opens, and returns its path.
func editorScript(t *testing.T, sedExpr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "editor.sh")
	script := fmt.Sprintf("#!/bin/sh\nexec sed -i -e %q \"$1\"\n", sedExpr)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// stream is a long-running kubectl (get -w) whose output lines the test reads as they come.
type stream struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	lines  chan string
	stderr *syncBuffer
	mu     sync.Mutex
	seen   []string
}

// start runs kubectl in the background; it is stopped when the test ends.
func (k *kubectl) start(args ...string) *stream {
	k.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, kubectlBinary, k.argv(args)...)
	cmd.Env = k.environ()
	cmd.WaitDelay = 5 * time.Second
	s := &stream{t: k.t, cmd: cmd, cancel: cancel, lines: make(chan string, 1000), stderr: &syncBuffer{}}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		k.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	k.t.Cleanup(s.stop)
	return s
}

// next returns the next line that contains all of the given strings, skipping others. It
// fails the test if no such line comes within 30 seconds.
func (s *stream) next(substrings ...string) string {
	s.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("kubectl %s ended before printing a line with %q\noutput:\n%s\nstderr:\n%s",
					strings.Join(s.cmd.Args[2:], " "), substrings, s.output(), s.stderr.String())
			}
			s.mu.Lock()
			s.seen = append(s.seen, line)
			s.mu.Unlock()
			if containsAll(line, substrings...) {
				return line
			}
		case <-timeout:
			s.t.Fatalf("kubectl %s printed no line with %q within 30s\noutput:\n%s\nstderr:\n%s",
				strings.Join(s.cmd.Args[2:], " "), substrings, s.output(), s.stderr.String())
		}
	}
}

func (s *stream) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.seen, "\n")
}

func (s *stream) stop() {
	s.cancel()
	s.cmd.Wait()
}

func containsAll(s string, substrings ...string) bool {
	for _, sub := range substrings {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// stayPending is a `kubectl run` flag that gives the pod a node selector no node matches:
// the pod is never scheduled, so it stays Pending with no node and no IP whatever the
// scheduler and node agents do, and deleting it is immediate.
const stayPending = `--overrides={"apiVersion":"v1","spec":{"nodeSelector":{"e2e.ordinal.dev/no-such-node":"true"}}}`

// newSession is the start of most tests: a cluster of their own, run in parallel with the
// other tests, and a kubectl for it.
func newSession(t *testing.T, opts ...clusterOption) (*cluster, *kubectl) {
	t.Helper()
	needKubectl(t)
	t.Parallel()
	c := startCluster(t, opts...)
	return c, c.kubectl(t)
}

// object runs `kubectl get ARGS -o yaml` and parses what it prints.
func (k *kubectl) object(args ...string) object {
	k.t.Helper()
	return parseObject(k.t, k.run(append(append([]string{"get"}, args...), "-o", "yaml")...))
}

// jsonpath runs `kubectl get ARGS -o jsonpath=EXPR`.
func (k *kubectl) jsonpath(expr string, args ...string) string {
	k.t.Helper()
	return k.run(append(append([]string{"get"}, args...), "-o", "jsonpath="+expr)...)
}

// table runs `kubectl get ARGS` and parses the table it prints.
func (k *kubectl) table(args ...string) table {
	k.t.Helper()
	return parseTable(k.t, k.run(append([]string{"get"}, args...)...))
}
