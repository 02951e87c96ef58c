package volume

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
)

func TestPrepareLocalVolume(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	root := filepath.Join(t.TempDir(), "volumes")
	pv := localPV("pvc-1", root, "n", phase(corev1.VolumeBound))
	path, err := PrepareLocalVolume(root, pv)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(root, "pvc-1") {
		t.Fatalf("path %q", path)
	}
	info, err := os.Stat(path)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Fatalf("stat %v, %v", info, err)
	}
	must(t, os.WriteFile(filepath.Join(path, "kept"), []byte("x"), 0o644))
	if _, err := PrepareLocalVolume(root, pv); err != nil {
		t.Fatalf("second prepare: %v", err)
	}
	if !exists(filepath.Join(path, "kept")) {
		t.Fatal("second prepare lost data")
	}
}

func TestPrepareLocalVolumeRefuses(t *testing.T) {
	t.Run("a path outside root", func(t *testing.T) {
		root, elsewhere := t.TempDir(), t.TempDir()
		if _, err := PrepareLocalVolume(root, localPV("pvc-1", elsewhere, "n")); err == nil {
			t.Fatal("accepted")
		}
		if exists(filepath.Join(elsewhere, "pvc-1")) {
			t.Fatal("created a directory outside root")
		}
	})
	t.Run("a volume directory replaced by a symlink", func(t *testing.T) {
		root, elsewhere := t.TempDir(), t.TempDir()
		must(t, os.Symlink(elsewhere, filepath.Join(root, "pvc-1")))
		if _, err := PrepareLocalVolume(root, localPV("pvc-1", root, "n")); err == nil {
			t.Fatal("accepted a symlink")
		}
	})
}

func TestPrepareHostPathVolume(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	must(t, os.WriteFile(file, nil, 0o644))
	hostPath := func(path string, typ corev1.HostPathType) *corev1.PersistentVolume {
		pv := &corev1.PersistentVolume{}
		pv.Name = "static"
		pv.Spec.HostPath = &corev1.HostPathVolumeSource{Path: path, Type: ptr.To(typ)}
		return pv
	}
	tests := []struct {
		name    string
		pv      *corev1.PersistentVolume
		wantErr bool
	}{
		{"DirectoryOrCreate makes the directory", hostPath(filepath.Join(dir, "new", "sub"), corev1.HostPathDirectoryOrCreate), false},
		{"Directory that exists", hostPath(dir, corev1.HostPathDirectory), false},
		{"Directory that is missing", hostPath(filepath.Join(dir, "missing"), corev1.HostPathDirectory), true},
		{"Directory that is a file", hostPath(file, corev1.HostPathDirectory), true},
		{"File", hostPath(file, corev1.HostPathFile), false},
		{"FileOrCreate makes the file", hostPath(filepath.Join(dir, "made"), corev1.HostPathFileOrCreate), false},
		{"Socket that is a file", hostPath(file, corev1.HostPathSocket), true},
		{"no type, no check", hostPath(filepath.Join(dir, "anything"), corev1.HostPathUnset), false},
		{"local volume that exists", &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
			Local: &corev1.LocalVolumeSource{Path: dir}}}}, false},
		{"nfs is not supported", &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
			NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, err := PrepareLocalVolume("/unused", tt.pv)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && tt.pv.Spec.HostPath != nil && *tt.pv.Spec.HostPath.Type != corev1.HostPathUnset && !exists(path) {
				t.Fatalf("%s does not exist", path)
			}
		})
	}
}

// sharedPV is a shared-path volume in root at dir, as the control plane provisions it.
func sharedPV(name, root, dir string) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{}
	pv.Name = name
	pv.Annotations = map[string]string{
		volumectl.AnnProvisionedBy:  volumectl.SharedPathProvisioner,
		volumectl.AnnSharedPathRoot: root,
	}
	pv.Spec.HostPath = &corev1.HostPathVolumeSource{Path: filepath.Join(root, dir), Type: ptr.To(corev1.HostPathDirectory)}
	return pv
}

func TestPrepareSharedVolume(t *testing.T) {
	shared, elsewhere := t.TempDir(), t.TempDir()
	must(t, os.MkdirAll(filepath.Join(shared, "ns", "data"), 0o777))
	must(t, os.Symlink(elsewhere, filepath.Join(shared, "planted")))
	// The node's own volume directory (the first argument) plays no part.
	path, err := PrepareLocalVolume("/unused", sharedPV("pvc-1", shared, "ns/data"))
	if err != nil || path != filepath.Join(shared, "ns", "data") {
		t.Fatalf("PrepareLocalVolume = %q, %v", path, err)
	}
	tests := []struct {
		name string
		pv   *corev1.PersistentVolume
		want string
	}{
		{"a directory this node does not see: the share is not mounted here", sharedPV("pvc-2", shared, "ns/missing"),
			"shared-path volume pvc-2: directory " + filepath.Join(shared, "ns/missing") + " not found on this node (is " + shared + " mounted here, as on every node?)"},
		{"no shared directory at all on this node", sharedPV("pvc-3", filepath.Join(shared, "unmounted"), "d"),
			"shared-path volume pvc-3: shared directory " + filepath.Join(shared, "unmounted") + " does not exist on this machine (is the share mounted here?)"},
		{"a link planted on the way", sharedPV("pvc-4", shared, "planted/d"),
			"shared-path volume pvc-4: " + filepath.Join(shared, "planted") + " is a symbolic link: refusing to follow it"},
		{"a path outside its root", sharedPV("pvc-5", shared, "../x"),
			"shared-path volume pvc-5: its path " + filepath.Join(shared, "../x") + " is not inside its shared directory " + shared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PrepareLocalVolume("/unused", tt.pv)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant %s", err, tt.want)
			}
		})
	}
	// Nothing is ever made on the node's side.
	if exists(filepath.Join(shared, "ns", "missing")) || exists(filepath.Join(elsewhere, "d")) {
		t.Error("prepare made a directory")
	}
}
