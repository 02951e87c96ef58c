package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// runOrdinal runs the ordinal binary to completion (at most 60s) and returns its output and
// exit code.
func runOrdinal(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ordinalBinary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	setDeathSignal(cmd)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("ordinal %s did not finish within 60s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errOut.String())
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// TestUp checks what `ordinal up` tells its user, the kubeconfig it writes, `ordinal
// kubeconfig`, and that Ctrl-C stops it cleanly.
func TestUp(t *testing.T) {
	t.Parallel()
	c := startCluster(t)

	ready := regexp.MustCompile(`(?m)^cluster ready in [0-9]+ms; kubeconfig: ` + regexp.QuoteMeta(c.kubeconfig()) + `$`)
	if !ready.MatchString(c.stdout.String()) {
		t.Errorf("ordinal up did not print \"cluster ready in Nms; kubeconfig: %s\":\n%s", c.kubeconfig(), c.stdout.String())
	}

	stdout, stderr, code := runOrdinal(t, "kubeconfig", "--data-dir", c.dataDir)
	if code != 0 || stdout != c.kubeconfig()+"\n" {
		t.Errorf("ordinal kubeconfig --data-dir %s: exit %d, printed %q (stderr %q), want %q", c.dataDir, code, stdout, stderr, c.kubeconfig())
	}
	_, stderr, code = runOrdinal(t, "kubeconfig", "--data-dir", filepath.Join(t.TempDir(), "empty"))
	if code == 0 || !strings.Contains(stderr, "no kubeconfig at") {
		t.Errorf("ordinal kubeconfig on a data dir without a cluster: exit %d, stderr %q; want a failure that says there is no kubeconfig", code, stderr)
	}

	// The kubeconfig points at the server, trusts the CA in pki/ca.crt and carries the token
	// in pki/admin.token.
	config, err := clientcmd.LoadFromFile(c.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	current := config.Contexts[config.CurrentContext]
	if current == nil {
		t.Fatalf("the kubeconfig has no current context %q", config.CurrentContext)
	}
	cl, user := config.Clusters[current.Cluster], config.AuthInfos[current.AuthInfo]
	if cl == nil || user == nil {
		t.Fatalf("the current context refers to a missing cluster or user: %+v", current)
	}
	if cl.Server != "https://"+c.addr {
		t.Errorf("kubeconfig server = %q, want https://%s", cl.Server, c.addr)
	}
	if ca := mustRead(t, filepath.Join(c.dataDir, "pki", "ca.crt")); string(cl.CertificateAuthorityData) != ca {
		t.Errorf("kubeconfig CA differs from pki/ca.crt:\n%s", base64.StdEncoding.EncodeToString(cl.CertificateAuthorityData))
	}
	if user.Token != c.token() {
		t.Errorf("kubeconfig token differs from pki/admin.token")
	}

	// Ctrl-C.
	c.proc.Process.Signal(syscall.SIGINT)
	<-c.exited
	if code := c.proc.ProcessState.ExitCode(); code != 0 {
		t.Errorf("ordinal up exited with %d after SIGINT, want 0\n%s", code, c.stderr.String())
	}
	if _, err := net.DialTimeout("tcp", c.addr, time.Second); err == nil {
		t.Errorf("something still listens on %s after ordinal up exited", c.addr)
	}
}

// TestUpFailsWhenThePortIsTaken: a clear message and a non-zero exit, at once.
func TestUpFailsWhenThePortIsTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	_, stderr, code := runOrdinal(t, "up", "--data-dir", t.TempDir(), "--listen", addr)
	if code == 0 {
		t.Fatalf("ordinal up on a port in use exited 0")
	}
	wantContains(t, stderr, "cannot listen on "+addr, "address already in use")
}

// TestUpFailsWhenTheDataDirIsUnusable: a data dir below a regular file cannot be made.
func TestUpFailsWhenTheDataDirIsUnusable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(file, "data")

	_, stderr, code := runOrdinal(t, "up", "--data-dir", dataDir, "--listen", freeLoopbackAddr(t))
	if code == 0 {
		t.Fatalf("ordinal up with data dir %s exited 0", dataDir)
	}
	wantContains(t, stderr, dataDir, "not a directory")
}
