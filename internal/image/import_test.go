package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// twoLayers is an image whose upper layer overrides a file of the lower one.
func twoLayers(t *testing.T) v1.Image {
	return imageOf(t, []string{"/bin/app", "serve"},
		layerOf(t, dir("etc/"), file("etc/motd", "lower"), file("etc/hostname", "base")),
		layerOf(t, dir("etc/"), file("etc/motd", "upper"), dir("bin/"), entry{name: "bin/app", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"}))
}

func checkTwoLayers(t *testing.T, img *Image, want v1.Image) {
	t.Helper()
	if got, want := len(img.Layers), 2; got != want {
		t.Fatalf("%d layers, want %d", got, want)
	}
	for i, d := range diffIDs(t, want) {
		if img.Layers[i].DiffID != d {
			t.Errorf("layer %d diffID %s, want %s", i, img.Layers[i].DiffID, d)
		}
	}
	dirs := img.LayerDirs()
	if got := readFile(t, filepath.Join(dirs[0], "etc/motd")); got != "lower" {
		t.Errorf("lower etc/motd = %q", got)
	}
	if got := readFile(t, filepath.Join(dirs[1], "etc/motd")); got != "upper" {
		t.Errorf("upper etc/motd = %q", got)
	}
	fi, err := os.Stat(filepath.Join(dirs[1], "bin/app"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bin/app: %v, %v; want mode 0755", fi, err)
	}
	wantCfg := Config{Cmd: []string{"/bin/app", "serve"}, Env: []string{"PATH=/bin"}, WorkingDir: "/work", ExposedPorts: []string{"53/udp", "8080/tcp"}}
	if !reflect.DeepEqual(img.Config, wantCfg) {
		t.Errorf("config %+v, want %+v", img.Config, wantCfg)
	}
	if err := img.CheckOverlay(); err != nil {
		t.Error(err)
	}
	cfgName, _ := want.ConfigName()
	if img.ID != cfgName.String() {
		t.Errorf("ID %s, want the config digest %s", img.ID, cfgName)
	}
}

func TestImportDockerSave(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, os.Geteuid() == 0)
	img := twoLayers(t)
	archive := filepath.Join(t.TempDir(), "app.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("example.com/team/app:v1"), img); err != nil {
		t.Fatal(err)
	}
	got, err := s.Import(ctx, archive, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Ref != "example.com/team/app:v1" {
		t.Fatalf("imported %+v", got)
	}
	checkTwoLayers(t, got[0], img)
	for _, ref := range []string{"example.com/team/app:v1", "example.com/team/app@" + got[0].Digest} {
		if ok, err := s.Has(ref); !ok || err != nil {
			t.Errorf("Has(%s) = %v, %v", ref, ok, err)
		}
	}
	if ok, _ := s.Has("example.com/team/app:v2"); ok {
		t.Error("Has(app:v2) = true")
	}
	again, err := s.Get(ctx, "example.com/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, got[0]) {
		t.Errorf("Get = %+v, Import gave %+v", again, got[0])
	}

	// Importing again unpacks nothing more; a gzipped copy and --name add a reference.
	if _, err := s.Import(ctx, archive, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	gz := gzipFile(t, archive)
	named, err := s.Import(ctx, gz, ImportOptions{Name: "app:local"})
	if err != nil {
		t.Fatal(err)
	}
	if len(named) != 2 || named[0].Digest != got[0].Digest || named[1].Ref != "docker.io/library/app:local" || named[1].RepoDigest != "docker.io/library/app@"+got[0].Digest {
		t.Fatalf("gzipped import %+v", named)
	}
	if n := s.unpacks.Load(); n != 2 {
		t.Errorf("%d layers unpacked, want 2", n)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, l := range list {
		refs = append(refs, l.Ref)
		if l.Digest != got[0].Digest || l.ID != got[0].ID || l.Size != got[0].Size || l.Size == 0 {
			t.Errorf("listed %+v, want digest %s id %s size %d", l, got[0].Digest, got[0].ID, got[0].Size)
		}
	}
	if want := []string{"docker.io/library/app:local", "example.com/team/app:v1"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("listed %v, want %v", refs, want)
	}
}

func TestImportDockerSaveSeveralImages(t *testing.T) {
	s := newStore(t, false)
	a, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "multi.tar")
	refs := map[name.Reference]v1.Image{
		name.MustParseReference("busybox"):            a,
		name.MustParseReference("busybox:musl"):       a,
		name.MustParseReference("localhost:5000/b:1"): b,
	}
	if err := tarball.MultiRefWriteToFile(archive, refs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Import(context.Background(), archive, ImportOptions{Name: "ignored:since-all-are-tagged"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range got {
		names = append(names, img.Ref)
	}
	list, _ := s.List()
	var listed []string
	for _, l := range list {
		listed = append(listed, l.Ref)
	}
	want := []string{"docker.io/library/busybox:latest", "docker.io/library/busybox:musl", "localhost:5000/b:1"}
	if !reflect.DeepEqual(listed, want) {
		t.Errorf("listed %v, want %v (import returned %v)", listed, want, names)
	}
}

func TestImportUntaggedNeedsName(t *testing.T) {
	s := newStore(t, false)
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), dir, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("import of an unnamed image: %v, want an error that mentions --name", err)
	}
	got, err := s.Import(context.Background(), dir, ImportOptions{Name: "tools/x:1"})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Ref != "docker.io/tools/x:1" {
		t.Errorf("named %s", got[0].Ref)
	}
}

func TestImportOCILayout(t *testing.T) {
	ctx := context.Background()
	img := twoLayers(t)
	other, err := random.Image(300, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{annotationRefName: "registry.example:5000/app:2"})); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(other, layout.WithAnnotations(map[string]string{annotationContainerdName: "docker.io/library/other:1", annotationRefName: "1"})); err != nil {
		t.Fatal(err)
	}
	// A multi-platform index: only this node's image is taken.
	wrong, err := random.Image(100, 1)
	if err != nil {
		t.Fatal(err)
	}
	multi := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: wrong, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &Platform}})
	if err := p.AppendIndex(multi, layout.WithAnnotations(map[string]string{annotationRefName: "multi"})); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
	}{
		{"directory", dir},
		{"tarball", tarDir(t, dir)},
		{"gzipped tarball", gzipFile(t, tarDir(t, dir))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, false)
			got, err := s.Import(ctx, tc.path, ImportOptions{Name: "example.com/multi"})
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, g := range got {
				refs = append(refs, g.Ref)
			}
			want := []string{"registry.example:5000/app:2", "docker.io/library/other:1", "example.com/multi:multi"}
			if !reflect.DeepEqual(refs, want) {
				t.Fatalf("imported %v, want %v", refs, want)
			}
			checkTwoLayers(t, got[0], img)
			checkTwoLayers(t, got[2], img)
			if got[2].RepoDigest == got[2].Ref || !strings.HasPrefix(got[2].RepoDigest, "example.com/multi@sha256:") || strings.HasSuffix(got[2].RepoDigest, got[2].Digest) {
				t.Errorf("multi-platform RepoDigest %s should be the index's digest", got[2].RepoDigest)
			}
		})
	}
}

func TestImportRejectsOtherArchives(t *testing.T) {
	s := newStore(t, false)
	path := filepath.Join(t.TempDir(), "x.tar")
	if err := os.WriteFile(path, tarOf(t, file("hello", "world")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), path, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "neither a docker-save nor an OCI layout") {
		t.Errorf("import of a plain tar: %v", err)
	}
}

// tarDir packs a directory into a tarball beside it.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "layout-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name, _ = filepath.Rel(dir, p)
		if err := tw.WriteHeader(h); err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Name()
}

func gzipFile(t *testing.T, path string) string {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Name()
}
