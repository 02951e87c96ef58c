package shareddir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree makes a shared directory and, beside it, a directory outside that no operation may
// touch (holding a file "keep").
func tree(t *testing.T) (base, outside string) {
	t.Helper()
	top := t.TempDir()
	base, outside = filepath.Join(top, "shared"), filepath.Join(top, "outside")
	for _, d := range []string{base, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(outside, "keep"))
	return base, outside
}

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func wantError(t *testing.T, err error, contains string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %v, want one containing %q", err, contains)
	}
}

func TestMake(t *testing.T) {
	base, _ := tree(t)
	if err := Make(base, "default/web-0"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(base, "default/web-0"))
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Fatalf("made %v, %v: want a 0777 directory", info, err)
	}
	// An existing directory keeps its data and mode.
	write(t, filepath.Join(base, "default/web-0/data"))
	if err := os.Chmod(filepath.Join(base, "default/web-0"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Make(base, "default/web-0"); err != nil {
		t.Fatal(err)
	}
	info, _ = os.Stat(filepath.Join(base, "default/web-0"))
	if info.Mode().Perm() != 0o700 || !exists(filepath.Join(base, "default/web-0/data")) {
		t.Errorf("existing directory changed: mode %v", info.Mode())
	}
}

func TestMakeThroughLinkedBase(t *testing.T) {
	base, _ := tree(t)
	link := filepath.Join(t.TempDir(), "mnt")
	if err := os.Symlink(base, link); err != nil {
		t.Fatal(err)
	}
	if err := Make(link, "v"); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(base, "v")) {
		t.Error("the directory is not in the linked shared directory")
	}
}

func TestMakeRefuses(t *testing.T) {
	base, outside := tree(t)
	if err := os.Symlink(outside, filepath.Join(base, "planted")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(base, "file"))
	tests := []struct {
		name, base, rel, want string
	}{
		{"a link on the way", base, "planted/v", "is a symbolic link"},
		{"a link in the volume's place", base, "planted", "is a symbolic link"},
		{"a file in the volume's place", base, "file", "is not a directory"},
		{"a file on the way", base, "file/v", "is not a directory"},
		{"a path out of the shared directory", base, "../outside/v", "does not name a directory below"},
		{"an absolute path", base, "/tmp/v", "does not name a directory below"},
		{"an unclean path", base, "a//b", "does not name a directory below"},
		{"the shared directory itself", base, ".", "does not name a directory below"},
		{"no shared directory here", filepath.Join(base, "missing"), "v", "does not exist on this machine (is the share mounted here?)"},
		{"the root as shared directory", "/", "v", "must be an absolute path other than /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, Make(tt.base, tt.rel), tt.want)
		})
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 1 {
		t.Errorf("something was made outside the shared directory: %v", entries)
	}
}

func TestCheck(t *testing.T) {
	base, outside := tree(t)
	if err := Make(base, "ns/v"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(base, "ns/link")); err != nil {
		t.Fatal(err)
	}
	if err := Check(base, "ns/v"); err != nil {
		t.Errorf("Check(ns/v): %v", err)
	}
	for _, rel := range []string{"ns/missing", "missing/v"} {
		if err := Check(base, rel); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Check(%s) = %v, want not found", rel, err)
		}
	}
	wantError(t, Check(base, "ns/link"), "is a symbolic link")
	wantError(t, Check(base, "ns/link/keep"), "is a symbolic link")
}

func TestRemove(t *testing.T) {
	base, outside := tree(t)
	if err := Make(base, "ns/v"); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(base, "ns/v/data"))
	// A link inside the volume to data outside it: only the link goes.
	if err := os.Symlink(outside, filepath.Join(base, "ns/v/link")); err != nil {
		t.Fatal(err)
	}
	if err := Remove(base, "ns/v"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(base, "ns/v")) || !exists(filepath.Join(base, "ns")) {
		t.Error("want ns/v gone and ns kept")
	}
	if !exists(filepath.Join(outside, "keep")) {
		t.Fatal("removed data outside the shared directory")
	}
	// Gone already, or never there: nothing to do.
	for _, rel := range []string{"ns/v", "missing/v"} {
		if err := Remove(base, rel); err != nil {
			t.Errorf("Remove(%s): %v", rel, err)
		}
	}
}

func TestRemoveNeverLeavesTheSharedDirectory(t *testing.T) {
	base, outside := tree(t)
	if err := os.Mkdir(filepath.Join(outside, "v"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(outside, "v", "data"))
	if err := os.Symlink(outside, filepath.Join(base, "planted")); err != nil {
		t.Fatal(err)
	}
	wantError(t, Remove(base, "planted/v"), "is a symbolic link")
	// A link in the volume's own place loses only the link.
	if err := Remove(base, "planted"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(base, "planted")) || !exists(filepath.Join(outside, "v", "data")) {
		t.Error("want the link gone and what it pointed at kept")
	}
	wantError(t, Remove(filepath.Join(base, "unmounted"), "v"), "does not exist on this machine")
}

func TestArchive(t *testing.T) {
	base, _ := tree(t)
	for _, d := range []string{"v", "archived-v", "w"} {
		if err := Make(base, d); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(base, d, "data-"+d))
	}
	// The first name is taken by an earlier archive, which is kept.
	got, err := Archive(base, "v", "archived-v", "archived-v-pvc-1")
	if err != nil || got != "archived-v-pvc-1" {
		t.Fatalf("Archive = %q, %v", got, err)
	}
	if exists(filepath.Join(base, "v")) || !exists(filepath.Join(base, "archived-v-pvc-1", "data-v")) ||
		!exists(filepath.Join(base, "archived-v", "data-archived-v")) {
		t.Error("want v moved to archived-v-pvc-1 and archived-v kept")
	}
	// Archived already: nothing to do.
	if got, err := Archive(base, "v", "archived-v"); err != nil || got != "" {
		t.Errorf("second Archive = %q, %v; want nothing done", got, err)
	}
	_, err = Archive(base, "w", "archived-v")
	wantError(t, err, "archived-v all exist")
	if !exists(filepath.Join(base, "w", "data-w")) {
		t.Error("w changed although it could not be archived")
	}
	_, err = Archive(base, "w", "missing/archived-w")
	wantError(t, err, "its directory does not exist")
	_, err = Archive(filepath.Join(base, "unmounted"), "w", "archived-w")
	wantError(t, err, "does not exist on this machine")
}
