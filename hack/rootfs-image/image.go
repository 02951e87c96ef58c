package main

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// defaultPath is the PATH of images that set none, the one Docker's official images use.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Spec describes the archive: one layer packed from Rootfs, one image config per tag
// (all the same unless TagEnv is set).
type Spec struct {
	Rootfs     string
	Tags       []string
	TagEnv     string
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	User       string
	// ExposedPorts are "port/protocol", e.g. "8080/tcp".
	ExposedPorts []string
	Labels       map[string]string
	CreatedBy    string
}

// WriteArchive packs spec.Rootfs and writes a docker-save archive to out, atomically (a
// temporary file in out's directory, renamed when complete).
func WriteArchive(out string, spec Spec) error {
	tmpDir, err := os.MkdirTemp(filepath.Dir(out), ".rootfs-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	layerPath := filepath.Join(tmpDir, "layer.tar.gz")
	if err := writeLayerFile(layerPath, spec.Rootfs); err != nil {
		return fmt.Errorf("packing %s: %w", spec.Rootfs, err)
	}
	layer, err := tarball.LayerFromFile(layerPath)
	if err != nil {
		return err
	}
	images, err := Images(layer, spec)
	if err != nil {
		return err
	}
	archive := filepath.Join(tmpDir, "image.tar")
	if err := tarball.MultiRefWriteToFile(archive, images); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return os.Rename(archive, out)
}

// Images builds the image of each tag on layer.
func Images(layer v1.Layer, spec Spec) (map[name.Reference]v1.Image, error) {
	createdBy := spec.CreatedBy
	if createdBy == "" {
		createdBy = "ordinal hack/rootfs-image from " + spec.Rootfs
	}
	base, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: createdBy},
	})
	if err != nil {
		return nil, err
	}
	images := map[name.Reference]v1.Image{}
	for _, t := range spec.Tags {
		tag, err := name.NewTag(t)
		if err != nil {
			return nil, fmt.Errorf("-tag %q: %w", t, err)
		}
		extra := []string(nil)
		if spec.TagEnv != "" {
			extra = []string{spec.TagEnv + "=" + tag.TagStr()}
		}
		img, err := withConfig(base, spec, extra)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		images[tag] = img
	}
	return images, nil
}

// withConfig sets the runtime configuration of spec on img, with extraEnv after spec.Env.
func withConfig(img v1.Image, spec Spec, extraEnv []string) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goruntime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	c := &cf.Config
	c.Entrypoint, c.Cmd = spec.Entrypoint, spec.Cmd
	c.WorkingDir, c.User = spec.WorkingDir, spec.User
	c.Env = envWithPath(append(append([]string(nil), spec.Env...), extraEnv...))
	if len(spec.ExposedPorts) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.ExposedPorts {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			c.ExposedPorts[p] = struct{}{}
		}
	}
	if len(spec.Labels) > 0 {
		c.Labels = spec.Labels
	}
	return mutate.ConfigFile(img, cf)
}

// envWithPath puts the default PATH first unless env sets one.
func envWithPath(env []string) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			return env
		}
	}
	return append([]string{"PATH=" + defaultPath}, env...)
}
