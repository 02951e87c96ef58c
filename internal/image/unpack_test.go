package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func unpack(t *testing.T, privileged bool, entries ...entry) (string, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	_, err := unpackTar(bytes.NewReader(tarOf(t, entries...)), dir, privileged)
	return dir, err
}

func TestUnpackStaysInside(t *testing.T) {
	outside := t.TempDir()
	layer, err := unpack(t, false,
		file("../../../"+filepath.Base(outside)+"/evil", "x"),
		file("/abs/file", "y"),
		file("./dot/./file", "z"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(outside, "evil")) {
		t.Fatal("an entry escaped with ..")
	}
	for _, p := range []string{filepath.Base(outside) + "/evil", "abs/file", "dot/file"} {
		if !exists(filepath.Join(layer, p)) {
			t.Errorf("%s not unpacked inside the layer", p)
		}
	}

	for name, entries := range map[string][]entry{
		"absolute symlink":   {symlink("etc", outside), file("etc/passwd", "x")},
		"relative symlink":   {dir("a/"), symlink("a/up", "../../../../../../.."+outside), file("a/up/passwd", "x")},
		"hard link outside":  {{name: "h", typ: tar.TypeLink, link: "../../../../../../.." + outside + "/target"}},
		"write through link": {symlink("l", outside+"/target"), file("l", "replaced")},
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(outside, "target"), []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
			dir, err := unpack(t, false, entries...)
			if got := readFile(t, filepath.Join(outside, "target")); got != "mine" {
				t.Errorf("a file outside the layer changed: %q", got)
			}
			if exists(filepath.Join(outside, "passwd")) {
				t.Errorf("a file appeared outside the layer (unpack error %v)", err)
			}
			if name == "write through link" {
				// The later entry replaces the symlink itself.
				if err != nil || readFile(t, filepath.Join(dir, "l")) != "replaced" {
					t.Errorf("entry over a symlink: %v", err)
				}
			}
		})
	}
}

func TestUnpackEntries(t *testing.T) {
	privileged := os.Geteuid() == 0
	dir, err := unpack(t, privileged,
		dir("ro/"),
		file("ro/f", "in a read-only dir"),
		entry{name: "ro/", typ: tar.TypeDir, mode: 0o555},
		entry{name: "secret", typ: tar.TypeReg, mode: 0o600, body: "s", uid: 1000},
		entry{name: "suid", typ: tar.TypeReg, mode: 0o4755, body: "#!"},
		entry{name: "hard", typ: tar.TypeLink, link: "secret"},
		symlink("link", "/ro/f"),
		file("replaced", "first"),
		file("replaced", "second"),
		dir("was-file/"),
		file("was-file/child", "c"),
		entry{name: "fifo", typ: tar.TypeFifo, mode: 0o644},
		entry{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
	)
	if err != nil {
		t.Fatal(err)
	}
	check := func(p string, mode os.FileMode) {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Error(err)
			return
		}
		if fi.Mode() != mode {
			t.Errorf("%s mode %v, want %v", p, fi.Mode(), mode)
		}
	}
	check("ro", os.ModeDir|0o555)
	check("secret", 0o600)
	check("suid", os.ModeSetuid|0o755)
	check("fifo", os.ModeNamedPipe|0o644)
	if got := readFile(t, filepath.Join(dir, "ro/f")); got != "in a read-only dir" {
		t.Errorf("ro/f = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "replaced")); got != "second" {
		t.Errorf("replaced = %q", got)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "link")); target != "/ro/f" {
		t.Errorf("link → %q", target)
	}
	a, _ := os.Stat(filepath.Join(dir, "secret"))
	b, _ := os.Stat(filepath.Join(dir, "hard"))
	if !os.SameFile(a, b) {
		t.Error("hard is not a hard link of secret")
	}
	if privileged {
		if st := a.Sys().(*syscall.Stat_t); st.Uid != 1000 || st.Gid != 1000 {
			t.Errorf("secret owned by %d:%d, want 1000:1000", st.Uid, st.Gid)
		}
		check("dev/null", os.ModeDevice|os.ModeCharDevice|0o666)
	} else if exists(filepath.Join(dir, "dev/null")) {
		t.Error("a device node was made without root")
	}
	if err := removeAll(filepath.Dir(dir)); err != nil {
		t.Errorf("removing an unpacked layer: %v", err)
	}
}

func TestUnpackRejectsCorruptLayers(t *testing.T) {
	_, err := unpack(t, false, entry{name: "h", typ: tar.TypeLink, link: "missing"})
	if err == nil || !strings.Contains(err.Error(), `"h"`) {
		t.Errorf("hard link to nothing: %v", err)
	}
}
