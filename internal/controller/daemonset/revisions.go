package daemonset

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/dump"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/rand"
)

// ComputeHash is upstream's pod-template hash (Deployment and DaemonSet): FNV-1a over the
// deterministic dump of the template, then the collision count as 8 little-endian bytes,
// encoded with SafeEncodeString. Same inputs give the same hash as upstream.
func ComputeHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", dump.ForHash(*template))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// revisionData is what a DaemonSet ControllerRevision stores: a strategic merge patch that
// puts the whole template back, {"spec":{"template":{...,"$patch":"replace"}}}. kubectl
// rollout undo applies it as is and compares it byte for byte, so it must be built exactly so.
func revisionData(ds *appsv1.DaemonSet) ([]byte, error) {
	raw, err := json.Marshal(ds)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	// Numbers stay int64 (not float64) so that the bytes match kubectl's own computation.
	if err := utiljson.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	spec, _ := obj["spec"].(map[string]any)
	template, _ := spec["template"].(map[string]any)
	if template == nil {
		template = map[string]any{}
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// revisionMatches: rev records ds's current template.
func revisionMatches(ds *appsv1.DaemonSet, rev *appsv1.ControllerRevision) bool {
	data, err := revisionData(ds)
	return err == nil && bytes.Equal(data, rev.Data.Raw)
}

// revisionName is <ds>-<hash>, the prefix cut so the name stays a valid object name.
func revisionName(ds *appsv1.DaemonSet, hash string) string {
	prefix := ds.Name
	if len(prefix) > 223 {
		prefix = prefix[:223]
	}
	return prefix + "-" + hash
}

// newRevision is the ControllerRevision recording ds's template as revision number n.
func newRevision(ds *appsv1.DaemonSet, hash string, n int64) (*appsv1.ControllerRevision, error) {
	data, err := revisionData(ds)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range ds.Spec.Template.Labels {
		labels[k] = v
	}
	labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	annotations := map[string]string{}
	for k, v := range ds.Annotations {
		annotations[k] = v
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            revisionName(ds, hash),
			Namespace:       ds.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: n,
	}, nil
}

// historyPlan is what to do with a DaemonSet's revisions before pods are managed.
type historyPlan struct {
	// Current is the revision matching the template (nil: create one numbered Next).
	Current *appsv1.ControllerRevision
	// Next is the number the current revision must carry: one above every other revision, so
	// that a rollback to an old template renumbers its revision as the newest.
	Next int64
	// Duplicates are other revisions with the current template, to delete after their pods
	// are relabelled with Current's hash.
	Duplicates []*appsv1.ControllerRevision
	// Old are the revisions of other templates.
	Old []*appsv1.ControllerRevision
}

// planHistory splits the controlled revisions into the current one (the newest of those
// matching the template), duplicates and old ones.
func planHistory(ds *appsv1.DaemonSet, revisions []*appsv1.ControllerRevision) historyPlan {
	var p historyPlan
	var current []*appsv1.ControllerRevision
	for _, r := range revisions {
		if revisionMatches(ds, r) {
			current = append(current, r)
		} else {
			p.Old = append(p.Old, r)
		}
	}
	p.Next = maxRevision(p.Old) + 1
	for _, r := range current {
		if p.Current == nil || r.Revision >= p.Current.Revision {
			p.Current = r
		}
	}
	for _, r := range current {
		if r != p.Current {
			p.Duplicates = append(p.Duplicates, r)
		}
	}
	return p
}

func maxRevision(revisions []*appsv1.ControllerRevision) int64 {
	var n int64
	for _, r := range revisions {
		n = max(n, r.Revision)
	}
	return n
}

// revisionsToDelete returns the old revisions beyond revisionHistoryLimit, oldest first,
// sparing those whose hash a live pod still carries.
func revisionsToDelete(ds *appsv1.DaemonSet, old []*appsv1.ControllerRevision, pods []*corev1.Pod) []*appsv1.ControllerRevision {
	limit := 10
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	excess := len(old) - limit
	if excess <= 0 {
		return nil
	}
	live := map[string]bool{}
	for _, p := range pods {
		if h := p.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; h != "" {
			live[h] = true
		}
	}
	sorted := append([]*appsv1.ControllerRevision(nil), old...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Revision < sorted[j].Revision })
	var out []*appsv1.ControllerRevision
	for _, r := range sorted {
		if excess == 0 {
			break
		}
		if live[r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] {
			continue
		}
		out = append(out, r)
		excess--
	}
	return out
}
