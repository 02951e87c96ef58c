package proxy

import (
	"fmt"
	"testing"

	discovery "k8s.io/api/discovery/v1"
)

// scaleState is n services with m ready endpoints each.
func scaleState(n, m int) state {
	var s state
	for i := range n {
		name := fmt.Sprintf("svc-%05d", i)
		s.services = append(s.services, svc(name, fmt.Sprintf("10.43.%d.%d", 100+i/250, 1+i%250), webPorts))
		var eps []discovery.Endpoint
		for j := range m {
			k := i*m + j
			eps = append(eps, ep(fmt.Sprintf("10.45.%d.%d", k/250, 1+k%250)))
		}
		s.slices = append(s.slices, slice(name+"-1", name, webSlice, eps...))
	}
	return s
}

// BenchmarkBuild1000x10 is the Go side of every sync at 1,000 services × 10 endpoints:
// the ruleset built from the informers' objects.
func BenchmarkBuild1000x10(b *testing.B) {
	s := scaleState(1000, 10)
	for b.Loop() {
		build(s.services, s.slices, Options{})
	}
}

// BenchmarkPartialScript1000x10 is the script for one endpoint change among 1,000 services
// × 10 endpoints, once both rulesets are built.
func BenchmarkPartialScript1000x10(b *testing.B) {
	s := scaleState(1000, 10)
	old := s.ruleset()
	s.slices[500] = slice("svc-00500-1", "svc-00500", webSlice, ep("10.46.0.1"))
	new := s.ruleset()
	for b.Loop() {
		partialScript(old, new, TableName)
	}
}
