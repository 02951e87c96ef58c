package proxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// fakeNft is an nft stand-in that records each script it is given (load-0, load-1, ...) and
// fails once when the file "fail" exists next to them (removing it).
func fakeNft(t *testing.T) (bin, dir string) {
	dir = t.TempDir()
	bin = filepath.Join(dir, "nft")
	script := fmt.Sprintf(`#!/bin/sh
n=$(ls %[1]s | grep -c '^load-')
cat > %[1]s/load-$n
[ -e %[1]s/fail ] && { rm %[1]s/fail; echo "injected failure" >&2; exit 1; }
exit 0
`, dir)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// waitLoad waits for the n-th script the fake nft received and returns it.
func waitLoad(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("load-%d", n))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// The fake renames nothing: the file appears empty and is then written; a script
		// always ends in a newline, so wait for that.
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return string(b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no load %d within 10s", n)
	return ""
}

// TestProxierLoadsOnlyChanges checks the proxier's choice of load: the first is full, a
// change after it is partial, and after a failed load the next one is full again.
func TestProxierLoadsOnlyChanges(t *testing.T) {
	nft, dir := fakeNft(t)
	s := slice("web-1", "web", webSlice, ep("10.42.0.5"))
	client := fake.NewSimpleClientset(svc("web", "10.43.0.20", webPorts), s)
	factory := informers.NewSharedInformerFactory(client, 0)
	p, err := New(client, factory, Options{Table: "t", Nft: nft, MinSyncPeriod: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	isFull := func(script string) bool { return strings.HasPrefix(script, "table ip t\ndelete table ip t\n") }
	if got := waitLoad(t, dir, 0); !isFull(got) {
		t.Fatalf("first load is not a full one:\n%s", got)
	}

	update := func(eps ...discovery.Endpoint) {
		t.Helper()
		s.Endpoints = eps
		if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	update(ep("10.42.0.5"), ep("10.42.0.6"))
	got := waitLoad(t, dir, 1)
	if isFull(got) || !strings.Contains(got, "add chain ip t ep-default/web/tcp/http/10.42.0.6/8080\n") {
		t.Fatalf("second load is not the partial one expected:\n%s", got)
	}

	// A failed load: the retry loads in full, whatever the failed one was.
	fail := filepath.Join(dir, "fail")
	if err := os.WriteFile(fail, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	update(ep("10.42.0.6"))
	if got := waitLoad(t, dir, 2); isFull(got) {
		t.Fatalf("the load after a partial one is full:\n%s", got)
	}
	if got := waitLoad(t, dir, 3); !isFull(got) {
		t.Fatalf("the load after a failed one is not full:\n%s", got)
	}
	want := waitLoad(t, dir, 3)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, script := p.LastSync(); script == want {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("LastSync reports another script than the one loaded:\n%s", script)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if got := waitLoad(t, dir, 4); got != DeleteScript("t") {
		t.Fatalf("shutdown did not delete the table:\n%s", got)
	}
}
