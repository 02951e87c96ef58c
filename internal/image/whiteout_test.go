package image

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// deletingImage has a lower layer and an upper one that deletes a file, a directory
// tree and the whole content of an opaque directory, then adds to it again.
func deletingImage(t *testing.T) v1.Image {
	return imageOf(t, []string{"sh"},
		layerOf(t, dir("a/"), file("a/keep", "k"), file("a/gone", "g"), dir("tree/"), file("tree/x", "x"),
			dir("o/"), file("o/lower", "l"), file("top", "t")),
		layerOf(t, dir("a/"), file("a/.wh.gone", ""), file(".wh.tree", ""), dir("o/"), file("o/.wh..wh..opq", ""),
			file("o/new", "n"), file(".wh..wh.plnk", ""), file(".wh.top", "")))
}

func isWhiteout(t *testing.T, p string) bool {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		return false
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode()&os.ModeCharDevice != 0 && st.Rdev == 0
}

func isOpaque(p string) bool {
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(p, opaqueXattr, buf)
	return err == nil && string(buf[:n]) == "y"
}

func TestWhiteoutsConverted(t *testing.T) {
	needRoot(t)
	s := newStore(t, true)
	img := put(t, s, deletingImage(t), "whiteouts:1")
	if err := img.CheckOverlay(); err != nil {
		t.Fatal(err)
	}
	upper := img.Layers[1].Dir
	for _, p := range []string{"a/gone", "tree", "top"} {
		if !isWhiteout(t, filepath.Join(upper, p)) {
			t.Errorf("%s is not a 0/0 character device", p)
		}
	}
	for _, p := range []string{"a/.wh.gone", ".wh.tree", "o/.wh..wh..opq", ".wh..wh.plnk"} {
		if exists(filepath.Join(upper, p)) {
			t.Errorf("%s was written as a file", p)
		}
	}
	if !isOpaque(filepath.Join(upper, "o")) {
		t.Error("o has no trusted.overlay.opaque=y")
	}
	if isOpaque(filepath.Join(upper, "a")) {
		t.Error("a is opaque")
	}
	checkOverlayView(t, img)
}

// checkOverlayView mounts the layers with overlayfs and looks at what a container sees.
func checkOverlayView(t *testing.T, img *Image) {
	t.Helper()
	lower := img.LayerDirs()
	for i, j := 0, len(lower)-1; i < j; i, j = i+1, j-1 {
		lower[i], lower[j] = lower[j], lower[i]
	}
	mnt := t.TempDir()
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("cannot mount overlayfs here: %v", err)
		}
		t.Fatalf("mount overlay: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	var seen []string
	filepath.WalkDir(mnt, func(p string, _ os.DirEntry, err error) error {
		if err == nil && p != mnt {
			rel, _ := filepath.Rel(mnt, p)
			seen = append(seen, rel)
		}
		return nil
	})
	sort.Strings(seen)
	if want := []string{"a", "a/keep", "o", "o/new"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("the container sees %v, want %v", seen, want)
	}
}

func TestWhiteoutsRecordedWithoutRoot(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, false)
	img := put(t, s, deletingImage(t), "whiteouts:1")
	if img.Layers[0].UnconvertedWhiteouts != 0 || img.Layers[1].UnconvertedWhiteouts != 4 {
		t.Errorf("unconverted whiteouts %d, %d; want 0, 4", img.Layers[0].UnconvertedWhiteouts, img.Layers[1].UnconvertedWhiteouts)
	}
	if err := img.CheckOverlay(); err == nil || !strings.Contains(err.Error(), "without root") {
		t.Errorf("CheckOverlay = %v, want an error that says why", err)
	}
	upper := img.Layers[1].Dir
	for _, p := range []string{"a/gone", "tree", "top", "a/.wh.gone", "o/.wh..wh..opq"} {
		if exists(filepath.Join(upper, p)) {
			t.Errorf("%s exists in the unconverted layer", p)
		}
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(upper), "layer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec layerRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	sort.Strings(rec.Whiteouts)
	if want := []string{"a/gone", "top", "tree"}; !reflect.DeepEqual(rec.Whiteouts, want) || !reflect.DeepEqual(rec.Opaques, []string{"o"}) {
		t.Errorf("recorded %+v, want whiteouts %v and opaque o", rec, want)
	}

	// A process with root converts them when it first uses the image.
	if os.Geteuid() != 0 {
		return
	}
	privileged, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, err = privileged.Get(ctx, "whiteouts:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := img.CheckOverlay(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a/gone", "tree", "top"} {
		if !isWhiteout(t, filepath.Join(upper, p)) {
			t.Errorf("%s not converted", p)
		}
	}
	if !isOpaque(filepath.Join(upper, "o")) {
		t.Error("o not made opaque")
	}
	checkOverlayView(t, img)
	// The unprivileged store sees the conversion.
	img, err = s.Get(ctx, "whiteouts:1")
	if err != nil || img.CheckOverlay() != nil {
		t.Errorf("after conversion: %v, %v", err, img.CheckOverlay())
	}
}
