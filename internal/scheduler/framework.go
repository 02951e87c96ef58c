package scheduler

import (
	"k8s.io/apimachinery/pkg/labels"
)

// maxNodeScore is the most one plugin gives a node, before its weight.
const maxNodeScore int64 = 100

// plugin is one concern of the decision, named as upstream's plugin. Every stage is optional.
type plugin struct {
	name string
	// preFilter looks at the pod once per cycle and keeps what filter needs in the cycle
	// state. A non-nil node set restricts the cycle to those nodes; a status that is not
	// success makes the pod unschedulable on every node.
	preFilter func(cs *cycleState) (nodeNames map[string]struct{}, s *status)
	// filter answers for one node.
	filter func(cs *cycleState, n *nodeInfo) *status
	// preScore prepares scoring over the feasible nodes; false skips the plugin for the pod
	// (every node would score the same).
	preScore func(cs *cycleState, feasible []*nodeInfo) bool
	score    func(cs *cycleState, n *nodeInfo) int64
	// normalize brings the raw scores to 0..maxNodeScore in place.
	normalize func(cs *cycleState, nodes []*nodeInfo, scores []int64)
	weight    int64
}

// plugins is the chain, in upstream's default order (pre-filters and filters run in this
// order and a node's first failing filter is its reason) with upstream's default score
// weights. NodeName is absent because a pod with spec.nodeName is never this scheduler's;
// NodeVolumeLimits, VolumeZone and ImageLocality are absent because ordinal's nodes have no
// attach limits, zones or image lists.
var plugins = []plugin{
	{name: "NodeUnschedulable", filter: nodeUnschedulableFilter},
	{name: "TaintToleration", filter: taintTolerationFilter, preScore: taintTolerationPreScore, score: taintTolerationScore, normalize: normalizeReverse, weight: 3},
	{name: "NodeAffinity", preFilter: nodeAffinityPreFilter, filter: nodeAffinityFilter, preScore: nodeAffinityPreScore, score: nodeAffinityScore, normalize: normalizeDefault, weight: 2},
	{name: "NodePorts", filter: nodePortsFilter},
	{name: "NodeResourcesFit", filter: nodeResourcesFitFilter, score: leastAllocatedScore, weight: 1},
	{name: "VolumeRestrictions", preFilter: volumeRestrictionsPreFilter, filter: volumeRestrictionsFilter},
	{name: "VolumeBinding", preFilter: volumeBindingPreFilter, filter: volumeBindingFilter},
	{name: "PodTopologySpread", preFilter: podTopologySpreadPreFilter, filter: podTopologySpreadFilter, preScore: podTopologySpreadPreScore, score: podTopologySpreadScore, normalize: podTopologySpreadNormalize, weight: 2},
	{name: "InterPodAffinity", preFilter: interPodAffinityPreFilter, filter: interPodAffinityFilter, preScore: interPodAffinityPreScore, score: interPodAffinityScore, normalize: interPodAffinityNormalize, weight: 2},
	{name: "NodeResourcesBalancedAllocation", score: balancedAllocationScore, weight: 1},
}

// cycleState is what the plugins work out for one pod in one cycle.
type cycleState struct {
	pod  *podInfo
	snap *clusterSnapshot

	volumes                     *podVolumes
	readWriteOncePodConflict    bool
	interPod                    *interPodAffinityState
	spread                      *topologySpreadState
	spreadScore                 *topologySpreadScoreState
	interPodScore               map[topologyPair]int64
	preferNoScheduleTolerations tolerations
}

func newCycleState(pod *podInfo, snap *clusterSnapshot) *cycleState {
	return &cycleState{pod: pod, snap: snap}
}

// namespaceLabels reads namespace labels for namespace selectors of affinity terms.
func (cs *cycleState) namespaceLabels(name string) (labels.Set, bool) {
	if cs.snap.storage == nil {
		return nil, false
	}
	return cs.snap.storage.NamespaceLabels(name)
}

// normalizeDefault scales scores so the highest is maxNodeScore (upstream's
// DefaultNormalizeScore).
func normalizeDefault(_ *cycleState, _ []*nodeInfo, scores []int64) { defaultNormalize(scores, false) }

// normalizeReverse is normalizeDefault turned around: the highest raw score gets 0.
func normalizeReverse(_ *cycleState, _ []*nodeInfo, scores []int64) { defaultNormalize(scores, true) }

func defaultNormalize(scores []int64, reverse bool) {
	var highest int64
	for _, s := range scores {
		highest = max(highest, s)
	}
	if highest == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxNodeScore
			}
		}
		return
	}
	for i, s := range scores {
		s = maxNodeScore * s / highest
		if reverse {
			s = maxNodeScore - s
		}
		scores[i] = s
	}
}
