package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func (s *Store) hasBlob(d v1.Hash) bool {
	_, err := os.Stat(s.blobPath(d))
	return err == nil
}

// putBlob stores data under its sha256 digest, which must be want.
func (s *Store) putBlob(want v1.Hash, data []byte) error {
	if err := checkAlgorithm(want); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want.Hex {
		return fmt.Errorf("blob %s: content has digest sha256:%s", want, got)
	}
	if s.hasBlob(want) {
		return nil
	}
	return s.writeFileAtomic(s.blobPath(want), data)
}

// fetchBlob stores the blob want, read from open, unless it is already there. Concurrent
// fetches of one blob, in this process or others, read it once.
func (s *Store) fetchBlob(ctx context.Context, want v1.Hash, open func() (io.ReadCloser, error)) error {
	if err := checkAlgorithm(want); err != nil {
		return err
	}
	if s.hasBlob(want) {
		return nil
	}
	l, err := lockFile(ctx, s.path("locks", "blob-"+want.Hex), true)
	if err != nil {
		return err
	}
	defer l.unlock()
	if s.hasBlob(want) {
		return nil
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.CreateTemp(s.path("tmp"), "blob-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), contextReader{ctx, rc})
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", want, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.Hex {
		return fmt.Errorf("blob %s: content has digest sha256:%s", want, got)
	}
	return os.Rename(f.Name(), s.blobPath(want))
}

func checkAlgorithm(d v1.Hash) error {
	if d.Algorithm != "sha256" || len(d.Hex) != 64 {
		return fmt.Errorf("unsupported digest %q: only sha256 is", d)
	}
	return nil
}

// contextReader stops a long copy when its context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// blobLayer is a layer blob of the store, which go-containerregistry decompresses
// (gzip, zstd or none, told by its first bytes).
type blobLayer struct {
	path      string
	digest    v1.Hash
	size      int64
	mediaType types.MediaType
}

func (b *blobLayer) Digest() (v1.Hash, error)            { return b.digest, nil }
func (b *blobLayer) Compressed() (io.ReadCloser, error)  { return os.Open(b.path) }
func (b *blobLayer) Size() (int64, error)                { return b.size, nil }
func (b *blobLayer) MediaType() (types.MediaType, error) { return b.mediaType, nil }
