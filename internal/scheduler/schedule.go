package scheduler

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// errNoNodesAvailable is upstream's answer when the cluster has no node at all.
var errNoNodesAvailable = errors.New("no nodes available to schedule pods")

// decision is the outcome of one scheduling cycle for one pod.
type decision struct {
	// node is where the pod goes; empty when it goes nowhere now.
	node string
	// claimsToSelect are the pod's WaitForFirstConsumer claims to annotate with node before
	// the pod is bound.
	claimsToSelect []*corev1.PersistentVolumeClaim
	// err says why the pod goes nowhere: a *fitError (condition reason Unschedulable) or
	// another error (reason SchedulerError).
	err error
	// preemption, with err, is what preemption found: victims to evict on a node to nominate,
	// or (no node) that nothing would help.
	preemption *preemption
}

// schedulePod decides where a pending pod goes, upstream's way: pre-filters and filters in
// plugin order over every node of the snapshot, scores over the feasible ones, the highest
// total wins and ties are broken by rnd. When nothing fits, preemption looks for lower-priority
// pods whose eviction would make room. It does no I/O.
func schedulePod(pi *podInfo, snap *clusterSnapshot, rnd *rand.Rand) decision {
	if len(snap.nodes) == 0 {
		return decision{err: errNoNodesAvailable}
	}
	cs := newCycleState(pi, snap)
	feasible, fe := findNodesThatFit(cs)
	if len(feasible) == 0 {
		p, msg := preempt(cs, fe)
		fe.postFilter = msg
		return decision{err: fe, preemption: p}
	}
	chosen := feasible[0]
	if len(feasible) > 1 {
		chosen = selectHost(feasible, prioritize(cs, feasible), rnd)
	}
	return decision{node: chosen.name(), claimsToSelect: cs.volumes.claimsToSelect(chosen.name())}
}

// findNodesThatFit runs the pre-filters, then the filters on every node they leave, and
// returns the feasible nodes with the reasons of the others.
func findNodesThatFit(cs *cycleState) ([]*nodeInfo, *fitError) {
	fe := &fitError{numAllNodes: len(cs.snap.nodes), nodeStatus: map[string]*status{}}
	var allowed map[string]struct{}
	var restricting []string
	for i := range plugins {
		p := &plugins[i]
		if p.preFilter == nil {
			continue
		}
		names, s := p.preFilter(cs)
		if !s.isSuccess() {
			s.plugin = p.name
			fe.preFilter, fe.absent = s.message(), s
			return nil, fe
		}
		if names != nil {
			restricting = append(restricting, p.name)
			allowed = intersectNames(allowed, names)
		}
	}
	nodes := cs.snap.nodes
	if restricting != nil {
		slices.Sort(restricting)
		if len(allowed) == 0 {
			s := newStatus(unschedulableAndUnresolvable, fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", restricting))
			fe.preFilter, fe.absent = s.message(), s
			return nil, fe
		}
		fe.absent = newStatus(unschedulableAndUnresolvable, fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", restricting))
		nodes = nil
		for _, n := range cs.snap.nodes {
			if _, ok := allowed[n.name()]; ok {
				nodes = append(nodes, n)
			}
		}
	}
	var feasible []*nodeInfo
	for _, n := range nodes {
		if s := runFilters(cs, n); s.isSuccess() {
			feasible = append(feasible, n)
		} else {
			fe.nodeStatus[n.name()] = s
		}
	}
	return feasible, fe
}

func intersectNames(a, b map[string]struct{}) map[string]struct{} {
	if a == nil {
		return b
	}
	out := map[string]struct{}{}
	for n := range a {
		if _, ok := b[n]; ok {
			out[n] = struct{}{}
		}
	}
	return out
}

// runFilters answers for one node. Pods that preemption nominated to the node, at the pod's
// priority or above, count as if already there, so that room made for them is not taken; the
// node must also fit without them (upstream's RunFilterPluginsWithNominatedPods).
func runFilters(cs *cycleState, n *nodeInfo) *status {
	if with := cs.withNominatedPods(n); with != n {
		if s := filterNode(cs, with); !s.isSuccess() {
			return s
		}
	}
	return filterNode(cs, n)
}

func filterNode(cs *cycleState, n *nodeInfo) *status {
	for i := range plugins {
		p := &plugins[i]
		if p.filter == nil {
			continue
		}
		if s := p.filter(cs, n); !s.isSuccess() {
			s.plugin = p.name
			return s
		}
	}
	return nil
}

func (cs *cycleState) withNominatedPods(n *nodeInfo) *nodeInfo {
	out := n
	for _, np := range cs.snap.nominated {
		if np.node == n.name() && np.pod.pod.UID != cs.pod.pod.UID && np.pod.priority >= cs.pod.priority {
			out = out.withPod(np.pod)
		}
	}
	return out
}

// prioritize totals the weighted, normalized scores of every scoring plugin per node.
func prioritize(cs *cycleState, nodes []*nodeInfo) []int64 {
	total := make([]int64, len(nodes))
	scores := make([]int64, len(nodes))
	for i := range plugins {
		p := &plugins[i]
		if p.score == nil || (p.preScore != nil && !p.preScore(cs, nodes)) {
			continue
		}
		for j, n := range nodes {
			scores[j] = p.score(cs, n)
		}
		if p.normalize != nil {
			p.normalize(cs, nodes, scores)
		}
		for j := range nodes {
			total[j] += scores[j] * p.weight
		}
	}
	return total
}

// selectHost picks the highest total; among equal totals each node is equally likely
// (reservoir sampling, as upstream), drawn from rnd so a seed replays the choice.
func selectHost(nodes []*nodeInfo, scores []int64, rnd *rand.Rand) *nodeInfo {
	best, ties := 0, 1
	for i := 1; i < len(nodes); i++ {
		switch {
		case scores[i] > scores[best]:
			best, ties = i, 1
		case scores[i] == scores[best]:
			ties++
			if rnd.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best]
}
