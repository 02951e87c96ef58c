package image

import (
	"bytes"
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxParallelLayers bounds the layers one pull fetches and unpacks at once.
const maxParallelLayers = 4

// ingest stores img (its layers fetched and unpacked, then its config and manifest) and
// points refs at it; repoDigest is the digest the source knows the image by (empty: the
// manifest's). The index changes last, so a reference always names a complete image. The
// caller holds store.lock shared, and calls tidy once it has released it: the image a
// reference named before may be garbage now. It returns the image once for each reference.
func (s *Store) ingest(ctx context.Context, img v1.Image, refs []Reference, repoDigest string) ([]*Image, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("an image needs a reference")
	}
	rawManifest, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	manifestDigest, _, err := v1.SHA256(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, err
	}
	man, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", manifestDigest, err)
	}
	if mt := man.MediaType; mt != "" && mt != types.DockerManifestSchema2 && mt != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("manifest %s has media type %s, not an image manifest", manifestDigest, mt)
	}
	rawConfig, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
	}
	if err := checkPlatform(cf); err != nil {
		return nil, err
	}
	if len(cf.RootFS.DiffIDs) != len(man.Layers) {
		return nil, fmt.Errorf("manifest %s has %d layers but its config %d diffIDs", manifestDigest, len(man.Layers), len(cf.RootFS.DiffIDs))
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("layers: %w", err)
	}
	if len(layers) != len(man.Layers) {
		return nil, fmt.Errorf("manifest %s has %d layers, the image %d", manifestDigest, len(man.Layers), len(layers))
	}
	if err := s.storeLayers(ctx, layers, man.Layers, cf.RootFS.DiffIDs); err != nil {
		return nil, err
	}
	if err := s.putBlob(man.Config.Digest, rawConfig); err != nil {
		return nil, err
	}
	if err := s.putBlob(manifestDigest, rawManifest); err != nil {
		return nil, err
	}
	entry := indexEntry{Manifest: manifestDigest.String(), RepoDigest: repoDigest, Updated: time.Now().UTC()}
	if entry.RepoDigest == "" {
		entry.RepoDigest = entry.Manifest
	}
	err = s.updateIndex(ctx, func(idx *indexFile) error {
		for _, r := range refs {
			if old, ok := idx.Images[r.String()]; ok && old.Manifest != entry.Manifest {
				s.collectLater()
			}
			idx.Images[r.String()] = entry
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Image, len(refs))
	for i, r := range refs {
		if out[i], err = s.imageFor(ctx, r.String(), entry); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storeLayers fetches and unpacks the layers, a few at a time.
func (s *Store) storeLayers(ctx context.Context, layers []v1.Layer, descs []v1.Descriptor, diffIDs []v1.Hash) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		slots    = make(chan struct{}, maxParallelLayers)
	)
	for i := range layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-slots }()
			err := s.fetchBlob(ctx, descs[i].Digest, layers[i].Compressed)
			if err == nil {
				err = s.unpackLayer(ctx, diffIDs[i], descs[i])
			}
			if err != nil {
				once.Do(func() { firstErr = fmt.Errorf("layer %s: %w", descs[i].Digest, err); cancel() })
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		return ctx.Err()
	}
	return firstErr
}

// checkPlatform refuses images built for another OS or architecture, which would fail
// later with "exec format error".
func checkPlatform(cf *v1.ConfigFile) error {
	if (cf.OS == "" || cf.OS == "linux") && (cf.Architecture == "" || cf.Architecture == goruntime.GOARCH) {
		return nil
	}
	return fmt.Errorf("image is for %s/%s, this node runs linux/%s", cf.OS, cf.Architecture, goruntime.GOARCH)
}
