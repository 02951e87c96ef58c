package endpointslice

import (
	"slices"

	discovery "k8s.io/api/discovery/v1"
)

// endpointSet holds desired endpoints by endpointKey. Endpoints still left after matching
// the existing slices are handed out in key order, so a plan is deterministic.
type endpointSet struct {
	byKey  map[string]*discovery.Endpoint
	sorted []string // keys left to pop, computed on the first pop
}

func newEndpointSet() *endpointSet {
	return &endpointSet{byKey: map[string]*discovery.Endpoint{}}
}

func (s *endpointSet) insert(ep discovery.Endpoint) {
	s.byKey[endpointKey(&ep)] = &ep
}

// take removes and returns the desired endpoint with ep's identity, or nil.
func (s *endpointSet) take(ep *discovery.Endpoint) *discovery.Endpoint {
	k := endpointKey(ep)
	want := s.byKey[k]
	delete(s.byKey, k)
	return want
}

func (s *endpointSet) len() int { return len(s.byKey) }

// pop removes and returns the endpoint with the smallest key. Only call it once no more
// take calls follow.
func (s *endpointSet) pop() discovery.Endpoint {
	if s.sorted == nil {
		for k := range s.byKey {
			s.sorted = append(s.sorted, k)
		}
		slices.Sort(s.sorted)
	}
	k := s.sorted[0]
	s.sorted = s.sorted[1:]
	ep := s.byKey[k]
	delete(s.byKey, k)
	return *ep
}
