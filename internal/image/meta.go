package image

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// imageMeta is what an image's manifest and config say; both are immutable, so it is
// cached by manifest digest.
type imageMeta struct {
	configDigest string
	config       Config
	size         int64
	diffIDs      []v1.Hash
	layers       []v1.Descriptor
}

type metaCache struct {
	mu sync.Mutex
	m  map[string]*imageMeta
}

func (s *Store) meta(manifestDigest string) (*imageMeta, error) {
	s.cache.mu.Lock()
	m, ok := s.cache.m[manifestDigest]
	s.cache.mu.Unlock()
	if ok {
		return m, nil
	}
	d, err := v1.NewHash(manifestDigest)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d, err)
	}
	var man v1.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d, err)
	}
	rawConfig, err := os.ReadFile(s.blobPath(man.Config.Digest))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(rawConfig, &cf); err != nil {
		return nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
	}
	if len(cf.RootFS.DiffIDs) != len(man.Layers) {
		return nil, fmt.Errorf("manifest %s has %d layers but its config %d diffIDs", d, len(man.Layers), len(cf.RootFS.DiffIDs))
	}
	m = &imageMeta{
		configDigest: man.Config.Digest.String(),
		config:       configFrom(&cf),
		size:         man.Config.Size,
		diffIDs:      cf.RootFS.DiffIDs,
		layers:       man.Layers,
	}
	for _, l := range man.Layers {
		m.size += l.Size
	}
	s.cache.mu.Lock()
	if s.cache.m == nil {
		s.cache.m = map[string]*imageMeta{}
	}
	s.cache.m[manifestDigest] = m
	s.cache.mu.Unlock()
	return m, nil
}
