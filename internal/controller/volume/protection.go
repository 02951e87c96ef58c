package volume

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// podUsesClaim reports whether pod holds claim for pvc-protection: the pod is scheduled
// (the agent will not start a pod whose claim is being deleted, so an unscheduled pod holds
// nothing), still running or about to (not Succeeded or Failed), not already gone from the
// agent's point of view (deleted with a zero grace period), and names the claim in a
// persistentVolumeClaim volume.
//
// Upstream 1.32 keeps the claim until the pod object itself is gone; ordinal lets a
// finished pod release it, which is what a user deleting the claim of a completed Job
// expects and cannot cause data loss (the pod's containers have all exited).
func podUsesClaim(pod *corev1.Pod, claim *corev1.PersistentVolumeClaim) bool {
	if pod.Namespace != claim.Namespace || pod.Spec.NodeName == "" {
		return false
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil && *pod.DeletionGracePeriodSeconds == 0 {
		return false
	}
	return slices.Contains(podClaimNames(pod), claim.Name)
}

// claimInUse reports whether any of pods holds claim.
func claimInUse(claim *corev1.PersistentVolumeClaim, pods []*corev1.Pod) bool {
	for _, p := range pods {
		if podUsesClaim(p, claim) {
			return true
		}
	}
	return false
}

// unscheduledPods names, sorted, the pods of claim's namespace that use it and have no node.
func unscheduledPods(claim *corev1.PersistentVolumeClaim, pods []*corev1.Pod) []string {
	var names []string
	for _, p := range pods {
		if p.Namespace == claim.Namespace && p.Spec.NodeName == "" && slices.Contains(podClaimNames(p), claim.Name) {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

// podClaimNames lists the claims a pod's volumes name, including the claims of its generic
// ephemeral volumes (named <pod>-<volume>).
func podClaimNames(pod *corev1.Pod) []string {
	var names []string
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			names = append(names, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			names = append(names, pod.Name+"-"+v.Name)
		}
	}
	return names
}

// hasFinalizer reports whether finalizers contains f.
func hasFinalizer(finalizers []string, f string) bool {
	return slices.Contains(finalizers, f)
}

// withoutFinalizer returns finalizers without f.
func withoutFinalizer(finalizers []string, f string) []string {
	out := make([]string, 0, len(finalizers))
	for _, x := range finalizers {
		if x != f {
			out = append(out, x)
		}
	}
	return out
}
