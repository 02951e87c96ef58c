package busybox_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/image/busybox"
)

// needBusybox skips without busybox-static, except in CI, which installs it.
func needBusybox(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(busybox.Binary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs busybox-static: %v", err)
		}
		t.Skipf("%v (apt-get install busybox-static)", err)
	}
}

func TestLayer(t *testing.T) {
	needBusybox(t)
	img, err := busybox.Image(busybox.Binary)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
	}
	if h := entries["bin/busybox"]; h == nil || h.Typeflag != tar.TypeReg || h.Mode != 0o755 {
		t.Errorf("bin/busybox: %+v", h)
	}
	for _, applet := range []string{"bin/sh", "bin/ls", "usr/bin/env", "bin/cat"} {
		if h := entries[applet]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/bin/busybox" {
			t.Errorf("%s: %+v, want a symlink to /bin/busybox", applet, h)
		}
	}
	for _, d := range []string{"tmp/", "etc/", "proc/", "root/"} {
		if entries[d] == nil {
			t.Errorf("no %s", d)
		}
	}
	if h := entries["tmp/"]; h != nil && h.Mode != 0o1777 {
		t.Errorf("tmp mode %o", h.Mode)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cf.Config.Cmd, []string{"sh"}) || !reflect.DeepEqual(cf.Config.Env, []string{"PATH=" + busybox.Path}) {
		t.Errorf("config %+v", cf.Config)
	}
	// The same binary gives the same image.
	again, err := busybox.Image(busybox.Binary)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("digests %s and %s for one binary", d1, d2)
	}
}

func TestImportedImageRuns(t *testing.T) {
	needBusybox(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if err := busybox.WriteArchive(archive, busybox.Binary, busybox.Ref); err != nil {
		t.Fatal(err)
	}
	s, err := image.Open(filepath.Join(t.TempDir(), "images"), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := s.Import(context.Background(), archive, image.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Ref != "docker.io/library/busybox:latest" {
		t.Fatalf("imported %+v", imgs)
	}
	if ok, _ := s.Has("busybox"); !ok {
		t.Error("Has(busybox) = false")
	}
	rootfs := imgs[0].Layers[0].Dir
	if got := readLink(t, filepath.Join(rootfs, "bin/sh")); got != "/bin/busybox" {
		t.Errorf("bin/sh → %q", got)
	}
	passwd, err := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if err != nil || !bytes.Contains(passwd, []byte("nobody:x:65534:65534:")) {
		t.Errorf("etc/passwd: %q, %v", passwd, err)
	}
	if os.Geteuid() != 0 {
		return
	}
	// The layer is a root filesystem a shell runs in.
	cmd := exec.Command("/bin/sh", "-c", "echo $(id -un) && ls /bin/ls")
	cmd.Env = []string{"PATH=" + busybox.Path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "root\n/bin/ls\n" {
		t.Errorf("sh in the image: %q, %v", out, err)
	}
}

func readLink(t *testing.T, p string) string {
	t.Helper()
	target, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return target
}
