package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Whiteout names of the OCI layer format (inherited from AUFS).
const (
	whiteoutPrefix = ".wh."
	// whiteoutMeta prefixes AUFS bookkeeping entries that carry nothing for us.
	whiteoutMeta = ".wh..wh."
	opaqueMarker = ".wh..wh..opq"
)

// unpackTar extracts the layer tar r into dir, which must not exist. Entries stay inside
// dir whatever their names and links say (os.Root refuses escapes). With privileged,
// ownership, device nodes and xattrs are applied and whiteouts take overlayfs form;
// without it, whiteouts are only recorded in the returned record.
func unpackTar(r io.Reader, dir string, privileged bool) (layerRecord, error) {
	var rec layerRecord
	if err := os.Mkdir(dir, 0o755); err != nil {
		return rec, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return rec, err
	}
	defer root.Close()
	u := unpacker{root: root, privileged: privileged, rec: &rec, dirHeaders: map[string]*tar.Header{}}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rec, fmt.Errorf("reading layer: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return rec, fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
	}
	// Directories get their own modes and times last: creating their children changed
	// the times, and a read-only mode would have stopped us writing them. A directory
	// listed twice takes its last header.
	for i := len(u.dirs) - 1; i >= 0; i-- {
		p := u.dirs[i]
		hdr := u.dirHeaders[p]
		if hdr == nil {
			continue
		}
		delete(u.dirHeaders, p)
		if err := u.finish(p, hdr); err != nil {
			return rec, fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
	}
	return rec, nil
}

type unpacker struct {
	root       *os.Root
	privileged bool
	rec        *layerRecord
	// dirs are the directories in the order they first appeared, dirHeaders their last
	// headers.
	dirs       []string
	dirHeaders map[string]*tar.Header
}

// cleanEntry maps an entry name to a path relative to the layer root ("." for the root);
// leading slashes and ".." above the root are dropped, as tar -x would.
func cleanEntry(name string) string {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	if p == "" {
		return "."
	}
	return p
}

func (u *unpacker) entry(hdr *tar.Header, content io.Reader) error {
	p := cleanEntry(hdr.Name)
	parent, base := path.Dir(p), path.Base(p)
	if p == "." {
		if hdr.Typeflag == tar.TypeDir {
			u.addDir(".", hdr)
		}
		return nil
	}
	if parent != "." {
		if err := u.root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(parent, base)
	}
	if err := replaceExisting(u.root, p, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := u.root.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		u.addDir(p, hdr)
		return nil
	case tar.TypeReg:
		return u.regular(p, hdr, content)
	case tar.TypeSymlink:
		if err := u.root.Symlink(hdr.Linkname, p); err != nil {
			return err
		}
		if u.privileged {
			return u.root.Lchown(p, hdr.Uid, hdr.Gid)
		}
		return nil
	case tar.TypeLink:
		return u.root.Link(cleanEntry(hdr.Linkname), p)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return u.special(p, hdr)
	default:
		// Global headers and types no image layer should hold: nothing to create.
		return nil
	}
}

func (u *unpacker) addDir(p string, hdr *tar.Header) {
	if _, ok := u.dirHeaders[p]; !ok {
		u.dirs = append(u.dirs, p)
	}
	u.dirHeaders[p] = hdr
}

func (u *unpacker) regular(p string, hdr *tar.Header, content io.Reader) error {
	f, err := u.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, content); err != nil {
		f.Close()
		return err
	}
	if err := u.attributes(f, hdr); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return u.root.Chtimes(p, accessTime(hdr), hdr.ModTime)
}

// attributes sets owner (first: chown clears set-user-ID bits), mode and xattrs.
func (u *unpacker) attributes(f *os.File, hdr *tar.Header) error {
	if u.privileged {
		if err := f.Chown(hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	if err := f.Chmod(hdr.FileInfo().Mode()); err != nil {
		return err
	}
	if !u.privileged {
		return nil
	}
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		if err := unix.Fsetxattr(int(f.Fd()), name, []byte(v), 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	return nil
}

// finish applies a directory's own attributes after its children exist.
func (u *unpacker) finish(p string, hdr *tar.Header) error {
	d, err := u.root.Open(p)
	if err != nil {
		return err
	}
	err = u.attributes(d, hdr)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return u.root.Chtimes(p, accessTime(hdr), hdr.ModTime)
}

// special creates device nodes (root only; without root they are left out) and FIFOs.
func (u *unpacker) special(p string, hdr *tar.Header) error {
	mode := uint32(hdr.FileInfo().Mode().Perm())
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	if hdr.Typeflag != tar.TypeFifo && !u.privileged {
		return nil
	}
	if err := mknodAt(u.root, p, mode, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))); err != nil {
		return err
	}
	if u.privileged {
		if err := u.root.Lchown(p, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	// mknod applied the umask.
	return u.root.Chmod(p, hdr.FileInfo().Mode().Perm())
}

// whiteout handles .wh.<name> (name deleted from the layers below) and .wh..wh..opq (the
// directory hides everything below it).
func (u *unpacker) whiteout(parent, base string) error {
	switch {
	case base == opaqueMarker:
		if !u.privileged {
			u.rec.Opaques = append(u.rec.Opaques, parent)
			return nil
		}
		return makeOpaque(u.root, parent)
	case strings.HasPrefix(base, whiteoutMeta):
		return nil
	default:
		target := path.Join(parent, strings.TrimPrefix(base, whiteoutPrefix))
		if !u.privileged {
			u.rec.Whiteouts = append(u.rec.Whiteouts, target)
			return nil
		}
		return makeWhiteout(u.root, target)
	}
}

// replaceExisting removes what a later entry of the same name replaces; a directory
// replacing a directory keeps it (and its children).
func replaceExisting(root *os.Root, p string, isDir bool) error {
	fi, err := root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if isDir && fi.IsDir() {
		return nil
	}
	return root.RemoveAll(p)
}

func accessTime(hdr *tar.Header) time.Time {
	if hdr.AccessTime.IsZero() {
		return hdr.ModTime
	}
	return hdr.AccessTime
}

// mknodAt creates a node at p relative to root, through its parent's descriptor so the
// path cannot leave the root.
func mknodAt(root *os.Root, p string, mode uint32, dev int) error {
	parent, err := root.Open(path.Dir(p))
	if err != nil {
		return err
	}
	defer parent.Close()
	if err := unix.Mknodat(int(parent.Fd()), path.Base(p), mode, dev); err != nil {
		return &fs.PathError{Op: "mknod", Path: p, Err: err}
	}
	return nil
}
