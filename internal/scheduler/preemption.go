package scheduler

import (
	"math"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Upstream's DefaultPreemption wording.
const (
	reasonPreemptionNotHelpful = "Preemption is not helpful for scheduling"
	reasonNoVictims            = "No preemption victims found for incoming pod"
	notEligiblePreemptNever    = "not eligible due to preemptionPolicy=Never."
	notEligibleTerminating     = "not eligible due to a terminating pod on the nominated node."

	// reasonPreemptionByScheduler is the DisruptionTarget condition reason on a victim.
	reasonPreemptionByScheduler = "PreemptionByScheduler"
)

// preemption makes room for a pod on node by evicting victims, all of lower priority. With no
// node, it is the outcome of a search that found none, and the pod's nomination (if any) is
// dropped.
type preemption struct {
	node    string
	victims []*podInfo
}

// preempt is upstream's DefaultPreemption post-filter, run when no node fits. It returns nil
// when the pod may not preempt (its nomination stands), an empty preemption when nothing
// would help, or the victims to evict on the chosen node. On every node
// whose failure preemption might resolve (status Unschedulable), it removes the pods of lower
// priority and checks the pod would fit; then it gives back as many of them as still let it
// fit, most important first. The node whose victims matter least is chosen. With no such
// node, the message says why for every node ("preemption: 0/3 nodes are available: ...").
func preempt(cs *cycleState, fe *fitError) (*preemption, string) {
	pod := cs.pod.pod
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return nil, "preemption: " + notEligiblePreemptNever
	}
	if nominated := pod.Status.NominatedNodeName; nominated != "" {
		if s := fe.statusOf(nominated); s == nil || s.code != unschedulableAndUnresolvable {
			if n := cs.snap.byName[nominated]; n != nil && hasPreemptedPodsTerminating(n, cs.pod.priority) {
				return nil, "preemption: " + notEligibleTerminating
			}
		}
	}
	result := &fitError{
		numAllNodes: fe.numAllNodes,
		nodeStatus:  map[string]*status{},
		absent:      newStatus(unschedulableAndUnresolvable, reasonPreemptionNotHelpful),
	}
	var candidates []*preemption
	for _, n := range cs.snap.nodes {
		if s := fe.statusOf(n.name()); s == nil || s.code != unschedulable {
			continue
		}
		victims, s := selectVictimsOnNode(cs, n)
		if !s.isSuccess() {
			result.nodeStatus[n.name()] = s
			continue
		}
		candidates = append(candidates, &preemption{node: n.name(), victims: victims})
	}
	if len(candidates) == 0 {
		// Nothing helps anywhere: any earlier nomination is void.
		return &preemption{}, "preemption: " + result.Error()
	}
	return pickOneNodeForPreemption(candidates), ""
}

// statusOf is a node's status in the fit error: its own, or the pre-filter's for all.
func (f *fitError) statusOf(node string) *status {
	if s, ok := f.nodeStatus[node]; ok {
		return s
	}
	return f.absent
}

func hasPreemptedPodsTerminating(n *nodeInfo, priority int32) bool {
	for _, p := range n.pods {
		if p.priority < priority && p.pod.DeletionTimestamp != nil && preemptedByScheduler(p.pod) {
			return true
		}
	}
	return false
}

func preemptedByScheduler(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == reasonPreemptionByScheduler {
			return true
		}
	}
	return false
}

// selectVictimsOnNode returns the fewest lower-priority pods to evict from n for the pod to fit.
func selectVictimsOnNode(cs *cycleState, n *nodeInfo) ([]*podInfo, *status) {
	var potential []*podInfo
	reduced := n
	for _, p := range n.pods {
		if p.priority < cs.pod.priority {
			potential = append(potential, p)
			reduced, _ = reduced.withoutPod(p.pod.UID)
		}
	}
	if len(potential) == 0 {
		return nil, newStatus(unschedulableAndUnresolvable, reasonNoVictims)
	}
	if s := fitsWith(cs, reduced); !s.isSuccess() {
		return nil, s
	}
	slices.SortStableFunc(potential, moreImportant)
	var victims []*podInfo
	for _, p := range potential {
		if back := reduced.withPod(p); fitsWith(cs, back).isSuccess() {
			reduced = back
		} else {
			victims = append(victims, p)
		}
	}
	return victims, nil
}

// fitsWith runs the whole pre-filter and filter chain as if n replaced its node in the
// snapshot (the inter-pod rules look at every node).
func fitsWith(cs *cycleState, n *nodeInfo) *status {
	what := newCycleState(cs.pod, cs.snap.withNode(n))
	for i := range plugins {
		if p := &plugins[i]; p.preFilter != nil {
			if _, s := p.preFilter(what); !s.isSuccess() {
				return s
			}
		}
	}
	return runFilters(what, n)
}

// moreImportant orders pods by priority, then earlier start (upstream's MoreImportantPod).
func moreImportant(a, b *podInfo) int {
	if a.priority != b.priority {
		if a.priority > b.priority {
			return -1
		}
		return 1
	}
	return startTime(a).Compare(startTime(b))
}

func startTime(p *podInfo) time.Time {
	if p.pod.Status.StartTime != nil {
		return p.pod.Status.StartTime.Time
	}
	return p.pod.CreationTimestamp.Time
}

// pickOneNodeForPreemption prefers, in order: the lowest highest-victim priority, the lowest
// sum of victim priorities, the fewest victims, the latest start among the most important
// victims, then the first node by name. (Upstream first minimises PodDisruptionBudget
// violations; ordinal does not read budgets.)
func pickOneNodeForPreemption(candidates []*preemption) *preemption {
	for _, c := range candidates {
		slices.SortStableFunc(c.victims, moreImportant)
	}
	best := candidates[0]
	for _, c := range candidates[1:] {
		if preemptionLess(c, best) {
			best = c
		}
	}
	return best
}

func preemptionLess(a, b *preemption) bool {
	if ha, hb := highestPriority(a), highestPriority(b); ha != hb {
		return ha < hb
	}
	if sa, sb := prioritySum(a), prioritySum(b); sa != sb {
		return sa < sb
	}
	if len(a.victims) != len(b.victims) {
		return len(a.victims) < len(b.victims)
	}
	return earliestStart(a).After(earliestStart(b))
}

func highestPriority(p *preemption) int32 {
	if len(p.victims) == 0 {
		return math.MinInt32
	}
	return p.victims[0].priority
}

func prioritySum(p *preemption) int64 {
	var sum int64
	for _, v := range p.victims {
		// Shifted to be positive, so that more victims never lowers the sum.
		sum += int64(v.priority) + int64(math.MaxInt32) + 1
	}
	return sum
}

// earliestStart is the earliest start among the victims of the highest priority.
func earliestStart(p *preemption) time.Time {
	var out time.Time
	for _, v := range p.victims {
		if v.priority != highestPriority(p) {
			continue
		}
		if t := startTime(v); out.IsZero() || t.Before(out) {
			out = t
		}
	}
	return out
}
