package replicaset

import (
	"math"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodDeletionCostAnnotation lets users say which pods of a ReplicaSet go first on
// scale-down (lower cost first).
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// podPhaseOrdinal orders phases for scale-down: pending pods go before unknown ones,
// which go before running ones.
var podPhaseOrdinal = map[v1.PodPhase]int{v1.PodPending: 0, v1.PodUnknown: 1, v1.PodRunning: 2}

// activePodsWithRanks sorts pods so that the ones to delete first come first, as
// upstream's controller.ActivePodsWithRanks with the PodDeletionCost and
// LogarithmicScaleDown features on (their 1.32 defaults). rank[i] is the number of
// active pods related to pods[i] (same owning Deployment) on pods[i]'s node.
type activePodsWithRanks struct {
	pods []*v1.Pod
	rank []int
	now  time.Time
}

func (s activePodsWithRanks) Len() int { return len(s.pods) }

func (s activePodsWithRanks) Swap(i, j int) {
	s.pods[i], s.pods[j] = s.pods[j], s.pods[i]
	s.rank[i], s.rank[j] = s.rank[j], s.rank[i]
}

func (s activePodsWithRanks) Less(i, j int) bool {
	pi, pj := s.pods[i], s.pods[j]
	// 1. Unassigned before assigned.
	if pi.Spec.NodeName != pj.Spec.NodeName && (pi.Spec.NodeName == "" || pj.Spec.NodeName == "") {
		return pi.Spec.NodeName == ""
	}
	// 2. Pending before Unknown before Running.
	if podPhaseOrdinal[pi.Status.Phase] != podPhaseOrdinal[pj.Status.Phase] {
		return podPhaseOrdinal[pi.Status.Phase] < podPhaseOrdinal[pj.Status.Phase]
	}
	// 3. Not ready before ready.
	if IsPodReady(pi) != IsPodReady(pj) {
		return !IsPodReady(pi)
	}
	// 4. Lower deletion cost before higher.
	if ci, cj := podDeletionCost(pi), podDeletionCost(pj); ci != cj {
		return ci < cj
	}
	// 5. Doubled up (more related pods on the same node) before not.
	if s.rank[i] != s.rank[j] {
		return s.rank[i] > s.rank[j]
	}
	// 6. Ready for a shorter time before a longer one, compared in log2 buckets.
	if IsPodReady(pi) && IsPodReady(pj) {
		ti, tj := podReadyTime(pi), podReadyTime(pj)
		if !ti.Equal(&tj) {
			return s.newerFirst(pi, pj, ti, tj)
		}
	}
	// 7. More container restarts before fewer.
	if res, ok := compareMaxContainerRestarts(pi, pj); ok {
		return res
	}
	// 8. Created more recently before created earlier, in log2 buckets.
	if !pi.CreationTimestamp.Equal(&pj.CreationTimestamp) {
		return s.newerFirst(pi, pj, pi.CreationTimestamp, pj.CreationTimestamp)
	}
	return false
}

// newerFirst orders two different times: zero first, then the more recent, except that
// times in the same power-of-two bucket of age are tied and broken by UID, so that
// scale-down does not always pick the very newest pods.
func (s activePodsWithRanks) newerFirst(pi, pj *v1.Pod, ti, tj metav1.Time) bool {
	if s.now.IsZero() || ti.IsZero() || tj.IsZero() {
		return afterOrZero(ti, tj)
	}
	diff := logarithmicRankDiff(ti.Time, tj.Time, s.now)
	if diff == 0 {
		return pi.UID < pj.UID
	}
	return diff < 0
}

// afterOrZero reports whether t1 is zero or, both being set, after t2.
func afterOrZero(t1, t2 metav1.Time) bool {
	if t1.IsZero() || t2.IsZero() {
		return t1.IsZero()
	}
	return t1.After(t2.Time)
}

// logarithmicRankDiff compares the floor of log2 of the ages of t1 and t2 (in
// nanoseconds) at now; a time in the future has bucket -1.
func logarithmicRankDiff(t1, t2, now time.Time) int64 {
	bucket := func(t time.Time) int64 {
		if d := now.Sub(t); d > 0 {
			return int64(math.Log2(float64(d)))
		}
		return -1
	}
	return bucket(t1) - bucket(t2)
}

// podReadyTime is when the pod last became Ready, zero if it is not.
func podReadyTime(p *v1.Pod) metav1.Time {
	if c := podReadyCondition(p); c != nil && c.Status == v1.ConditionTrue {
		return c.LastTransitionTime
	}
	return metav1.Time{}
}

// compareMaxContainerRestarts orders pods with more restarts first: regular containers
// decide, then restartable init containers (sidecars). ok is false on a tie.
func compareMaxContainerRestarts(pi, pj *v1.Pod) (res, ok bool) {
	ri, si := maxContainerRestarts(pi)
	rj, sj := maxContainerRestarts(pj)
	if ri != rj {
		return ri > rj, true
	}
	if si != sj {
		return si > sj, true
	}
	return false, false
}

func maxContainerRestarts(p *v1.Pod) (regular, sidecar int32) {
	for _, c := range p.Status.ContainerStatuses {
		regular = max(regular, c.RestartCount)
	}
	sidecars := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
		}
	}
	for _, c := range p.Status.InitContainerStatuses {
		if sidecars[c.Name] {
			sidecar = max(sidecar, c.RestartCount)
		}
	}
	return regular, sidecar
}

// podDeletionCost parses the pod-deletion-cost annotation; a missing or malformed value
// (a leading "+" or zero included) costs 0.
func podDeletionCost(p *v1.Pod) int32 {
	v, ok := p.Annotations[PodDeletionCostAnnotation]
	if !ok || !validFirstDigit(v) {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

func validFirstDigit(s string) bool {
	if s == "" {
		return false
	}
	return s[0] == '-' || s == "0" || (s[0] >= '1' && s[0] <= '9')
}
