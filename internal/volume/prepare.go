package volume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/volume/shareddir"
)

// PrepareLocalVolume makes sure the storage of a persistent volume that a pod on this node
// is about to mount exists, and returns its path on the host. root is this node's volume
// directory (<data-dir>/volumes).
//
// A local-path volume's directory is created world-writable (0777), as upstream's
// local-path-provisioner does, so that containers running as any user can write to it; it
// must be <root>/<volume name> and must not be a symlink. A shared-path volume's directory
// must already be there (see prepareSharedVolume). Other hostPath volumes follow
// the kubelet's hostPath type checks (DirectoryOrCreate makes a 0755 directory); a local
// volume's path must already exist. Other volume sources are not supported by ordinal nodes.
func PrepareLocalVolume(root string, pv *corev1.PersistentVolume) (string, error) {
	switch {
	case volumectl.IsLocalVolume(pv):
		dir, err := localVolumeDir(root, pv)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return "", err
		}
		info, err := os.Lstat(dir)
		if err != nil {
			return "", err
		}
		if !info.IsDir() {
			return "", fmt.Errorf("local-path volume %s: %s is not a directory", pv.Name, dir)
		}
		// MkdirAll's mode is filtered by the umask.
		if err := os.Chmod(dir, 0o777); err != nil {
			return "", err
		}
		return dir, nil
	case volumectl.IsSharedVolume(pv):
		return prepareSharedVolume(pv)
	case pv.Spec.HostPath != nil:
		if err := checkHostPath(pv.Spec.HostPath); err != nil {
			return "", fmt.Errorf("volume %s: %w", pv.Name, err)
		}
		return pv.Spec.HostPath.Path, nil
	case pv.Spec.Local != nil:
		if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
			return "", fmt.Errorf("local volume %s: %w", pv.Name, err)
		}
		return pv.Spec.Local.Path, nil
	}
	return "", fmt.Errorf("volume %s: only hostPath and local volumes can be mounted on ordinal nodes", pv.Name)
}

// prepareSharedVolume checks that a shared-path volume's directory, made on the share when
// the volume was provisioned, is here, and returns its path. It is never made here: a node
// that does not see it does not have the share mounted, and a directory on its own disk
// would hand the pod a blank volume while its data is on the share.
func prepareSharedVolume(pv *corev1.PersistentVolume) (string, error) {
	root, dir, err := volumectl.SharedVolumeDir(pv)
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, dir)
	if err := shareddir.Check(root, dir); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("shared-path volume %s: directory %s not found on this node (is %s mounted here, as on every node?)", pv.Name, path, root)
	} else if err != nil {
		return "", fmt.Errorf("shared-path volume %s: %w", pv.Name, err)
	}
	return path, nil
}

// checkHostPath applies a hostPath volume's type: create what the *OrCreate types ask for,
// check the kind of what the others name. No type means no check.
func checkHostPath(hp *corev1.HostPathVolumeSource) error {
	if hp.Type == nil {
		return nil
	}
	path := hp.Path
	switch *hp.Type {
	case corev1.HostPathUnset:
		return nil
	case corev1.HostPathDirectoryOrCreate:
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
	case corev1.HostPathFileOrCreate:
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("hostPath type check failed: %w", err)
	}
	mode := info.Mode()
	var bad bool
	var what string
	switch *hp.Type {
	case corev1.HostPathDirectory, corev1.HostPathDirectoryOrCreate:
		bad, what = !mode.IsDir(), "a directory"
	case corev1.HostPathFile, corev1.HostPathFileOrCreate:
		bad, what = !mode.IsRegular(), "a file"
	case corev1.HostPathSocket:
		bad, what = mode&os.ModeSocket == 0, "a socket file"
	case corev1.HostPathCharDev:
		bad, what = mode&os.ModeCharDevice == 0, "a character device"
	case corev1.HostPathBlockDev:
		bad, what = mode&os.ModeDevice == 0 || mode&os.ModeCharDevice != 0, "a block device"
	default:
		return errors.New("hostPath type " + string(*hp.Type) + " is not supported")
	}
	if bad {
		return fmt.Errorf("hostPath type check failed: %s is not %s", path, what)
	}
	return nil
}
