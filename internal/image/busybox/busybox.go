// Package busybox builds a small busybox image from Debian's busybox-static package, so
// that ordinal's examples and tests run with no registry (`make run` imports it as
// docker.io/library/busybox:latest).
package busybox

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const (
	// Ref is the reference the image is saved under.
	Ref = "docker.io/library/busybox:latest"
	// Binary is where Debian's busybox-static installs busybox.
	Binary = "/bin/busybox"
	// Path is the image's PATH, the one Docker's busybox and most images use.
	Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// epoch is every timestamp of the image, so that one busybox binary always gives the same
// image digest.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Image builds the image: one layer with /bin/busybox, a symlink to it for each applet at
// the path `busybox --install -s` would use, /etc/passwd and /etc/group with root and
// nobody, and the usual empty directories; Cmd ["sh"].
func Image(binary string) (v1.Image, error) {
	layerTar, err := LayerTar(binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "ordinal hack/busybox-image from " + binary},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goruntime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Cmd = []string{"sh"}
	cf.Config.Env = []string{"PATH=" + Path}
	return mutate.ConfigFile(img, cf)
}

// WriteArchive writes the image built from binary to path as a docker-save tarball
// tagged ref.
func WriteArchive(path, binary, ref string) error {
	img, err := Image(binary)
	if err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(path, tag, img)
}

// LayerTar builds the image's only layer, uncompressed.
func LayerTar(binary string) ([]byte, error) {
	content, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("%w (install Debian's busybox-static)", err)
	}
	applets, err := appletPaths(binary)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]int64{
		"bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o755, "root": 0o700,
		"sbin": 0o755, "sys": 0o755, "tmp": 0o1777, "usr": 0o755, "usr/bin": 0o755,
		"usr/sbin": 0o755, "var": 0o755, "var/tmp": 0o1777,
	}
	for _, a := range applets {
		dirs[a[:strings.LastIndex(a, "/")]] = 0o755
	}
	var names []string
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		if err := tw.WriteHeader(header(d+"/", tar.TypeDir, dirs[d], 0)); err != nil {
			return nil, err
		}
	}
	files := []struct {
		name    string
		mode    int64
		content []byte
	}{
		{"bin/busybox", 0o755, content},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnobody:x:65534:\n")},
	}
	for _, f := range files {
		if err := tw.WriteHeader(header(f.name, tar.TypeReg, f.mode, int64(len(f.content)))); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.content); err != nil {
			return nil, err
		}
	}
	for _, a := range applets {
		if a == "bin/busybox" {
			continue
		}
		h := header(a, tar.TypeSymlink, 0o777, 0)
		h.Linkname = "/bin/busybox"
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appletPaths asks busybox where each applet goes (bin/sh, usr/bin/awk, …).
func appletPaths(binary string) ([]string, error) {
	out, err := exec.Command(binary, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", binary, err)
	}
	seen := map[string]bool{}
	var paths []string
	for _, line := range strings.Fields(string(out)) {
		p := strings.TrimPrefix(line, "/")
		if !strings.Contains(p, "/") || strings.Contains(p, "..") || seen[p] {
			continue
		}
		seen[p] = true
		paths = append(paths, p)
	}
	if !seen["bin/sh"] {
		return nil, fmt.Errorf("%s has no sh applet", binary)
	}
	sort.Strings(paths)
	return paths, nil
}

func header(name string, typ byte, mode, size int64) *tar.Header {
	return &tar.Header{
		Name:     name,
		Typeflag: typ,
		Mode:     mode,
		Size:     size,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	}
}
