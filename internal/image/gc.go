package image

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Remove removes a reference (normalised), or every reference of the image whose ID or
// manifest digest ref is or starts with (at least 12 hex digits, as `ordinal image ls`
// shows them), then collects what no reference or pin holds any more unless a pull,
// import or pin is running (then a later collection does; GC waits for them). It returns the references removed.
// ErrNotFound: nothing matched.
func (s *Store) Remove(ctx context.Context, ref string) ([]string, error) {
	l, err := s.lockStore(ctx, false)
	if err != nil {
		return nil, err
	}
	var removed []string
	err = s.updateIndex(ctx, func(idx *indexFile) error {
		removed = s.matchRefs(idx, ref)
		if len(removed) == 0 {
			return fmt.Errorf("image %s: %w", ref, ErrNotFound)
		}
		for _, k := range removed {
			delete(idx.Images, k)
		}
		return nil
	})
	l.unlock()
	if err != nil {
		return nil, err
	}
	s.collectLater()
	s.tidy()
	return removed, nil
}

// matchRefs finds the references ref names: itself, or an image ID or digest prefix.
func (s *Store) matchRefs(idx *indexFile, ref string) []string {
	if r, err := ParseReference(ref); err == nil {
		if _, ok := idx.Images[r.String()]; ok {
			return []string{r.String()}
		}
		if r.Digest != "" {
			// name@digest names every reference of that repository to that image.
			var out []string
			for k, e := range idx.Images {
				if other, err := ParseReference(k); err == nil && other.Name == r.Name && (e.Manifest == r.Digest || e.RepoDigest == r.Digest) {
					out = append(out, k)
				}
			}
			return out
		}
	}
	hexPart := strings.TrimPrefix(ref, "sha256:")
	if len(hexPart) < 12 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return nil
	}
	var out []string
	for k, e := range idx.Images {
		id := ""
		if m, err := s.meta(e.Manifest); err == nil {
			id = m.configDigest
		}
		if strings.HasPrefix(strings.TrimPrefix(e.Manifest, "sha256:"), hexPart) || strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), hexPart) {
			out = append(out, k)
		}
	}
	return out
}

// GCResult says what a collection removed.
type GCResult struct {
	Blobs  int
	Layers int
}

// GC removes the blobs and unpacked layers that no reference and no pin holds (and that
// Options.InUse does not claim), and leftovers of interrupted pulls. It waits for running
// pulls and imports to finish.
func (s *Store) GC(ctx context.Context) (GCResult, error) {
	l, err := s.lockStore(ctx, true)
	if err != nil {
		return GCResult{}, err
	}
	return s.collectLocked(l)
}

// collectLater notes that something may have become garbage (a reference removed or moved
// to another image, the pin of an unreferenced image released); the next tidy collects.
func (s *Store) collectLater() { s.dirty.Store(true) }

// tidy collects if something may have become garbage and nothing else uses the store;
// otherwise the note stays for the next time. Errors are dropped: collecting is a
// courtesy here, and GC reports them.
func (s *Store) tidy() {
	if !s.dirty.Swap(false) {
		return
	}
	if ran, _ := s.collectIfIdle(); !ran {
		s.collectLater()
	}
}

// collectIfIdle collects unless a pull, import or pin is running, and says whether it did.
func (s *Store) collectIfIdle() (bool, error) {
	l, ok, err := tryLockFile(s.path("store.lock"), true)
	if err != nil || !ok {
		return false, err
	}
	_, err = s.collectLocked(l)
	return true, err
}

// collectLocked collects holding l, store.lock exclusive, which it releases.
func (s *Store) collectLocked(l *fileLock) (GCResult, error) {
	var res GCResult
	keepBlobs, keepLayers, err := s.reachable()
	if err != nil {
		l.unlock()
		return res, err
	}
	// Under the lock, only renames and small removals: what goes is moved into trash and
	// deleted after the lock is released, so that pulls and pins wait as little as
	// possible. A crash leaves trash in tmp/, which the next collection removes.
	trash, err := os.MkdirTemp(s.path("tmp"), "gc-")
	if err != nil {
		l.unlock()
		return res, err
	}
	res, err = s.sweep(keepBlobs, keepLayers, trash)
	s.forgetLayers()
	l.unlock()
	if rerr := removeAll(trash); err == nil {
		err = rerr
	}
	return res, err
}

// sweep moves into trash what is not kept; the caller holds store.lock exclusive.
func (s *Store) sweep(keepBlobs, keepLayers map[string]bool, trash string) (GCResult, error) {
	var res GCResult
	blobs, err := os.ReadDir(s.path("blobs", "sha256"))
	if err != nil {
		return res, err
	}
	for _, b := range blobs {
		if keepBlobs[b.Name()] {
			continue
		}
		if err := os.Remove(s.path("blobs", "sha256", b.Name())); err != nil {
			return res, err
		}
		res.Blobs++
	}
	layers, err := os.ReadDir(s.path("layers"))
	if err != nil {
		return res, err
	}
	for _, d := range layers {
		if keepLayers[d.Name()] || (s.inUse != nil && s.inUse("sha256:"+d.Name())) {
			continue
		}
		// Out of layers/ in one rename, so that a crash never leaves a partial layer that
		// looks complete.
		if err := os.Rename(s.path("layers", d.Name()), filepath.Join(trash, "layer-"+d.Name())); err != nil {
			return res, err
		}
		res.Layers++
	}
	// Nothing else runs now: whatever is in tmp/ or locks/ is a leftover.
	leftovers, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return res, err
	}
	for _, e := range leftovers {
		if p := s.path("tmp", e.Name()); p != trash {
			if err := os.Rename(p, filepath.Join(trash, e.Name())); err != nil {
				return res, err
			}
		}
	}
	locks, err := os.ReadDir(s.path("locks"))
	if err != nil {
		return res, err
	}
	for _, e := range locks {
		if err := os.Remove(s.path("locks", e.Name())); err != nil {
			return res, err
		}
	}
	return res, nil
}

// reachable lists the blobs (hex digests) and layers (hex diffIDs) that references and
// pins hold.
func (s *Store) reachable() (blobs, layers map[string]bool, err error) {
	blobs, layers = map[string]bool{}, map[string]bool{}
	idx, err := s.readIndex()
	if err != nil {
		return nil, nil, err
	}
	pins, err := s.readPins()
	if err != nil {
		return nil, nil, err
	}
	var manifests []string
	for _, e := range idx.Images {
		manifests = append(manifests, e.Manifest)
	}
	for _, p := range pins {
		manifests = append(manifests, p.Manifest)
	}
	for _, m := range manifests {
		d, err := v1.NewHash(m)
		if err != nil {
			continue
		}
		blobs[d.Hex] = true
		raw, err := os.ReadFile(s.blobPath(d))
		if err != nil {
			// A reference to a manifest that is gone holds nothing.
			continue
		}
		var man v1.Manifest
		if err := json.Unmarshal(raw, &man); err != nil {
			return nil, nil, fmt.Errorf("manifest %s: %w", d, err)
		}
		blobs[man.Config.Digest.Hex] = true
		for _, l := range man.Layers {
			blobs[l.Digest.Hex] = true
		}
		rawConfig, err := os.ReadFile(s.blobPath(man.Config.Digest))
		if err != nil {
			continue
		}
		var cf v1.ConfigFile
		if err := json.Unmarshal(rawConfig, &cf); err != nil {
			return nil, nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
		}
		for _, diffID := range cf.RootFS.DiffIDs {
			layers[diffID.Hex] = true
		}
	}
	return blobs, layers, nil
}

// forgetLayers drops the in-memory knowledge of converted layers after a collection.
func (s *Store) forgetLayers() {
	s.layers.mu.Lock()
	s.layers.m = nil
	s.layers.mu.Unlock()
}
