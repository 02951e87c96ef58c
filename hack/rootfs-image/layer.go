package main

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// epoch is every timestamp in the layer, so that one tree always gives one diffID.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// keptXattrs are the extended attributes copied into the layer: file capabilities, which
// packages such as iputils-ping set instead of the set-user-ID bit.
var keptXattrs = []string{"security.capability"}

// writeLayerFile writes the rootfs as a gzip-compressed layer tar to path.
func writeLayerFile(path, rootfs string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		f.Close()
		return err
	}
	err = writeLayer(zw, rootfs)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeLayer writes the tree under rootfs as an uncompressed layer tar, in lexical order.
func writeLayer(w io.Writer, rootfs string) error {
	root, err := os.Lstat(rootfs)
	if err != nil {
		return err
	}
	if !root.IsDir() {
		return fmt.Errorf("%s is not a directory", rootfs)
	}
	rootDev := root.Sys().(*syscall.Stat_t).Dev
	tw := tar.NewWriter(w)
	// links maps a (device, inode) of a multiply-linked file to the first name written,
	// so later names become hard links, as in the tree.
	links := map[[2]uint64]string{}
	err = filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(rootfs, path)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		hdr := &tar.Header{
			Name:    filepath.ToSlash(rel),
			Mode:    int64(st.Mode & 0o7777),
			Uid:     int(st.Uid),
			Gid:     int(st.Gid),
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		switch fi.Mode().Type() {
		case fs.ModeDir:
			if st.Dev != rootDev {
				return fmt.Errorf("%s is a mount point: unmount it before packing the rootfs", path)
			}
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case fs.ModeSymlink:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case fs.ModeNamedPipe:
			hdr.Typeflag = tar.TypeFifo
		case 0:
			key := [2]uint64{uint64(st.Dev), st.Ino}
			if first, ok := links[key]; ok {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				break
			}
			if st.Nlink > 1 {
				links[key] = hdr.Name
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
			if hdr.PAXRecords, err = xattrRecords(path); err != nil {
				return err
			}
		default:
			// Device nodes and sockets: the runtime gives every container its own /dev.
			return nil
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		return copyFile(tw, path, hdr.Size)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// copyFile copies exactly size bytes of path, failing if the file changed meanwhile.
func copyFile(w io.Writer, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("shrank from %d to %d bytes while packing", size, n)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// xattrRecords reads the kept extended attributes of path as PAX records.
func xattrRecords(path string) (map[string]string, error) {
	var recs map[string]string
	buf := make([]byte, 256)
	for _, name := range keptXattrs {
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: xattr %s: %w", path, name, err)
		}
		if recs == nil {
			recs = map[string]string{}
		}
		recs["SCHILY.xattr."+name] = string(buf[:n])
	}
	return recs, nil
}
