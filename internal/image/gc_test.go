package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// sharing returns two images that share their lowest layer.
func sharing(t testing.TB) (a, b v1.Image) {
	base := layerOf(t, dir("etc/"), file("etc/os-release", "base"))
	a = imageOf(t, []string{"a"}, base, layerOf(t, file("a", "only in a")))
	b = imageOf(t, []string{"b"}, base, layerOf(t, file("b", "only in b")))
	return a, b
}

func count(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestRemoveCollects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, b := sharing(t)
	imgA := put(t, s, a, "a:1", "a:latest")
	imgB := put(t, s, b, "b:1")
	// 3 layers, 2 configs, 2 manifests.
	if n := count(t, s.path("blobs", "sha256")); n != 7 {
		t.Fatalf("%d blobs, want 7", n)
	}
	if n := count(t, s.path("layers")); n != 3 {
		t.Fatalf("%d layers, want 3", n)
	}

	removed, err := s.Remove(ctx, "a:1")
	if err != nil || len(removed) != 1 || removed[0] != "docker.io/library/a:1" {
		t.Fatalf("Remove(a:1) = %v, %v", removed, err)
	}
	if !exists(imgA.Layers[1].Dir) {
		t.Fatal("a's layer went while a:latest still names it")
	}
	removed, err = s.Remove(ctx, "a")
	if err != nil || len(removed) != 1 {
		t.Fatalf("Remove(a) = %v, %v", removed, err)
	}
	if exists(imgA.Layers[1].Dir) {
		t.Error("a's own layer is still unpacked")
	}
	if !exists(imgA.Layers[0].Dir) {
		t.Error("the shared layer went")
	}
	if n := count(t, s.path("blobs", "sha256")); n != 4 {
		t.Errorf("%d blobs left, want b's 4", n)
	}
	if _, err := s.Get(ctx, "b:1"); err != nil {
		t.Errorf("b after removing a: %v", err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(a) after removal: %v, want ErrNotFound", err)
	}
	if _, err := s.Remove(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove(a) again: %v, want ErrNotFound", err)
	}

	// By image ID prefix, as `ordinal image ls` shows it.
	removed, err = s.Remove(ctx, imgB.ID[len("sha256:"):len("sha256:")+12])
	if err != nil || len(removed) != 1 || removed[0] != "docker.io/library/b:1" {
		t.Fatalf("Remove(b's ID) = %v, %v", removed, err)
	}
	if n := count(t, s.path("blobs", "sha256")) + count(t, s.path("layers")); n != 0 {
		t.Errorf("%d blobs and layers left in an empty store", n)
	}
}

func TestPinKeepsLayers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, b := sharing(t)
	put(t, s, a, "a:1")
	put(t, s, b, "b:1")

	pinned, err := s.Pin(ctx, "container-1", "b:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pin(ctx, "../escape", "b:1"); err == nil {
		t.Error("Pin accepted an owner with a slash")
	}
	if _, err := s.Pin(ctx, "c2", "nope:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pin of an unknown image: %v", err)
	}
	// Another process removes both references.
	other, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Remove(ctx, "a:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Remove(ctx, "b:1"); err != nil {
		t.Fatal(err)
	}
	for _, d := range pinned.LayerDirs() {
		if !exists(filepath.Join(d)) {
			t.Errorf("pinned layer %s was collected", d)
		}
	}
	if owners, _ := s.Pins(); len(owners) != 1 || owners[0] != "container-1" {
		t.Errorf("Pins() = %v", owners)
	}
	// The last pin of an image no reference names: it goes at once.
	if err := s.Unpin("container-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unpin("container-1"); err != nil {
		t.Errorf("second Unpin: %v", err)
	}
	if n := count(t, s.path("layers")) + count(t, s.path("blobs", "sha256")); n != 0 {
		t.Errorf("%d layers and blobs left after the last pin went", n)
	}
	if res, err := s.GC(ctx); err != nil || res != (GCResult{}) {
		t.Errorf("GC after that: %+v, %v", res, err)
	}
}

func TestMovedTagCollectsOldImage(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t, "", "")
	a, b := sharing(t)
	ref := reg.push(t, "app:latest", a)
	s := newStore(t, false)
	old, err := s.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg.push(t, "app:latest", b)
	pulled, err := s.Pull(ctx, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if exists(old.Layers[1].Dir) || !exists(pulled.Layers[0].Dir) || !exists(pulled.Layers[1].Dir) {
		t.Error("the image the tag named before is still there, or the new one is not")
	}
	if n := count(t, s.path("blobs", "sha256")); n != 4 {
		t.Errorf("%d blobs, want the new image's 4", n)
	}
}

func TestInUseKeepsLayers(t *testing.T) {
	ctx := context.Background()
	a, _ := sharing(t)
	var base string
	s, err := Open(filepath.Join(t.TempDir(), "images"), Options{InUse: func(diffID string) bool { return diffID == base }})
	if err != nil {
		t.Fatal(err)
	}
	img := put(t, s, a, "a:1")
	base = img.Layers[0].DiffID
	if _, err := s.Remove(ctx, "a:1"); err != nil {
		t.Fatal(err)
	}
	if !exists(img.Layers[0].Dir) || exists(img.Layers[1].Dir) {
		t.Errorf("InUse layer kept: %v; other layer kept: %v", exists(img.Layers[0].Dir), exists(img.Layers[1].Dir))
	}
}

func TestGCRemovesLeftovers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, _ := sharing(t)
	img := put(t, s, a, "a:1")
	// An interrupted unpack, a stray blob, a layer nothing names.
	if err := os.MkdirAll(s.path("tmp", "layer-123", "fs", "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"fs/etc", "fs"} {
		if err := os.Chmod(s.path("tmp", "layer-123", d), 0o555); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(s.path("blobs", "sha256", "00"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.path("layers", "ff", "fs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx); err != nil {
		t.Fatal(err)
	}
	if count(t, s.path("tmp")) != 0 || exists(s.path("blobs", "sha256", "00")) || exists(s.path("layers", "ff")) {
		t.Error("leftovers survived the collection")
	}
	if _, err := s.Get(ctx, "a:1"); err != nil || !exists(img.Layers[1].Dir) {
		t.Errorf("a:1 after the collection: %v", err)
	}
}

func TestGetUnpacksAgain(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, _ := sharing(t)
	img := put(t, s, a, "a:1")
	if err := removeAll(filepath.Dir(img.Layers[1].Dir)); err != nil {
		t.Fatal(err)
	}
	again, err := s.Get(ctx, "a:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(again.Layers[1].Dir, "a")); got != "only in a" {
		t.Errorf("re-unpacked layer has %q", got)
	}
}

func TestRemoveByDigest(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	a, _ := sharing(t)
	img := put(t, s, a, "a:1", "a:2", "other:1")
	removed, err := s.Remove(ctx, "a@"+img.Digest)
	if err != nil || len(removed) != 2 {
		t.Fatalf("Remove(a@digest) = %v, %v; want a:1 and a:2", removed, err)
	}
	if ok, _ := s.Has("other:1"); !ok {
		t.Error("other:1 went with a's references")
	}
	if !exists(img.Layers[1].Dir) {
		t.Error("a layer other:1 holds went")
	}
}
