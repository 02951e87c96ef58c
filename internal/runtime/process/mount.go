package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOverlay mounts a container's root filesystem on target: the image's layers (lowest
// first in layers; overlayfs lists the uppermost first) under a writable upper directory.
func mountOverlay(layers []string, upper, work, target string) error {
	if len(layers) == 0 {
		return errors.New("image has no layers")
	}
	for _, d := range []string{upper, work, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = l
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(lower, ":"), upper, work)
	if len(opts) >= os.Getpagesize() {
		return fmt.Errorf("image has too many layers (%d) for one overlay mount", len(layers))
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting the root filesystem (overlay): %w", err)
	}
	return nil
}

// mountPoints lists the mount points at or under dir, deepest first.
func mountPoints(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isMountPoint(dir string) bool {
	mps, err := mountPoints(dir)
	if err != nil {
		return false
	}
	for _, mp := range mps {
		if mp == dir {
			return true
		}
	}
	return false
}

// unmountAll unmounts everything mounted at or under dir (detaching busy mounts).
func unmountAll(dir string) error {
	mps, err := mountPoints(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// removeTree unmounts what is mounted under dir, then removes it. Removing through a
// mount could delete a volume's data, so it refuses while anything is still mounted.
func removeTree(dir string) error {
	if err := unmountAll(dir); err != nil {
		return err
	}
	if mps, err := mountPoints(dir); err != nil || len(mps) > 0 {
		return fmt.Errorf("not removing %s: %v still mounted (%v)", dir, mps, err)
	}
	return os.RemoveAll(filepath.Clean(dir))
}
