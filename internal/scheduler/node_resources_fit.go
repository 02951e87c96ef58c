package scheduler

import (
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

const reasonTooManyPods = "Too many pods"

// nodeResourcesFitFilter is upstream's NodeResourcesFit filter: the node's pod count, and the
// pod's requests against allocatable minus what the node's pods (bound or assumed) already
// request. Every shortage is a reason of its own ("Insufficient cpu", "Insufficient memory");
// preemption might free room, so the status is Unschedulable.
func nodeResourcesFitFilter(cs *cycleState, n *nodeInfo) *status {
	var reasons []string
	if len(n.pods)+1 > n.allowedPods {
		reasons = append(reasons, reasonTooManyPods)
	}
	want, free := cs.pod.requests, n.allocatable
	if want.milliCPU > 0 && want.milliCPU > free.milliCPU-n.requested.milliCPU {
		reasons = append(reasons, insufficient(corev1.ResourceCPU))
	}
	if want.memory > 0 && want.memory > free.memory-n.requested.memory {
		reasons = append(reasons, insufficient(corev1.ResourceMemory))
	}
	if want.ephemeralStorage > 0 && want.ephemeralStorage > free.ephemeralStorage-n.requested.ephemeralStorage {
		reasons = append(reasons, insufficient(corev1.ResourceEphemeralStorage))
	}
	var scalar []string
	for name, q := range want.scalar {
		if q > 0 && q > free.scalar[name]-n.requested.scalar[name] {
			scalar = append(scalar, insufficient(name))
		}
	}
	slices.Sort(scalar)
	reasons = append(reasons, scalar...)
	if len(reasons) == 0 {
		return nil
	}
	return newStatus(unschedulable, reasons...)
}

func insufficient(name corev1.ResourceName) string { return "Insufficient " + string(name) }

// leastAllocatedScore is NodeResourcesFit's default score (LeastAllocated, cpu and memory
// weighted 1): the share of each resource left free once the pod is placed, counting pods
// without requests at upstream's defaults, so that pods spread.
func leastAllocatedScore(cs *cycleState, n *nodeInfo) int64 {
	cpu := leastRequested(n.nonZeroRequested.milliCPU+cs.pod.nonZero.milliCPU, n.allocatable.milliCPU)
	mem := leastRequested(n.nonZeroRequested.memory+cs.pod.nonZero.memory, n.allocatable.memory)
	var sum, weights int64
	for _, s := range []struct {
		score       int64
		allocatable int64
	}{{cpu, n.allocatable.milliCPU}, {mem, n.allocatable.memory}} {
		if s.allocatable == 0 {
			continue
		}
		sum += s.score
		weights++
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

func leastRequested(requested, allocatable int64) int64 {
	if allocatable == 0 || requested > allocatable {
		return 0
	}
	return (allocatable - requested) * maxNodeScore / allocatable
}

// balancedAllocationScore is upstream's NodeResourcesBalancedAllocation: nodes whose cpu and
// memory would be used in the same proportion score higher (1 - the deviation of the two
// fractions). It counts actual requests, not the non-zero defaults.
func balancedAllocationScore(cs *cycleState, n *nodeInfo) int64 {
	var fractions []float64
	for _, r := range []struct{ requested, allocatable int64 }{
		{n.requested.milliCPU + cs.pod.requests.milliCPU, n.allocatable.milliCPU},
		{n.requested.memory + cs.pod.requests.memory, n.allocatable.memory},
	} {
		if r.allocatable == 0 {
			continue
		}
		fractions = append(fractions, min(float64(r.requested)/float64(r.allocatable), 1))
	}
	std := 0.0
	if len(fractions) == 2 {
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	}
	return int64((1 - std) * float64(maxNodeScore))
}
