package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// testRegistry is go-containerregistry's in-memory registry on loopback, optionally
// behind basic auth, counting blob downloads.
type testRegistry struct {
	host string
	user string
	pass string

	mu        sync.Mutex
	blobGets  map[string]int
	srv       *httptest.Server
	pushOpts  []remote.Option
	basicAuth bool
}

func newRegistry(t *testing.T, user, pass string) *testRegistry {
	t.Helper()
	r := &testRegistry{user: user, pass: pass, blobGets: map[string]int{}, basicAuth: user != ""}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.basicAuth {
			if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/sha256:") {
			r.mu.Lock()
			r.blobGets[req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]]++
			r.mu.Unlock()
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	if r.basicAuth {
		r.pushOpts = append(r.pushOpts, remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	}
	return r
}

func (r *testRegistry) push(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	full := r.host + "/" + ref
	if err := remote.Write(mustRef(t, full), img, r.pushOpts...); err != nil {
		t.Fatal(err)
	}
	return full
}

func (r *testRegistry) gets(d v1.Hash) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.blobGets[d.String()]
}

func TestPull(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, "", "")
	img := twoLayers(t)
	ref := reg.push(t, "team/app:v1", img)
	s := newStore(t, false)

	got, err := s.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkTwoLayers(t, got, img)
	digest, _ := img.Digest()
	if got.Digest != digest.String() || got.RepoDigest != reg.host+"/team/app@"+digest.String() {
		t.Errorf("digest %s repo digest %s, want %s", got.Digest, got.RepoDigest, digest)
	}
	if ok, _ := s.Has(ref); !ok {
		t.Errorf("Has(%s) = false after the pull", ref)
	}
	// A second pull fetches no layer again.
	if _, err := s.Pull(ctx, ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		d, _ := l.Digest()
		if n := reg.gets(d); n != 1 {
			t.Errorf("layer %s fetched %d times, want 1", d, n)
		}
	}
	// By digest.
	byDigest, err := s.Pull(ctx, reg.host+"/team/app@"+digest.String(), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if byDigest.Digest != digest.String() {
		t.Errorf("pull by digest gave %s", byDigest.Digest)
	}
}

func TestPullMultiPlatform(t *testing.T) {
	reg := newRegistry(t, "", "")
	img := twoLayers(t)
	other, err := random.Image(100, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "riscv64"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &Platform}})
	ref := reg.host + "/multi:1"
	if err := remote.WriteIndex(mustRef(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, false)
	got, err := s.Pull(context.Background(), ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkTwoLayers(t, got, img)
	idxDigest, _ := idx.Digest()
	if got.RepoDigest != reg.host+"/multi@"+idxDigest.String() {
		t.Errorf("repo digest %s, want the index's %s", got.RepoDigest, idxDigest)
	}
	// A pod naming the index digest finds the image without pulling.
	if ok, _ := s.Has(reg.host + "/multi@" + idxDigest.String()); !ok {
		t.Error("Has(name@index digest) = false")
	}

	only := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "riscv64"}}})
	if err := remote.WriteIndex(mustRef(t, reg.host+"/riscv:1"), only); err != nil {
		t.Fatal(err)
	}
	_, err = s.Pull(context.Background(), reg.host+"/riscv:1", PullOptions{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no match for platform") {
		t.Errorf("pull of another platform's image: %v, want ErrNotFound about the platform", err)
	}
}

func TestPullNotFound(t *testing.T) {
	reg := newRegistry(t, "", "")
	reg.push(t, "team/app:v1", twoLayers(t))
	s := newStore(t, false)
	for _, ref := range []string{reg.host + "/team/app:nope", reg.host + "/team/missing:v1"} {
		_, err := s.Pull(context.Background(), ref, PullOptions{})
		var pe *PullError
		if !errors.As(err, &pe) || !errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) {
			t.Fatalf("pull %s: %v (%T), want a *PullError with ErrNotFound", ref, err, err)
		}
		want := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", ref, ref, ref)
		if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "_UNKNOWN: ") {
			t.Errorf("message %q\nwant it to start with %q and carry the registry's error", err, want)
		}
		if ok, _ := s.Has(ref); ok {
			t.Errorf("Has(%s) after a failed pull", ref)
		}
	}
	if _, err := s.Pull(context.Background(), "Bad/Name", PullOptions{}); !errors.Is(err, ErrInvalidReference) {
		t.Errorf("pull of a bad name: %v, want ErrInvalidReference", err)
	}
}

func TestPullAuth(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, "alice", "s3cret")
	img := twoLayers(t)
	ref := reg.push(t, "private/app:v1", img)
	s := newStore(t, false)

	_, err := s.Pull(ctx, ref, PullOptions{})
	var pe *PullError
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) {
		t.Fatalf("anonymous pull: %v, want a *PullError with ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "UNAUTHORIZED: authentication required") || !strings.Contains(err.Error(), "pull access denied") {
		t.Errorf("message %q should carry the registry's words", err)
	}

	wrong := fmt.Sprintf(`{"auths":{%q:{"username":"alice","password":"wrong"}}}`, reg.host)
	if _, err := s.Pull(ctx, ref, PullOptions{PullSecrets: [][]byte{[]byte(wrong)}}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("pull with a wrong password: %v, want ErrUnauthorized", err)
	}

	// A kubernetes.io/dockerconfigjson secret for another registry, and a matching
	// legacy kubernetes.io/dockercfg one with an "auth" field.
	other := `{"auths":{"quay.io":{"username":"x","password":"y"}}}`
	legacy := fmt.Sprintf(`{"http://%s/v1/":{"auth":"YWxpY2U6czNjcmV0"}}`, reg.host)
	got, err := s.Pull(ctx, ref, PullOptions{PullSecrets: [][]byte{[]byte("not json"), []byte(other), []byte(legacy)}})
	if err != nil {
		t.Fatal(err)
	}
	checkTwoLayers(t, got, img)
}

func TestSecretKeychain(t *testing.T) {
	kc := newSecretKeychain([][]byte{
		[]byte(`{"auths":{"https://index.docker.io/v1/":{"username":"hub","password":"p"},"registry.example:5000":{"username":"reg","password":"p"},"registry.example:5000/team":{"username":"team","password":"p"},"*.corp.example":{"username":"glob","password":"p"}}}`),
		[]byte(`{"registry.example:5000/team/special":{"username":"special","password":"p"}}`),
	})
	for _, tc := range []struct{ ref, user string }{
		{"busybox", "hub"},
		{"docker.io/team/app", "hub"},
		{"registry.example:5000/app", "reg"},
		{"registry.example:5000/team/app", "team"},
		{"registry.example:5000/teamx/app", "reg"},
		{"registry.example:5000/team/special/x", "special"},
		{"registry.example:5001/app", ""},
		{"eu.corp.example/app", "glob"},
		{"quay.io/app", ""},
	} {
		r := mustRef(t, tc.ref)
		a, err := kc.Resolve(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Username != tc.user {
			t.Errorf("%s: user %q, want %q", tc.ref, cfg.Username, tc.user)
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "ghcr.io"}, false},
		{"network unreachable", &net.OpError{Op: "dial", Err: syscall.ENETUNREACH}, false},
		{"connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false},
		{"connection reset mid-way", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"cut short", fmt.Errorf("reading blob: %w", io.ErrUnexpectedEOF), true},
		{"timed out", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, true},
		{"anything else", errors.New("manifest unknown"), false},
	}
	for _, tc := range cases {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
