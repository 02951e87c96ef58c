package volume

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestLocalVolumeDir(t *testing.T) {
	tests := []struct {
		name string
		root string
		pv   *corev1.PersistentVolume
		want string // "" when refused
	}{
		{"the volume's own directory", "/data/volumes", localPV("pvc-1", "/data/volumes", "n"), "/data/volumes/pvc-1"},
		{"a root with a trailing slash", "/data/volumes/", localPV("pvc-1", "/data/volumes", "n"), "/data/volumes/pvc-1"},
		{"a path outside root", "/data/volumes", localPV("pvc-1", "/etc", "n"), ""},
		{"a path climbing out of root", "/data/volumes", localPV("pvc-1", "/data/volumes/../../etc", "n"), ""},
		{"a path not named after the volume", "/data/volumes", localPV("pvc-1", "/data/volumes", "n", func(pv *corev1.PersistentVolume) {
			pv.Spec.HostPath.Path = "/data/volumes/pvc-2"
		}), ""},
		{"the root itself", "/data/volumes", localPV("pvc-1", "/data/volumes", "n", func(pv *corev1.PersistentVolume) {
			pv.Spec.HostPath.Path = "/data/volumes"
		}), ""},
		{"a relative root", "volumes", localPV("pvc-1", "volumes", "n"), ""},
		{"root /", "/", localPV("pvc-1", "", "n"), ""},
		{"no hostPath", "/data/volumes", localPV("pvc-1", "/data/volumes", "n", func(pv *corev1.PersistentVolume) {
			pv.Spec.HostPath = nil
			pv.Spec.Local = &corev1.LocalVolumeSource{Path: "/data/volumes/pvc-1"}
		}), ""},
		{"a name that is not a directory name", "/data/volumes", localPV("..", "/data/volumes", "n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := localVolumeDir(tt.root, tt.pv)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted %q", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// populate makes a volume directory with nested content, read-only parts included.
func populate(t *testing.T, dir string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "a", "b", "f"), []byte("data"), 0o444))
	must(t, os.WriteFile(filepath.Join(dir, "top"), []byte("data"), 0o600))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestRemoveVolumeDir(t *testing.T) {
	t.Run("removes the directory and everything in it", func(t *testing.T) {
		root := t.TempDir()
		pv := localPV("pvc-1", root, "n")
		populate(t, filepath.Join(root, "pvc-1"))
		must(t, removeVolumeDir(root, pv))
		if exists(filepath.Join(root, "pvc-1")) {
			t.Fatal("directory still there")
		}
		if !exists(root) {
			t.Fatal("root removed")
		}
	})
	t.Run("a directory already gone is fine", func(t *testing.T) {
		root := t.TempDir()
		must(t, removeVolumeDir(root, localPV("pvc-1", root, "n")))
	})
	t.Run("a root that does not exist is fine", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "never-made")
		must(t, removeVolumeDir(root, localPV("pvc-1", root, "n")))
	})
	t.Run("refuses a path outside root and leaves it alone", func(t *testing.T) {
		root, elsewhere := t.TempDir(), t.TempDir()
		populate(t, filepath.Join(elsewhere, "pvc-1"))
		err := removeVolumeDir(root, localPV("pvc-1", elsewhere, "n"))
		if err == nil || !strings.Contains(err.Error(), "not "+filepath.Join(root, "pvc-1")) {
			t.Fatalf("error %v", err)
		}
		if !exists(filepath.Join(elsewhere, "pvc-1", "a", "b", "f")) {
			t.Fatal("removed data outside root")
		}
	})
	t.Run("a volume directory that is a symlink loses only the link", func(t *testing.T) {
		root, elsewhere := t.TempDir(), t.TempDir()
		populate(t, elsewhere)
		must(t, os.Symlink(elsewhere, filepath.Join(root, "pvc-1")))
		must(t, removeVolumeDir(root, localPV("pvc-1", root, "n")))
		if exists(filepath.Join(root, "pvc-1")) {
			t.Fatal("link still there")
		}
		if !exists(filepath.Join(elsewhere, "a", "b", "f")) {
			t.Fatal("followed the link out of root")
		}
	})
	t.Run("symlinks inside the volume are removed, not followed", func(t *testing.T) {
		root, elsewhere := t.TempDir(), t.TempDir()
		populate(t, elsewhere)
		dir := filepath.Join(root, "pvc-1")
		populate(t, dir)
		must(t, os.Symlink(elsewhere, filepath.Join(dir, "a", "escape")))
		must(t, os.Symlink(filepath.Join(elsewhere, "top"), filepath.Join(dir, "file-link")))
		must(t, removeVolumeDir(root, localPV("pvc-1", root, "n")))
		if exists(dir) {
			t.Fatal("directory still there")
		}
		if !exists(filepath.Join(elsewhere, "a", "b", "f")) || !exists(filepath.Join(elsewhere, "top")) {
			t.Fatal("followed a link out of the volume")
		}
	})
	t.Run("a root that is itself a symlink is followed once", func(t *testing.T) {
		real := t.TempDir()
		root := filepath.Join(t.TempDir(), "volumes")
		must(t, os.Symlink(real, root))
		populate(t, filepath.Join(real, "pvc-1"))
		must(t, removeVolumeDir(root, localPV("pvc-1", root, "n")))
		if exists(filepath.Join(real, "pvc-1")) {
			t.Fatal("directory still there")
		}
	})
}
