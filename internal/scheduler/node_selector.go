package scheduler

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeMatchesSelectorTerms reports whether node matches any of terms (they are ORed). A term
// with no requirements matches nothing, as upstream; the requirements of one term are ANDed.
func nodeMatchesSelectorTerms(node *corev1.Node, terms []corev1.NodeSelectorTerm) bool {
	for i := range terms {
		if nodeMatchesSelectorTerm(node, &terms[i]) {
			return true
		}
	}
	return false
}

func nodeMatchesSelectorTerm(node *corev1.Node, term *corev1.NodeSelectorTerm) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	for i := range term.MatchExpressions {
		r := &term.MatchExpressions[i]
		value, ok := node.Labels[r.Key]
		if !requirementMatches(r.Operator, r.Values, value, ok) {
			return false
		}
	}
	for i := range term.MatchFields {
		r := &term.MatchFields[i]
		// metadata.name is the only field a node selector may name (validation).
		if r.Key != metav1.ObjectNameField || !requirementMatches(r.Operator, r.Values, node.Name, true) {
			return false
		}
	}
	return true
}

// requirementMatches applies one node selector operator to a label (value, present).
func requirementMatches(op corev1.NodeSelectorOperator, values []string, value string, present bool) bool {
	switch op {
	case corev1.NodeSelectorOpIn:
		return present && slices.Contains(values, value)
	case corev1.NodeSelectorOpNotIn:
		return !present || !slices.Contains(values, value)
	case corev1.NodeSelectorOpExists:
		return present
	case corev1.NodeSelectorOpDoesNotExist:
		return !present
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !present || len(values) != 1 {
			return false
		}
		have, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return false
		}
		want, err := strconv.ParseInt(values[0], 10, 64)
		if err != nil {
			return false
		}
		if op == corev1.NodeSelectorOpGt {
			return have > want
		}
		return have < want
	}
	return false
}

// nodeMatchesPodSelector is the pod's hard placement rule: every spec.nodeSelector label, and
// one of the required node affinity terms when there are any.
func nodeMatchesPodSelector(pod *corev1.Pod, node *corev1.Node) bool {
	for k, v := range pod.Spec.NodeSelector {
		if have, ok := node.Labels[k]; !ok || have != v {
			return false
		}
	}
	if required := requiredNodeAffinity(pod); required != nil {
		return nodeMatchesSelectorTerms(node, required.NodeSelectorTerms)
	}
	return true
}

func requiredNodeAffinity(pod *corev1.Pod) *corev1.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// topologySelectorMatches is a StorageClass's allowedTopologies check: no terms allow every
// node, otherwise one non-empty term must match (each of its expressions: label In values).
func topologySelectorMatches(terms []corev1.TopologySelectorTerm, labels map[string]string) bool {
	if len(terms) == 0 {
		return true
	}
	for _, term := range terms {
		if len(term.MatchLabelExpressions) == 0 {
			continue
		}
		ok := true
		for _, r := range term.MatchLabelExpressions {
			if v, present := labels[r.Key]; !present || !slices.Contains(r.Values, v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
