package endpoints

import (
	"cmp"
	"slices"

	v1 "k8s.io/api/core/v1"
)

// sortedPods orders pods by name, so that a plan does not depend on cache order.
func sortedPods(pods []*v1.Pod) []*v1.Pod {
	out := slices.Clone(pods)
	slices.SortFunc(out, func(a, b *v1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
