package volume

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// localVolumeDir is the directory of a local-path volume under root, after checking that
// the volume's hostPath is exactly <root>/<volume name>: a volume object saying anything else
// (edited by hand, or from a node whose root differs) is refused rather than trusted with a
// path to create or remove.
func localVolumeDir(root string, pv *corev1.PersistentVolume) (string, error) {
	if root == "" || !filepath.IsAbs(root) || filepath.Clean(root) == "/" {
		return "", fmt.Errorf("volume directory %q must be an absolute path other than /", root)
	}
	name := pv.Name
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return "", fmt.Errorf("volume name %q cannot name a directory", name)
	}
	if pv.Spec.HostPath == nil {
		return "", fmt.Errorf("local-path volume %s has no hostPath", name)
	}
	want := filepath.Join(filepath.Clean(root), name)
	if filepath.Clean(pv.Spec.HostPath.Path) != want {
		return "", fmt.Errorf("local-path volume %s has path %s, not %s under this node's volume directory", name, pv.Spec.HostPath.Path, want)
	}
	return want, nil
}

// removeVolumeDir removes a local-path volume's directory and everything in it without ever
// leaving root: the root itself may be a symlink (a data dir on another disk) and is
// resolved once; a volume directory that is a symlink loses only the link; inside it
// os.RemoveAll unlinks entries relative to open directories and never follows links. A
// directory already gone is not an error.
func removeVolumeDir(root string, pv *corev1.PersistentVolume) error {
	if _, err := localVolumeDir(root, pv); err != nil {
		return err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	dir := filepath.Join(realRoot, pv.Name)
	info, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return os.Remove(dir)
	}
	return os.RemoveAll(dir)
}
