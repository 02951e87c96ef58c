package scheduler

import (
	"math"
)

// Upstream's InterPodAffinity reasons.
const (
	reasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"
	reasonAffinity             = "node(s) didn't match pod affinity rules"
	reasonAntiAffinity         = "node(s) didn't match pod anti-affinity rules"
)

// hardPodAffinityWeight is what an existing pod's required affinity term that selects the
// incoming pod adds to the score of its topology (upstream's default).
const hardPodAffinityWeight = 1

// topologyPair is one topology domain: a node label and its value (kubernetes.io/hostname=a).
type topologyPair struct {
	key, value string
}

// interPodAffinityState counts, per topology domain, the pods that the rules involve.
type interPodAffinityState struct {
	// existingAntiAffinity: existing pods whose required anti-affinity selects the incoming pod.
	existingAntiAffinity map[topologyPair]int
	// affinity and antiAffinity: existing pods the incoming pod's required terms select.
	affinity     map[topologyPair]int
	antiAffinity map[topologyPair]int
}

// interPodAffinityPreFilter counts, over the whole snapshot, the pods each rule cares about.
func interPodAffinityPreFilter(cs *cycleState) (map[string]struct{}, *status) {
	cs.interPod = nil
	pi := cs.pod
	st := &interPodAffinityState{
		existingAntiAffinity: map[topologyPair]int{},
		affinity:             map[topologyPair]int{},
		antiAffinity:         map[topologyPair]int{},
	}
	for _, n := range cs.snap.nodes {
		for _, existing := range n.podsWithRequiredAntiAffinity {
			for i := range existing.requiredAntiAffinity {
				t := &existing.requiredAntiAffinity[i]
				if v, ok := n.node.Labels[t.topologyKey]; ok && t.matches(pi.pod, cs.namespaceLabels) {
					st.existingAntiAffinity[topologyPair{t.topologyKey, v}]++
				}
			}
		}
	}
	if len(pi.requiredAffinity)+len(pi.requiredAntiAffinity) > 0 {
		for _, n := range cs.snap.nodes {
			for _, existing := range n.pods {
				countMatches(st.affinity, pi.requiredAffinity, n, existing, cs.namespaceLabels)
				countMatches(st.antiAffinity, pi.requiredAntiAffinity, n, existing, cs.namespaceLabels)
			}
		}
	}
	if len(st.existingAntiAffinity) == 0 && len(pi.requiredAffinity)+len(pi.requiredAntiAffinity) == 0 {
		return nil, nil
	}
	cs.interPod = st
	return nil, nil
}

func countMatches(counts map[topologyPair]int, terms []affinityTerm, n *nodeInfo, existing *podInfo, nsLabels namespaceLabels) {
	for i := range terms {
		t := &terms[i]
		if v, ok := n.node.Labels[t.topologyKey]; ok && t.matches(existing.pod, nsLabels) {
			counts[topologyPair{t.topologyKey, v}]++
		}
	}
}

// interPodAffinityFilter is upstream's InterPodAffinity filter, in its order: the pod's
// required affinity (unresolvable: evicting pods cannot create the pods it wants), its required
// anti-affinity, then the anti-affinity of the pods already there (both Unschedulable:
// preemption could remove the offending pods).
func interPodAffinityFilter(cs *cycleState, n *nodeInfo) *status {
	st := cs.interPod
	if st == nil {
		return nil
	}
	if !cs.satisfiesPodAffinity(n) {
		return newStatus(unschedulableAndUnresolvable, reasonAffinity)
	}
	for i := range cs.pod.requiredAntiAffinity {
		t := &cs.pod.requiredAntiAffinity[i]
		if v, ok := n.node.Labels[t.topologyKey]; ok && st.antiAffinity[topologyPair{t.topologyKey, v}] > 0 {
			return newStatus(unschedulable, reasonAntiAffinity)
		}
	}
	for pair, count := range st.existingAntiAffinity {
		if v, ok := n.node.Labels[pair.key]; ok && v == pair.value && count > 0 {
			return newStatus(unschedulable, reasonExistingAntiAffinity)
		}
	}
	return nil
}

// satisfiesPodAffinity: every required affinity term finds a selected pod in the node's domain
// (the node must carry every term's topology key). The first pod of a group that wants to be
// with itself would wait forever, so when no pod anywhere matches and the pod matches its own
// terms, any node with the keys will do.
func (cs *cycleState) satisfiesPodAffinity(n *nodeInfo) bool {
	podsExist := true
	for i := range cs.pod.requiredAffinity {
		t := &cs.pod.requiredAffinity[i]
		v, ok := n.node.Labels[t.topologyKey]
		if !ok {
			return false
		}
		if cs.interPod.affinity[topologyPair{t.topologyKey, v}] <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	if len(cs.interPod.affinity) > 0 {
		return false
	}
	for i := range cs.pod.requiredAffinity {
		if !cs.pod.requiredAffinity[i].matches(cs.pod.pod, cs.namespaceLabels) {
			return false
		}
	}
	return true
}

// interPodAffinityPreScore sums, per topology domain, the preferred terms of the incoming pod
// that existing pods match and the terms of existing pods that the incoming pod matches
// (anti-affinity subtracts). Without preferred terms of its own, only existing pods with
// affinity terms are visited.
func interPodAffinityPreScore(cs *cycleState, _ []*nodeInfo) bool {
	pi := cs.pod
	hasPreferred := len(pi.preferredAffinity)+len(pi.preferredAntiAffinity) > 0
	scores := map[topologyPair]int64{}
	add := func(n *nodeInfo, key string, w int64) {
		if v, ok := n.node.Labels[key]; ok {
			scores[topologyPair{key, v}] += w
		}
	}
	for _, n := range cs.snap.nodes {
		if len(n.node.Labels) == 0 {
			continue
		}
		pods := n.podsWithAffinity
		if hasPreferred {
			pods = n.pods
		}
		for _, existing := range pods {
			for i := range pi.preferredAffinity {
				if t := &pi.preferredAffinity[i]; t.matches(existing.pod, cs.namespaceLabels) {
					add(n, t.topologyKey, t.weight)
				}
			}
			for i := range pi.preferredAntiAffinity {
				if t := &pi.preferredAntiAffinity[i]; t.matches(existing.pod, cs.namespaceLabels) {
					add(n, t.topologyKey, -t.weight)
				}
			}
			for i := range existing.requiredAffinity {
				if t := &existing.requiredAffinity[i]; t.matches(pi.pod, cs.namespaceLabels) {
					add(n, t.topologyKey, hardPodAffinityWeight)
				}
			}
			for i := range existing.preferredAffinity {
				if t := &existing.preferredAffinity[i]; t.matches(pi.pod, cs.namespaceLabels) {
					add(n, t.topologyKey, t.weight)
				}
			}
			for i := range existing.preferredAntiAffinity {
				if t := &existing.preferredAntiAffinity[i]; t.matches(pi.pod, cs.namespaceLabels) {
					add(n, t.topologyKey, -t.weight)
				}
			}
		}
	}
	if len(scores) == 0 {
		return false
	}
	cs.interPodScore = scores
	return true
}

func interPodAffinityScore(cs *cycleState, n *nodeInfo) int64 {
	var score int64
	for pair, s := range cs.interPodScore {
		if v, ok := n.node.Labels[pair.key]; ok && v == pair.value {
			score += s
		}
	}
	return score
}

// interPodAffinityNormalize maps the lowest score to 0 and the highest to maxNodeScore.
func interPodAffinityNormalize(_ *cycleState, _ []*nodeInfo, scores []int64) {
	lowest, highest := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range scores {
		lowest, highest = min(lowest, s), max(highest, s)
	}
	spread := highest - lowest
	for i, s := range scores {
		if spread > 0 {
			scores[i] = int64(float64(maxNodeScore) * float64(s-lowest) / float64(spread))
		} else {
			scores[i] = 0
		}
	}
}
