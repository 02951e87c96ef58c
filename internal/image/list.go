package image

import "sort"

// Summary is one reference of the store, as `ordinal image ls` lists it.
type Summary struct {
	Ref        string
	Repository string
	// Tag is empty for references by digest.
	Tag        string
	Digest     string
	RepoDigest string
	ID         string
	Size       int64
}

// List returns every reference of the store, sorted.
func (s *Store) List() ([]Summary, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []Summary
	for ref, e := range idx.Images {
		r, err := ParseReference(ref)
		if err != nil {
			continue
		}
		sum := Summary{Ref: ref, Repository: r.Name, Tag: r.Tag, Digest: e.Manifest, RepoDigest: e.RepoDigest}
		if m, err := s.meta(e.Manifest); err == nil {
			sum.ID, sum.Size = m.configDigest, m.size
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out, nil
}
