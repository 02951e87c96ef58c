package deployment

import (
	"sort"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// filterActiveReplicaSets keeps the ReplicaSets with spec.replicas > 0.
func filterActiveReplicaSets(rss []*apps.ReplicaSet) []*apps.ReplicaSet {
	var out []*apps.ReplicaSet
	for _, rs := range rss {
		if rs != nil && *rs.Spec.Replicas > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// EqualIgnoreHash reports whether two pod templates are semantically equal apart from
// the pod-template-hash label, which the Deployment's template does not carry and whose
// value changes with API defaults.
func EqualIgnoreHash(t1, t2 *v1.PodTemplateSpec) bool {
	c1, c2 := t1.DeepCopy(), t2.DeepCopy()
	delete(c1.Labels, apps.DefaultDeploymentUniqueLabelKey)
	delete(c2.Labels, apps.DefaultDeploymentUniqueLabelKey)
	return equality.Semantic.DeepEqual(c1, c2)
}

// findNewReplicaSet returns the oldest ReplicaSet whose template is d's (several can
// exist after API upgrades; the oldest wins deterministically). It sorts rss.
func findNewReplicaSet(d *apps.Deployment, rss []*apps.ReplicaSet) *apps.ReplicaSet {
	sort.Sort(byCreationTimestamp(rss))
	for _, rs := range rss {
		if EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// findOldReplicaSets returns the old ReplicaSets with pods, and all old ReplicaSets.
func findOldReplicaSets(d *apps.Deployment, rss []*apps.ReplicaSet) (withPods, all []*apps.ReplicaSet) {
	newRS := findNewReplicaSet(d, rss)
	for _, rs := range rss {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		all = append(all, rs)
		if *rs.Spec.Replicas != 0 {
			withPods = append(withPods, rs)
		}
	}
	return withPods, all
}

// findActiveOrLatest returns the only active ReplicaSet, or the newest one when none is
// active, or nil when several are (they are then scaled proportionally). It sorts oldRSs
// newest first.
func findActiveOrLatest(newRS *apps.ReplicaSet, oldRSs []*apps.ReplicaSet) *apps.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	sort.Sort(sort.Reverse(byCreationTimestamp(oldRSs)))
	all := filterActiveReplicaSets(append(append([]*apps.ReplicaSet(nil), oldRSs...), newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return oldRSs[0]
	case 1:
		return all[0]
	}
	return nil
}

// byCreationTimestamp sorts oldest first, names breaking ties.
type byCreationTimestamp []*apps.ReplicaSet

func (o byCreationTimestamp) Len() int      { return len(o) }
func (o byCreationTimestamp) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byCreationTimestamp) Less(i, j int) bool {
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// bySizeOlder sorts larger first, older first among equals.
type bySizeOlder []*apps.ReplicaSet

func (o bySizeOlder) Len() int      { return len(o) }
func (o bySizeOlder) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeOlder) Less(i, j int) bool {
	if *o[i].Spec.Replicas == *o[j].Spec.Replicas {
		return byCreationTimestamp(o).Less(i, j)
	}
	return *o[i].Spec.Replicas > *o[j].Spec.Replicas
}

// bySizeNewer sorts larger first, newer first among equals.
type bySizeNewer []*apps.ReplicaSet

func (o bySizeNewer) Len() int      { return len(o) }
func (o bySizeNewer) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeNewer) Less(i, j int) bool {
	if *o[i].Spec.Replicas == *o[j].Spec.Replicas {
		return byCreationTimestamp(o).Less(j, i)
	}
	return *o[i].Spec.Replicas > *o[j].Spec.Replicas
}

// byRevision sorts lowest revision first, creation time breaking ties.
type byRevision []*apps.ReplicaSet

func (o byRevision) Len() int      { return len(o) }
func (o byRevision) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byRevision) Less(i, j int) bool {
	r1, _ := revision(o[i])
	r2, _ := revision(o[j])
	if r1 == r2 {
		return byCreationTimestamp(o).Less(i, j)
	}
	return r1 < r2
}

func cloneAndAddLabel(labels map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[key] = value
	return out
}

func cloneSelectorAndAddLabel(sel *metav1.LabelSelector, key, value string) *metav1.LabelSelector {
	out := sel.DeepCopy()
	out.MatchLabels = cloneAndAddLabel(out.MatchLabels, key, value)
	return out
}
