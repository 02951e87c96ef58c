package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// newStore opens a store in a fresh directory; privileged decides whether whiteouts are
// converted (true needs root).
func newStore(t testing.TB, privileged bool) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "images"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.privileged = privileged
	return s
}

// needRoot skips a test that needs root, except in CI, which runs as root.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs tests as root; this one needs root")
		}
		t.Skip("needs root")
	}
}

// entry is one tar entry of a test layer.
type entry struct {
	name string
	typ  byte
	mode int64
	body string
	link string
	uid  int
}

func file(name, body string) entry {
	return entry{name: name, typ: tar.TypeReg, mode: 0o644, body: body}
}
func dir(name string) entry { return entry{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) entry {
	return entry{name: name, typ: tar.TypeSymlink, mode: 0o777, link: target}
}

func tarOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Uid: e.uid, Gid: e.uid,
			Size: int64(len(e.body)), ModTime: time.Unix(1700000000, 0)}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil && e.typ == tar.TypeReg {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerOf(t testing.TB, entries ...entry) v1.Layer {
	t.Helper()
	data := tarOf(t, entries...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf stacks layers (lowest first) under a config running cmd.
func imageOf(t testing.TB, cmd []string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", Platform.Architecture
	cf.Config.Cmd = cmd
	cf.Config.Env = []string{"PATH=/bin"}
	cf.Config.WorkingDir = "/work"
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "53/udp": {}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// put stores img under refs as a pull would.
func put(t testing.TB, s *Store, img v1.Image, refs ...string) *Image {
	t.Helper()
	var rs []Reference
	for _, r := range refs {
		p, err := ParseReference(r)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, p)
	}
	ctx := context.Background()
	l, err := s.lockStore(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	out, err := s.ingest(ctx, img, rs, "")
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func diffIDs(t testing.TB, img v1.Image) []string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range cf.RootFS.DiffIDs {
		out = append(out, d.String())
	}
	return out
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
