package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"ordinal.dev/ordinal/internal/image"
)

// sampleRootfs makes a small tree with a directory, a set-user-ID file and a hard link to
// it, a symlink and a FIFO.
func sampleRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin", "etc", "run"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	su := filepath.Join(root, "bin/su")
	if err := os.WriteFile(su, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Chmod after the write: the umask must not eat the set-user-ID bit.
	if err := os.Chmod(su, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(su, filepath.Join(root, "bin/su2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("su", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "run/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

func layerHeaders(t *testing.T, data []byte) []*tar.Header {
	t.Helper()
	var hdrs []*tar.Header
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
	}
}

func TestWriteLayer(t *testing.T) {
	root := sampleRootfs(t)
	var first, second bytes.Buffer
	if err := writeLayer(&first, root); err != nil {
		t.Fatal(err)
	}
	if err := writeLayer(&second, root); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two layers of one tree differ: the layer is not reproducible")
	}
	hdrs := layerHeaders(t, first.Bytes())
	var names []string
	byName := map[string]*tar.Header{}
	for _, h := range hdrs {
		names = append(names, h.Name)
		byName[h.Name] = h
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q/%q, want numeric owners only", h.Name, h.Uname, h.Gname)
		}
	}
	want := []string{"bin/", "bin/sh", "bin/su", "bin/su2", "etc/", "etc/passwd", "run/", "run/fifo"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if h := byName["bin/su"]; h.Typeflag != tar.TypeReg || h.Mode != 0o4755 || h.Size != int64(len("#!/bin/sh\n")) {
		t.Errorf("bin/su: type %c mode %o size %d", h.Typeflag, h.Mode, h.Size)
	}
	if h := byName["bin/su2"]; h.Typeflag != tar.TypeLink || h.Linkname != "bin/su" {
		t.Errorf("bin/su2: type %c link %q, want a hard link to bin/su", h.Typeflag, h.Linkname)
	}
	if h := byName["bin/sh"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "su" {
		t.Errorf("bin/sh: type %c link %q, want a symlink to su", h.Typeflag, h.Linkname)
	}
	if h := byName["run/fifo"]; h.Typeflag != tar.TypeFifo || h.Mode != 0o600 {
		t.Errorf("run/fifo: type %c mode %o", h.Typeflag, h.Mode)
	}
}

func TestWriteLayerRefusesNonDirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeLayer(io.Discard, f); err == nil {
		t.Error("a regular file was packed as a rootfs")
	}
}

func TestImagesTagEnv(t *testing.T) {
	root := sampleRootfs(t)
	layerPath := filepath.Join(t.TempDir(), "layer.tar.gz")
	if err := writeLayerFile(layerPath, root); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromFile(layerPath)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Rootfs: root, Tags: []string{"example.com/web:v1.0", "example.com/web:v2.0"}, Entrypoint: []string{"/bin/sh"}, ExposedPorts: []string{"8080"}}

	same, err := Images(layer, spec)
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]bool{}
	for _, img := range same {
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests[d.String()] = true
	}
	if len(digests) != 1 {
		t.Errorf("without -tag-env the tags name %d images, want 1", len(digests))
	}

	spec.TagEnv = "VERSION"
	each, err := Images(layer, spec)
	if err != nil {
		t.Fatal(err)
	}
	digests = map[string]bool{}
	for ref, img := range each {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		wantEnv := []string{"PATH=" + defaultPath, "VERSION=" + ref.Identifier()}
		if !slices.Equal(cf.Config.Env, wantEnv) {
			t.Errorf("%s: env %q, want %q", ref, cf.Config.Env, wantEnv)
		}
		if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok || len(cf.Config.ExposedPorts) != 1 {
			t.Errorf("%s: exposed ports %v, want 8080/tcp", ref, cf.Config.ExposedPorts)
		}
		if !slices.Equal(cf.Config.Entrypoint, []string{"/bin/sh"}) || cf.OS != "linux" {
			t.Errorf("%s: entrypoint %q os %q", ref, cf.Config.Entrypoint, cf.OS)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests[d.String()] = true
	}
	if len(digests) != 2 {
		t.Errorf("with -tag-env the tags name %d images, want 2", len(digests))
	}
}

// TestWriteArchiveImports checks the archive end to end: ordinal's image store imports it
// under every tag, with the configuration given.
func TestWriteArchiveImports(t *testing.T) {
	root := sampleRootfs(t)
	out := filepath.Join(t.TempDir(), "image.tar")
	spec := Spec{
		Rootfs: root, Tags: []string{"mysql:5.7", "ghcr.io/example/tool:latest"},
		Cmd: []string{"sh"}, Env: []string{"FOO=bar"}, WorkingDir: "/etc",
		Labels: map[string]string{"org.opencontainers.image.description": "test"},
	}
	if err := WriteArchive(out, spec); err != nil {
		t.Fatal(err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".rootfs-image-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %q", leftovers)
	}
	store, err := image.Open(t.TempDir(), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := store.Import(context.Background(), out, image.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, img := range imgs {
		refs = append(refs, img.Ref)
	}
	slices.Sort(refs)
	want := []string{"docker.io/library/mysql:5.7", "ghcr.io/example/tool:latest"}
	if !slices.Equal(refs, want) {
		t.Fatalf("imported %q, want %q", refs, want)
	}
	img, err := store.Get(context.Background(), "mysql:5.7")
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config
	if !slices.Equal(c.Cmd, []string{"sh"}) || c.WorkingDir != "/etc" || !slices.Contains(c.Env, "FOO=bar") || c.Labels["org.opencontainers.image.description"] != "test" {
		t.Errorf("config %+v, want the spec's Cmd, WorkingDir, Env and Labels", c)
	}
	if len(img.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(img.Layers))
	}
	data, err := os.ReadFile(filepath.Join(img.Layers[0].Dir, "etc/passwd"))
	if err != nil || string(data) != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("etc/passwd in the unpacked layer: %q, %v", data, err)
	}
	if target, err := os.Readlink(filepath.Join(img.Layers[0].Dir, "bin/sh")); err != nil || target != "su" {
		t.Errorf("bin/sh in the unpacked layer: %q, %v", target, err)
	}
}
