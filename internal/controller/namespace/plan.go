// Package namespace is the namespace controller: when a namespace is deleted it removes
// everything in it, through the same deletion rules as any client, and then lets the
// namespace itself go by removing the "kubernetes" finalizer.
package namespace

import (
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is what the controller does next for one namespace.
type Action struct {
	// DeleteCollection lists the resources whose objects in the namespace are to be deleted.
	DeleteCollection []schema.GroupVersionResource
	// Finalize removes the "kubernetes" finalizer: the namespace is empty.
	Finalize bool
	// Wait means objects are still going away (graceful pods, finalizers): look again later.
	Wait bool
}

// Plan decides the next step for ns given how many objects of each namespaced resource are
// left in it. A namespace that is not being deleted, or whose content is already gone, needs
// nothing.
func Plan(ns *corev1.Namespace, remaining map[schema.GroupVersionResource]int) Action {
	if ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return Action{}
	}
	var act Action
	for gvr, n := range remaining {
		if n > 0 {
			act.DeleteCollection = append(act.DeleteCollection, gvr)
		}
	}
	if len(act.DeleteCollection) == 0 {
		return Action{Finalize: true}
	}
	sort.Slice(act.DeleteCollection, func(i, j int) bool {
		return act.DeleteCollection[i].String() < act.DeleteCollection[j].String()
	})
	act.Wait = true
	return act
}

// withoutKubernetesFinalizer returns the finalizers left once ours is removed.
func withoutKubernetesFinalizer(finalizers []corev1.FinalizerName) []corev1.FinalizerName {
	out := make([]corev1.FinalizerName, 0, len(finalizers))
	for _, f := range finalizers {
		if f != corev1.FinalizerKubernetes {
			out = append(out, f)
		}
	}
	return out
}
