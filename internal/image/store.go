package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Options tune a Store.
type Options struct {
	// InUse, if set, is asked by garbage collection about every unpacked layer that no
	// reference or pin holds; true keeps the layer (and nothing else). Pins are the main
	// mechanism because they bind other processes too; InUse is for callers that track
	// use in memory.
	InUse func(diffID string) bool
}

// Store is the image store of one node. It is safe for concurrent use by several
// goroutines and several processes sharing the directory.
type Store struct {
	dir    string
	inUse  func(diffID string) bool
	cache  metaCache
	layers layerCache

	// privileged says whether whiteouts are written in overlayfs form (a 0/0 character
	// device, the trusted.overlay.opaque xattr), which needs root; otherwise they are
	// recorded in layer.json and converted by the first privileged user of the layer.
	privileged bool
	// dirty says that something may have become garbage (see tidy).
	dirty atomic.Bool
	// unpacks counts the layers this Store unpacked, for tests of "unpacked once".
	unpacks atomic.Int64
}

// Open opens (creating it if needed) the store in dir, which is <data-dir>/images.
func Open(dir string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: abs, inUse: opts.InUse, privileged: os.Geteuid() == 0}
	for _, d := range []string{s.dir, s.path("blobs", "sha256"), s.path("layers"), s.path("pins"), s.path("locks"), s.path("tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("image store: %w", err)
		}
	}
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *Store) blobPath(d v1.Hash) string { return s.path("blobs", d.Algorithm, d.Hex) }

// layerPath is the directory of an unpacked layer; its fs/ is the overlayfs lower dir.
// It is named by the hex of the diffID alone because overlayfs separates lower dirs
// with ':'.
func (s *Store) layerPath(diffID v1.Hash) string { return s.path("layers", diffID.Hex) }

// Image is an image of the store, ready for a container.
type Image struct {
	// Ref is the normalised reference the image was asked for.
	Ref string
	// Digest is the manifest digest: the image in the store.
	Digest string
	// RepoDigest is name@digest as the registry knows it (the digest of the index for a
	// multi-platform image); the kubelet reports it as a container's imageID.
	RepoDigest string
	// ID is the config digest, which crictl shows as IMAGE ID.
	ID string
	// Size is the size of the config and compressed layers, as registries count it.
	Size int64
	// Config is what the image says about running it.
	Config Config
	// Layers are the unpacked layers, lowest first.
	Layers []Layer
}

// Layer is one unpacked layer.
type Layer struct {
	DiffID string
	// Dir holds the layer's files, an overlayfs lower dir.
	Dir string
	// UnconvertedWhiteouts counts whiteouts and opaque directories that were unpacked by a
	// process without root and are not in overlayfs form yet (see Image.CheckOverlay).
	UnconvertedWhiteouts int
}

// LayerDirs are the layer directories, lowest first. overlayfs's lowerdir option lists
// them the other way round (uppermost first).
func (i *Image) LayerDirs() []string {
	dirs := make([]string, len(i.Layers))
	for n, l := range i.Layers {
		dirs[n] = l.Dir
	}
	return dirs
}

// CheckOverlay says whether overlayfs can stack the layers as they are: a layer unpacked
// without root keeps its deletions only as records, which a process with root converts
// when it next gets or pins the image.
func (i *Image) CheckOverlay() error {
	for _, l := range i.Layers {
		if l.UnconvertedWhiteouts > 0 {
			return fmt.Errorf("image %s: layer %s was unpacked without root and has %d whiteouts that overlayfs cannot use yet; run ordinal as root so that they are converted", i.Ref, l.DiffID, l.UnconvertedWhiteouts)
		}
	}
	return nil
}

// Has says whether ref is in the store (normalised; a digest reference also matches an
// image pulled by tag whose digest it is).
func (s *Store) Has(ref string) (bool, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return false, err
	}
	idx, err := s.readIndex()
	if err != nil {
		return false, err
	}
	_, _, ok := idx.lookup(r)
	return ok, nil
}

// Get returns the image ref names, with its layers unpacked (again, if someone removed
// them) and converted for overlayfs when this process can. The layers may be garbage
// collected once the reference is removed; use Pin to keep them for a container.
// ErrNotFound: no such reference.
func (s *Store) Get(ctx context.Context, ref string) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	l, err := s.lockStore(ctx, false)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	return s.resolve(ctx, r)
}

// lockStore takes store.lock: shared for writers, exclusive for garbage collection.
func (s *Store) lockStore(ctx context.Context, exclusive bool) (*fileLock, error) {
	return lockFile(ctx, s.path("store.lock"), exclusive)
}

// resolve finds r in the index and readies its layers; the caller holds store.lock.
func (s *Store) resolve(ctx context.Context, r Reference) (*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	key, entry, ok := idx.lookup(r)
	if !ok {
		return nil, fmt.Errorf("image %s: %w", r, ErrNotFound)
	}
	return s.imageFor(ctx, key, entry)
}

// imageFor builds the Image of an index entry, unpacking or converting layers as needed.
func (s *Store) imageFor(ctx context.Context, ref string, e indexEntry) (*Image, error) {
	m, err := s.meta(e.Manifest)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	img := &Image{
		Ref:    ref,
		Digest: e.Manifest,
		ID:     m.configDigest,
		Size:   m.size,
		Config: m.config.deepCopy(),
		Layers: make([]Layer, len(m.diffIDs)),
	}
	if r, err := ParseReference(ref); err == nil && e.RepoDigest != "" {
		img.RepoDigest = r.Name + "@" + e.RepoDigest
	}
	for i, diffID := range m.diffIDs {
		rec, err := s.readyLayer(ctx, diffID, m.layers[i])
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		img.Layers[i] = Layer{
			DiffID:               diffID.String(),
			Dir:                  filepath.Join(s.layerPath(diffID), "fs"),
			UnconvertedWhiteouts: len(rec.Whiteouts) + len(rec.Opaques),
		}
	}
	return img, nil
}

var errMissing = errors.New("missing from the store; pull or import the image again")
