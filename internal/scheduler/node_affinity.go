package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	reasonNodeAffinity         = "node(s) didn't match Pod's node affinity/selector"
	reasonNodeAffinityConflict = "pod affinity terms conflict"
)

// nodeAffinityPreFilter narrows the cycle to the nodes named by matchFields metadata.name In
// (a DaemonSet pod names its node that way) when every required term names nodes; other nodes
// are then reported as "didn't satisfy plugin(s) [NodeAffinity]", as upstream.
func nodeAffinityPreFilter(cs *cycleState) (map[string]struct{}, *status) {
	required := requiredNodeAffinity(cs.pod.pod)
	if required == nil {
		return nil, nil
	}
	var names map[string]struct{}
	for _, term := range required.NodeSelectorTerms {
		var termNames map[string]struct{}
		for _, r := range term.MatchFields {
			if r.Key != metav1.ObjectNameField || r.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			values := make(map[string]struct{}, len(r.Values))
			for _, v := range r.Values {
				if termNames == nil {
					values[v] = struct{}{}
				} else if _, ok := termNames[v]; ok {
					values[v] = struct{}{}
				}
			}
			termNames = values
		}
		if termNames == nil {
			// This term can match any node, and terms are ORed.
			return nil, nil
		}
		if names == nil {
			names = map[string]struct{}{}
		}
		for n := range termNames {
			names[n] = struct{}{}
		}
	}
	if names != nil && len(names) == 0 {
		return nil, newStatus(unschedulableAndUnresolvable, reasonNodeAffinityConflict)
	}
	return names, nil
}

// nodeAffinityFilter is upstream's NodeAffinity filter: spec.nodeSelector and the required node
// affinity terms.
func nodeAffinityFilter(cs *cycleState, n *nodeInfo) *status {
	if nodeMatchesPodSelector(cs.pod.pod, n.node) {
		return nil
	}
	return newStatus(unschedulableAndUnresolvable, reasonNodeAffinity)
}

func preferredNodeAffinity(pod *corev1.Pod) []corev1.PreferredSchedulingTerm {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

func nodeAffinityPreScore(cs *cycleState, _ []*nodeInfo) bool {
	return len(preferredNodeAffinity(cs.pod.pod)) > 0
}

// nodeAffinityScore sums the weights of the preferred terms the node matches; an empty
// preference matches nothing (upstream: "a no-op").
func nodeAffinityScore(cs *cycleState, n *nodeInfo) int64 {
	var score int64
	for _, term := range preferredNodeAffinity(cs.pod.pod) {
		if term.Weight != 0 && nodeMatchesSelectorTerm(n.node, &term.Preference) {
			score += int64(term.Weight)
		}
	}
	return score
}
