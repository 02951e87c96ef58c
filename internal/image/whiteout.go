package image

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Whiteouts in overlayfs form, as containerd's overlay snapshotter writes them: a deleted
// name is a character device 0/0, an opaque directory has trusted.overlay.opaque=y. Both
// need CAP_MKNOD and CAP_SYS_ADMIN.
const opaqueXattr = "trusted.overlay.opaque"

func makeWhiteout(root *os.Root, p string) error {
	if err := replaceExisting(root, p, false); err != nil {
		return err
	}
	return mknodAt(root, p, unix.S_IFCHR, 0)
}

func makeOpaque(root *os.Root, dir string) error {
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Fsetxattr(int(d.Fd()), opaqueXattr, []byte("y"), 0); err != nil {
		return fmt.Errorf("setting %s on %s: %w", opaqueXattr, dir, err)
	}
	return nil
}

// convertWhiteouts turns the whiteouts a process without root recorded into overlayfs
// form, in the unpacked layer fsDir.
func convertWhiteouts(fsDir string, rec layerRecord) error {
	root, err := os.OpenRoot(fsDir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, dir := range rec.Opaques {
		if err := makeOpaque(root, dir); err != nil {
			return err
		}
	}
	for _, p := range rec.Whiteouts {
		if err := makeWhiteout(root, p); err != nil {
			return err
		}
	}
	return nil
}
