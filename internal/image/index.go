package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// indexFile is index.json: every reference the store knows.
type indexFile struct {
	Images map[string]indexEntry `json:"images"`
}

type indexEntry struct {
	// Manifest is the digest of the image manifest in blobs/ (for a multi-platform image,
	// the manifest of this node's platform).
	Manifest string `json:"manifest"`
	// RepoDigest is the digest the registry serves for the reference (the index of a
	// multi-platform image); for imported images, the manifest digest.
	RepoDigest string `json:"repoDigest,omitempty"`
	// Updated is when the reference was last set.
	Updated time.Time `json:"updated"`
}

// readIndex reads index.json. It takes no lock: the file is only ever replaced whole.
func (s *Store) readIndex() (*indexFile, error) {
	idx := &indexFile{Images: map[string]indexEntry{}}
	raw, err := os.ReadFile(s.path("index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return idx, nil
	}
	if err != nil {
		return nil, fmt.Errorf("image index: %w", err)
	}
	if err := json.Unmarshal(raw, idx); err != nil {
		return nil, fmt.Errorf("image index %s: %w", s.path("index.json"), err)
	}
	if idx.Images == nil {
		idx.Images = map[string]indexEntry{}
	}
	return idx, nil
}

// updateIndex applies change to index.json under index.lock and replaces the file.
func (s *Store) updateIndex(ctx context.Context, change func(*indexFile) error) error {
	l, err := lockFile(ctx, s.path("index.lock"), true)
	if err != nil {
		return err
	}
	defer l.unlock()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(idx); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return s.writeFileAtomic(s.path("index.json"), raw)
}

// lookup finds r: exactly by its normalised string, or, for a reference by digest, any
// reference of the same repository whose manifest or repo digest it is (an image pulled
// by tag is present for a pod that names it by digest).
func (idx *indexFile) lookup(r Reference) (string, indexEntry, bool) {
	key := r.String()
	if e, ok := idx.Images[key]; ok {
		return key, e, true
	}
	if r.Digest == "" {
		return "", indexEntry{}, false
	}
	for k, e := range idx.Images {
		other, err := ParseReference(k)
		if err != nil || other.Name != r.Name {
			continue
		}
		if e.Manifest == r.Digest || e.RepoDigest == r.Digest {
			return key, e, true
		}
	}
	return "", indexEntry{}, false
}

// names says whether a reference names the manifest.
func (idx *indexFile) names(manifest string) bool {
	for _, e := range idx.Images {
		if e.Manifest == manifest {
			return true
		}
	}
	return false
}

// writeFileAtomic writes data to a temporary file in tmp/, syncs it and renames it to
// path, so that readers see the old or the new content, never a part.
func (s *Store) writeFileAtomic(path string, data []byte) error {
	return s.writeFile(path, data, true)
}

// writeFile writes like writeFileAtomic; without sync the content may be lost in a power
// failure, which is fine for records of running containers, which the failure stops too.
func (s *Store) writeFile(path string, data []byte, sync bool) error {
	f, err := os.CreateTemp(s.path("tmp"), "write-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
