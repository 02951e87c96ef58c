package scheduler

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
)

// Upstream's PodTopologySpread reasons.
const (
	reasonSpreadConstraints  = "node(s) didn't match pod topology spread constraints"
	reasonSpreadMissingLabel = reasonSpreadConstraints + " (missing required label)"
)

// systemDefaultConstraints are upstream's default spreading for pods that declare none: by
// node (skew 3) and by zone (skew 5), both ScheduleAnyway. Upstream selects the pods of the
// services and controllers that select the pod; ordinal selects the pods of the same
// controlling owner, which is the same set for pods of a workload controller.
var systemDefaultConstraints = []struct {
	key     string
	maxSkew int32
}{{corev1.LabelHostname, 3}, {corev1.LabelTopologyZone, 5}}

// spreadConstraint is a topology spread constraint ready to count pods.
type spreadConstraint struct {
	maxSkew     int32
	topologyKey string
	minDomains  int32
	// selector selects the pods counted; nil for a system default, which counts the pods of
	// controller instead.
	selector          labels.Selector
	controller        types.UID
	honorNodeAffinity bool
	honorNodeTaints   bool
}

// counts reports whether p is one of the pods the constraint spreads (same namespace as the
// incoming pod, not terminating).
func (c *spreadConstraint) counts(namespace string, p *podInfo) bool {
	if p.pod.Namespace != namespace || p.pod.DeletionTimestamp != nil {
		return false
	}
	if c.selector != nil {
		return c.selector.Matches(labels.Set(p.pod.Labels))
	}
	return p.controller == c.controller
}

func (c *spreadConstraint) countOn(namespace string, n *nodeInfo) int {
	count := 0
	for _, p := range n.pods {
		if c.counts(namespace, p) {
			count++
		}
	}
	return count
}

// includesNode applies nodeAffinityPolicy (default Honor: only nodes the pod may go to form
// domains) and nodeTaintsPolicy (default Ignore).
func (c *spreadConstraint) includesNode(pod *corev1.Pod, node *corev1.Node) bool {
	if c.honorNodeAffinity && !nodeMatchesPodSelector(pod, node) {
		return false
	}
	if c.honorNodeTaints {
		ts := tolerations(pod.Spec.Tolerations)
		for i := range node.Spec.Taints {
			t := &node.Spec.Taints[i]
			if (t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute) && !ts.tolerate(t) {
				return false
			}
		}
	}
	return true
}

// podSpreadConstraints builds the pod's own constraints with the given whenUnsatisfiable.
// matchLabelKeys add "key in (the pod's value)" to the selector, as the 1.32 scheduler does.
func podSpreadConstraints(pod *corev1.Pod, when corev1.UnsatisfiableConstraintAction) []spreadConstraint {
	var out []spreadConstraint
	for _, tsc := range pod.Spec.TopologySpreadConstraints {
		if tsc.WhenUnsatisfiable != when {
			continue
		}
		selector := labels.Nothing()
		if tsc.LabelSelector != nil {
			if s, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector); err == nil {
				selector = s
			}
		}
		for _, key := range tsc.MatchLabelKeys {
			if value, ok := pod.Labels[key]; ok {
				if r, err := labels.NewRequirement(key, selection.In, []string{value}); err == nil {
					selector = selector.Add(*r)
				}
			}
		}
		c := spreadConstraint{
			maxSkew: tsc.MaxSkew, topologyKey: tsc.TopologyKey, minDomains: 1, selector: selector,
			honorNodeAffinity: tsc.NodeAffinityPolicy == nil || *tsc.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
			honorNodeTaints:   tsc.NodeTaintsPolicy != nil && *tsc.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor,
		}
		if tsc.MinDomains != nil {
			c.minDomains = *tsc.MinDomains
		}
		out = append(out, c)
	}
	return out
}

func hasAllTopologyKeys(node *corev1.Node, constraints []spreadConstraint) bool {
	for i := range constraints {
		if _, ok := node.Labels[constraints[i].topologyKey]; !ok {
			return false
		}
	}
	return true
}

// topologySpreadState is the filter's view: per DoNotSchedule constraint, the matching pods
// in each domain of the nodes the constraint includes.
type topologySpreadState struct {
	constraints []spreadConstraint
	domains     []map[string]int
}

// minMatch is the smallest domain count of constraint i, or 0 when there are fewer domains
// than minDomains (the pod may open a new one).
func (st *topologySpreadState) minMatch(i int) int {
	if len(st.domains[i]) < int(st.constraints[i].minDomains) {
		return 0
	}
	lowest := math.MaxInt
	for _, n := range st.domains[i] {
		lowest = min(lowest, n)
	}
	return lowest
}

func podTopologySpreadPreFilter(cs *cycleState) (map[string]struct{}, *status) {
	cs.spread = nil
	pod := cs.pod.pod
	constraints := podSpreadConstraints(pod, corev1.DoNotSchedule)
	if len(constraints) == 0 {
		return nil, nil
	}
	st := &topologySpreadState{constraints: constraints, domains: make([]map[string]int, len(constraints))}
	for i := range st.domains {
		st.domains[i] = map[string]int{}
	}
	for _, n := range cs.snap.nodes {
		if !hasAllTopologyKeys(n.node, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			if !c.includesNode(pod, n.node) {
				continue
			}
			st.domains[i][n.node.Labels[c.topologyKey]] += c.countOn(pod.Namespace, n)
		}
	}
	cs.spread = st
	return nil, nil
}

// podTopologySpreadFilter is upstream's PodTopologySpread filter: placing the pod must keep
// every DoNotSchedule constraint's skew (its domain's count, plus itself if it matches, minus
// the smallest domain's count) within maxSkew.
func podTopologySpreadFilter(cs *cycleState, n *nodeInfo) *status {
	st := cs.spread
	if st == nil {
		return nil
	}
	pod := cs.pod.pod
	for i := range st.constraints {
		c := &st.constraints[i]
		value, ok := n.node.Labels[c.topologyKey]
		if !ok {
			return newStatus(unschedulableAndUnresolvable, reasonSpreadMissingLabel)
		}
		self := 0
		if c.selector.Matches(labels.Set(pod.Labels)) {
			self = 1
		}
		if st.domains[i][value]+self-st.minMatch(i) > int(c.maxSkew) {
			return newStatus(unschedulable, reasonSpreadConstraints)
		}
	}
	return nil
}

// topologySpreadScoreState is the score's view: the ScheduleAnyway constraints (the pod's own,
// or the system defaults), pod counts for domains other than single nodes, and the weight of
// each constraint (the log of its number of domains, so finer topologies weigh more).
type topologySpreadScoreState struct {
	constraints []spreadConstraint
	pairCounts  map[topologyPair]int
	weights     []float64
	ignored     map[string]bool
}

func podTopologySpreadPreScore(cs *cycleState, feasible []*nodeInfo) bool {
	cs.spreadScore = nil
	pod := cs.pod.pod
	var constraints []spreadConstraint
	requireAll := true
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		constraints = podSpreadConstraints(pod, corev1.ScheduleAnyway)
	} else if cs.pod.controller != "" {
		// Nodes without a zone label still spread by hostname under the defaults.
		requireAll = false
		for _, d := range systemDefaultConstraints {
			constraints = append(constraints, spreadConstraint{maxSkew: d.maxSkew, topologyKey: d.key, minDomains: 1, controller: cs.pod.controller, honorNodeAffinity: true})
		}
	}
	if len(constraints) == 0 {
		return false
	}
	st := &topologySpreadScoreState{constraints: constraints, pairCounts: map[topologyPair]int{}, weights: make([]float64, len(constraints)), ignored: map[string]bool{}}
	sizes := make([]int, len(constraints))
	for _, n := range feasible {
		if requireAll && !hasAllTopologyKeys(n.node, constraints) {
			st.ignored[n.name()] = true
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			value, ok := n.node.Labels[c.topologyKey]
			if c.topologyKey == corev1.LabelHostname || !ok {
				continue
			}
			pair := topologyPair{c.topologyKey, value}
			if _, seen := st.pairCounts[pair]; !seen {
				st.pairCounts[pair] = 0
				sizes[i]++
			}
		}
	}
	for i := range constraints {
		if constraints[i].topologyKey == corev1.LabelHostname {
			sizes[i] = len(feasible) - len(st.ignored)
		}
		st.weights[i] = math.Log(float64(sizes[i] + 2))
	}
	// Count the pods of every node (not only feasible ones) into the domains of feasible nodes.
	for _, n := range cs.snap.nodes {
		if requireAll && !hasAllTopologyKeys(n.node, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			if c.topologyKey == corev1.LabelHostname || !c.includesNode(pod, n.node) {
				continue
			}
			value, ok := n.node.Labels[c.topologyKey]
			if !ok {
				continue
			}
			pair := topologyPair{c.topologyKey, value}
			if _, tracked := st.pairCounts[pair]; tracked {
				st.pairCounts[pair] += c.countOn(pod.Namespace, n)
			}
		}
	}
	cs.spreadScore = st
	return true
}

// podTopologySpreadScore: more matching pods in the node's domains is a higher raw score;
// podTopologySpreadNormalize turns it around.
func podTopologySpreadScore(cs *cycleState, n *nodeInfo) int64 {
	st := cs.spreadScore
	if st.ignored[n.name()] {
		return 0
	}
	var score float64
	for i := range st.constraints {
		c := &st.constraints[i]
		value, ok := n.node.Labels[c.topologyKey]
		if !ok {
			continue
		}
		var count int
		if c.topologyKey == corev1.LabelHostname {
			count = c.countOn(cs.pod.pod.Namespace, n)
		} else {
			count = st.pairCounts[topologyPair{c.topologyKey, value}]
		}
		score += float64(count)*st.weights[i] + float64(c.maxSkew-1)
	}
	return int64(math.Round(score))
}

// podTopologySpreadNormalize maps the fewest matching pods to maxNodeScore; nodes without the
// topology keys score 0.
func podTopologySpreadNormalize(cs *cycleState, nodes []*nodeInfo, scores []int64) {
	ignored := cs.spreadScore.ignored
	lowest, highest := int64(math.MaxInt64), int64(0)
	for i, s := range scores {
		if ignored[nodes[i].name()] {
			continue
		}
		lowest, highest = min(lowest, s), max(highest, s)
	}
	for i, s := range scores {
		switch {
		case ignored[nodes[i].name()]:
			scores[i] = 0
		case highest == 0:
			scores[i] = maxNodeScore
		default:
			scores[i] = maxNodeScore * (highest + lowest - s) / highest
		}
	}
}
