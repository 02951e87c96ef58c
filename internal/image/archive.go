package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Annotations that name the images of an OCI layout.
const (
	annotationRefName        = "org.opencontainers.image.ref.name"
	annotationContainerdName = "io.containerd.image.name"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Name is the reference of images that carry none; when the archive holds a single
	// image it is added to the references that image carries.
	Name string
}

// Import loads the images of a docker-save tarball, an OCI layout directory or an OCI
// layout tarball (either tarball may be gzip-compressed) under the references they carry,
// and returns them, once for each reference.
func (s *Store) Import(ctx context.Context, path string, opts ImportOptions) ([]*Image, error) {
	var extra *Reference
	if opts.Name != "" {
		r, err := ParseReference(opts.Name)
		if err != nil {
			return nil, err
		}
		extra = &r
	}
	l, err := s.lockStore(ctx, false)
	if err != nil {
		return nil, err
	}
	imgs, err := s.importPath(ctx, path, extra)
	l.unlock()
	s.tidy()
	return imgs, err
}

// importPath imports holding store.lock shared.
func (s *Store) importPath(ctx context.Context, path string, extra *Reference) ([]*Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return s.importLayout(ctx, path, extra)
	}
	tmp, err := os.MkdirTemp(s.path("tmp"), "import-")
	if err != nil {
		return nil, err
	}
	defer removeAll(tmp)
	path, err = gunzipped(path, tmp)
	if err != nil {
		return nil, err
	}
	names, err := tarNames(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case names["manifest.json"]:
		return s.importDockerArchive(ctx, path, extra)
	case names["oci-layout"] && names["index.json"]:
		dir := filepath.Join(tmp, "layout")
		if err := extractLayout(path, dir); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return s.importLayout(ctx, dir, extra)
	}
	return nil, fmt.Errorf("%s is neither a docker-save nor an OCI layout archive (no manifest.json, no oci-layout)", path)
}

// importDockerArchive loads a `docker save` tarball (manifest.json with RepoTags).
func (s *Store) importDockerArchive(ctx context.Context, path string, extra *Reference) ([]*Image, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	manifest, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", path, err)
	}
	var out []*Image
	for i, d := range manifest {
		refs, err := archiveRefs(d.RepoTags, extra, len(manifest) == 1)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", path, i+1, err)
		}
		var tag *name.Tag
		if len(d.RepoTags) > 0 {
			t, err := name.NewTag(d.RepoTags[0])
			if err != nil {
				return nil, fmt.Errorf("%s: image %d: %w", path, i+1, err)
			}
			tag = &t
		} else if len(manifest) > 1 {
			return nil, fmt.Errorf("%s: image %d carries no tag in an archive of several images; save it alone or with a tag", path, i+1)
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", path, i+1, err)
		}
		stored, err := s.ingest(ctx, img, refs, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, refs[0], err)
		}
		out = append(out, stored...)
	}
	return out, nil
}

// importLayout loads the images an OCI layout's index.json lists.
func (s *Store) importLayout(ctx context.Context, dir string, extra *Reference) ([]*Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", dir, err)
	}
	var out []*Image
	for i, desc := range im.Manifests {
		var img v1.Image
		switch {
		case desc.MediaType.IsImage():
			img, err = idx.Image(desc.Digest)
		case desc.MediaType.IsIndex():
			img, err = layoutPlatformImage(idx, desc.Digest)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: manifest %s: %w", dir, desc.Digest, err)
		}
		var carried []string
		if n := desc.Annotations[annotationContainerdName]; n != "" {
			carried = append(carried, n)
		} else if n := desc.Annotations[annotationRefName]; n != "" {
			full, err := layoutRefName(n, extra)
			if err != nil {
				return nil, fmt.Errorf("%s: manifest %d: %w", dir, i+1, err)
			}
			carried = append(carried, full)
		}
		refs, err := archiveRefs(carried, extra, len(im.Manifests) == 1)
		if err != nil {
			return nil, fmt.Errorf("%s: manifest %d (%s): %w", dir, i+1, desc.Digest, err)
		}
		stored, err := s.ingest(ctx, img, refs, desc.Digest.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", dir, refs[0], err)
		}
		out = append(out, stored...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: index.json lists no image", dir)
	}
	return out, nil
}

// layoutRefName reads org.opencontainers.image.ref.name, which the spec makes a tag
// ("latest") but many tools fill with a whole reference.
func layoutRefName(n string, extra *Reference) (string, error) {
	if strings.ContainsAny(n, "/:@") {
		return n, nil
	}
	if extra == nil {
		return "", fmt.Errorf("carries only the tag %q: give the repository with --name", n)
	}
	return extra.Name + ":" + n, nil
}

func layoutPlatformImage(idx v1.ImageIndex, d v1.Hash) (v1.Image, error) {
	child, err := idx.ImageIndex(d)
	if err != nil {
		return nil, err
	}
	im, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS == Platform.OS && m.Platform.Architecture == Platform.Architecture && m.MediaType.IsImage() {
			return child.Image(m.Digest)
		}
	}
	return nil, fmt.Errorf("no image for platform %s/%s in index %s", Platform.OS, Platform.Architecture, d)
}

// archiveRefs are the references an archived image is stored under: those it carries, and
// extra for an image that carries none or is alone in its archive.
func archiveRefs(carried []string, extra *Reference, alone bool) ([]Reference, error) {
	var refs []Reference
	seen := map[string]bool{}
	for _, c := range carried {
		r, err := ParseReference(c)
		if err != nil {
			return nil, err
		}
		if !seen[r.String()] {
			seen[r.String()] = true
			refs = append(refs, r)
		}
	}
	if extra != nil && (len(refs) == 0 || alone) && !seen[extra.String()] {
		refs = append(refs, *extra)
	}
	if len(refs) == 0 {
		return nil, errors.New("carries no reference: name it with --name")
	}
	return refs, nil
}

// gunzipped returns path, or the path of its decompressed copy in tmp if it is gzipped.
func gunzipped(path, tmp string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(2)
	if !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return path, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	out, err := os.Create(filepath.Join(tmp, "archive.tar"))
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return out.Name(), out.Close()
}

// tarNames lists the regular files of a tar archive.
func tarNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			names[cleanEntry(hdr.Name)] = true
		}
	}
}

// extractLayout unpacks the files of an OCI layout tarball into dir.
func extractLayout(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := cleanEntry(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || (p != "oci-layout" && p != "index.json" && !strings.HasPrefix(p, "blobs/")) {
			continue
		}
		if err := root.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := root.Create(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, tr)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
