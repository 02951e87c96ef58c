// Package shareddir makes, removes and archives the directories of shared-path volumes: sub-
// directories of a shared directory, one mounted at the same path on every machine of the
// cluster (an NFS export, say).
//
// Every function takes base, a directory the caller trusts (named by the operator, or the
// root a volume records), and paths relative to it. base may be a symbolic link and is
// resolved once; below it no link is ever followed. Pods write inside volume directories, so
// a link one of them plants (where a volume of an odd pathPattern nests inside another's) can
// neither send a removal out of the shared directory nor make a volume directory elsewhere.
//
// A missing base is an error, never "nothing to do": it most likely means the share is not
// mounted on this machine, and treating an unmounted share as empty would lose track of data.
package shareddir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Make makes the directory rel below base, and any missing directory on the way, world-
// writable (0777, as NFS client provisioners do) so that containers running as any user can
// write to it. An existing directory is kept as it is: its data and mode are its owner's.
func Make(base, rel string) error {
	parent, last, err := open(base, rel, true)
	if err != nil {
		return err
	}
	dir := filepath.Join(parent, last)
	err = os.Mkdir(dir, 0o777)
	if err == nil {
		// Mkdir's mode is filtered by the umask.
		return os.Chmod(dir, 0o777)
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkDir(dir)
}

// Check reports whether the directory rel below base is there, reached without following a
// link; an error wrapping fs.ErrNotExist when it is missing.
func Check(base, rel string) error {
	parent, last, err := open(base, rel, false)
	if err != nil {
		return err
	}
	if parent == "" {
		return fmt.Errorf("%s: %w", filepath.Join(base, rel), fs.ErrNotExist)
	}
	if err := checkDir(filepath.Join(parent, last)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", filepath.Join(base, rel), fs.ErrNotExist)
	} else if err != nil {
		return err
	}
	return nil
}

// Remove removes the directory rel below base and everything in it; one already gone is not
// an error. A symbolic link or a file in its place loses only that entry. os.RemoveAll unlinks
// entries relative to open directories and never follows links inside.
func Remove(base, rel string) error {
	parent, last, err := open(base, rel, false)
	if err != nil || parent == "" {
		return err
	}
	dir := filepath.Join(parent, last)
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.IsDir():
		return os.RemoveAll(dir)
	}
	return os.Remove(dir)
}

// Archive renames the directory from (below base) to the first of targets (below base too)
// that does not exist yet, and returns that target; "" with no error when from is already
// gone (archived before). A target's directory must exist. os.Rename never replaces a
// directory that holds anything, so an archive is never lost to a later one.
func Archive(base, from string, targets ...string) (string, error) {
	parent, last, err := open(base, from, false)
	if err != nil || parent == "" {
		return "", err
	}
	source := filepath.Join(parent, last)
	if _, err := os.Lstat(source); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	for _, target := range targets {
		tparent, tlast, err := open(base, target, false)
		if err != nil {
			return "", err
		}
		if tparent == "" {
			return "", fmt.Errorf("cannot archive to %s: its directory does not exist", filepath.Join(base, target))
		}
		dest := filepath.Join(tparent, tlast)
		if _, err := os.Lstat(dest); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if err := os.Rename(source, dest); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// Archived a moment ago by someone else.
				return "", nil
			}
			return "", err
		}
		return target, nil
	}
	return "", fmt.Errorf("cannot archive %s: %s all exist", filepath.Join(base, from), strings.Join(targets, ", "))
}

// open resolves base and walks rel's parent directories below it, refusing links and
// non-directories. It returns the real path of rel's parent and rel's last element. A
// missing parent is made when create is set; otherwise parent is "" (nothing is there).
func open(base, rel string, create bool) (parent, last string, err error) {
	elems, err := split(rel)
	if err != nil {
		return "", "", err
	}
	dir, err := resolveBase(base)
	if err != nil {
		return "", "", err
	}
	for _, e := range elems[:len(elems)-1] {
		dir = filepath.Join(dir, e)
		err := checkDir(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !create:
			return "", "", nil
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o777); err != nil && !errors.Is(err, fs.ErrExist) {
				return "", "", err
			}
			if err := checkDir(dir); err != nil {
				return "", "", err
			}
		case err != nil:
			return "", "", err
		}
	}
	return dir, elems[len(elems)-1], nil
}

// resolveBase checks base and resolves the links in it.
func resolveBase(base string) (string, error) {
	if !filepath.IsAbs(base) || filepath.Clean(base) == "/" {
		return "", fmt.Errorf("shared directory %q must be an absolute path other than /", base)
	}
	real, err := filepath.EvalSymlinks(base)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("shared directory %s does not exist on this machine (is the share mounted here?)", base)
	}
	if err != nil {
		return "", err
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return "", fmt.Errorf("shared directory %s is not a directory", base)
	}
	return real, nil
}

// checkDir reports whether path is a directory, not a link to one; fs.ErrNotExist when
// nothing is there.
func checkDir(path string) error {
	info, err := os.Lstat(path)
	switch {
	case err != nil:
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: refusing to follow it", path)
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}

// split checks that rel is a clean relative path naming something strictly below its base
// and returns its elements.
func split(rel string) ([]string, error) {
	if rel == "" || filepath.IsAbs(rel) || filepath.Clean(rel) != rel || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("%q does not name a directory below the shared directory", rel)
	}
	return strings.Split(rel, "/"), nil
}
