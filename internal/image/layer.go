package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// layerRecord is layer.json, beside an unpacked layer's fs/.
type layerRecord struct {
	DiffID string `json:"diffID"`
	// Whiteouts (deleted paths) and Opaques (opaque directories) were left unconverted
	// because the process that unpacked the layer was not root. Empty once converted.
	Whiteouts []string `json:"whiteouts,omitempty"`
	Opaques   []string `json:"opaques,omitempty"`
}

func (r layerRecord) converted() bool { return len(r.Whiteouts) == 0 && len(r.Opaques) == 0 }

// layerCache remembers layers known to be unpacked and converted; such a record never
// changes again while the layer exists.
type layerCache struct {
	mu sync.Mutex
	m  map[string]bool
}

// readyLayer makes sure the layer diffID is unpacked (from the blob desc) and, when this
// process can, converted; the caller holds store.lock.
func (s *Store) readyLayer(ctx context.Context, diffID v1.Hash, desc v1.Descriptor) (layerRecord, error) {
	dir := s.layerPath(diffID)
	s.layers.mu.Lock()
	ready := s.layers.m[diffID.Hex]
	s.layers.mu.Unlock()
	if ready {
		if _, err := os.Stat(dir); err == nil {
			return layerRecord{DiffID: diffID.String()}, nil
		}
	}
	rec, err := readLayerRecord(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if !s.hasBlob(desc.Digest) {
			return rec, fmt.Errorf("layer %s: %w", diffID, errMissing)
		}
		if err := s.unpackLayer(ctx, diffID, desc); err != nil {
			return rec, err
		}
		rec, err = readLayerRecord(dir)
	}
	if err != nil {
		return rec, err
	}
	if !rec.converted() && s.privileged {
		if rec, err = s.convertLayer(ctx, diffID); err != nil {
			return rec, err
		}
	}
	if rec.converted() {
		s.layers.mu.Lock()
		if s.layers.m == nil {
			s.layers.m = map[string]bool{}
		}
		s.layers.m[diffID.Hex] = true
		s.layers.mu.Unlock()
	}
	return rec, nil
}

func readLayerRecord(dir string) (layerRecord, error) {
	var rec layerRecord
	raw, err := os.ReadFile(filepath.Join(dir, "layer.json"))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", filepath.Join(dir, "layer.json"), err)
	}
	return rec, nil
}

// unpackLayer unpacks the stored blob desc into layers/<hex of diffID> unless it is there
// already, checking that the uncompressed content has that diffID. Concurrent unpacks of
// one layer, in this process or others, unpack it once.
func (s *Store) unpackLayer(ctx context.Context, diffID v1.Hash, desc v1.Descriptor) error {
	if err := checkAlgorithm(diffID); err != nil {
		return err
	}
	dir := s.layerPath(diffID)
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	l, err := lockFile(ctx, s.path("locks", "layer-"+diffID.Hex), true)
	if err != nil {
		return err
	}
	defer l.unlock()
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	layer, err := partial.CompressedToLayer(&blobLayer{path: s.blobPath(desc.Digest), digest: desc.Digest, size: desc.Size, mediaType: desc.MediaType})
	if err != nil {
		return err
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return fmt.Errorf("layer %s: %w", diffID, err)
	}
	defer rc.Close()
	tmp, err := os.MkdirTemp(s.path("tmp"), "layer-")
	if err != nil {
		return err
	}
	defer removeAll(tmp)
	h := sha256.New()
	content := io.TeeReader(contextReader{ctx, rc}, h)
	rec, err := unpackTar(content, filepath.Join(tmp, "fs"), s.privileged)
	if err == nil {
		// The tar reader stops at the end-of-archive marker; the digest covers the padding
		// after it too.
		_, err = io.Copy(io.Discard, content)
	}
	if err != nil {
		return fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != diffID.Hex {
		return fmt.Errorf("unpacking layer %s: uncompressed content has digest sha256:%s", diffID, got)
	}
	rec.DiffID = diffID.String()
	if err := writeLayerRecord(tmp, rec); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	s.unpacks.Add(1)
	return nil
}

// convertLayer converts recorded whiteouts of an unpacked layer, under its lock.
func (s *Store) convertLayer(ctx context.Context, diffID v1.Hash) (layerRecord, error) {
	l, err := lockFile(ctx, s.path("locks", "layer-"+diffID.Hex), true)
	if err != nil {
		return layerRecord{}, err
	}
	defer l.unlock()
	dir := s.layerPath(diffID)
	rec, err := readLayerRecord(dir)
	if err != nil || rec.converted() {
		return rec, err
	}
	if err := convertWhiteouts(filepath.Join(dir, "fs"), rec); err != nil {
		return rec, fmt.Errorf("converting whiteouts of layer %s: %w", diffID, err)
	}
	rec.Whiteouts, rec.Opaques = nil, nil
	raw, err := json.Marshal(rec)
	if err != nil {
		return rec, err
	}
	return rec, s.writeFileAtomic(filepath.Join(dir, "layer.json"), raw)
}

func writeLayerRecord(dir string, rec layerRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "layer.json"), raw, 0o644)
}

// removeAll removes a tree, making read-only directories (which an unprivileged unpack
// may have made) writable first if it has to.
func removeAll(path string) error {
	if err := os.RemoveAll(path); err == nil {
		return nil
	}
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(path)
}
