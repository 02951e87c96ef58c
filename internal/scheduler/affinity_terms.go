package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// affinityTerm is a pod (anti-)affinity term with its selectors parsed once.
type affinityTerm struct {
	// namespaces lists the namespaces the term names; when it names none and has no
	// namespaceSelector, it is the namespace of the pod that carries the term.
	namespaces  map[string]struct{}
	nsSelector  labels.Selector // labels.Nothing() when the term has no namespaceSelector
	selector    labels.Selector // labels.Nothing() for a nil labelSelector, as upstream
	topologyKey string
}

type weightedAffinityTerm struct {
	affinityTerm
	weight int64
}

// namespaceLabels looks a namespace's labels up; ok is false when it is not known.
type namespaceLabels func(name string) (labels.Set, bool)

// matches reports whether pod p is one of the pods the term selects.
func (t *affinityTerm) matches(p *corev1.Pod, nsLabels namespaceLabels) bool {
	if _, ok := t.namespaces[p.Namespace]; !ok {
		if t.nsSelector.Empty() {
			// An empty namespaceSelector selects every namespace, known or not.
		} else if set, known := nsLabels(p.Namespace); !known || !t.nsSelector.Matches(set) {
			return false
		}
	}
	return t.selector.Matches(labels.Set(p.Labels))
}

func newAffinityTerm(owner *corev1.Pod, term *corev1.PodAffinityTerm) affinityTerm {
	t := affinityTerm{topologyKey: term.TopologyKey, nsSelector: labels.Nothing(), selector: labels.Nothing()}
	if len(term.Namespaces) == 0 && term.NamespaceSelector == nil {
		t.namespaces = map[string]struct{}{owner.Namespace: {}}
	} else {
		t.namespaces = make(map[string]struct{}, len(term.Namespaces))
		for _, ns := range term.Namespaces {
			t.namespaces[ns] = struct{}{}
		}
	}
	if term.NamespaceSelector != nil {
		if s, err := metav1.LabelSelectorAsSelector(term.NamespaceSelector); err == nil {
			t.nsSelector = s
		}
	}
	if term.LabelSelector != nil {
		// An unparsable selector (validation rejects them) selects nothing.
		if s, err := metav1.LabelSelectorAsSelector(term.LabelSelector); err == nil {
			t.selector = s
		}
	}
	return t
}

func newAffinityTerms(owner *corev1.Pod, terms []corev1.PodAffinityTerm) []affinityTerm {
	if len(terms) == 0 {
		return nil
	}
	out := make([]affinityTerm, len(terms))
	for i := range terms {
		out[i] = newAffinityTerm(owner, &terms[i])
	}
	return out
}

func newWeightedAffinityTerms(owner *corev1.Pod, terms []corev1.WeightedPodAffinityTerm) []weightedAffinityTerm {
	if len(terms) == 0 {
		return nil
	}
	out := make([]weightedAffinityTerm, len(terms))
	for i := range terms {
		out[i] = weightedAffinityTerm{affinityTerm: newAffinityTerm(owner, &terms[i].PodAffinityTerm), weight: int64(terms[i].Weight)}
	}
	return out
}
