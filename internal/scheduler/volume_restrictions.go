package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

const reasonReadWriteOncePodConflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"

// volumeRestrictionsPreFilter is upstream's VolumeRestrictions pre-filter: every claim the pod
// names must exist, and a ReadWriteOncePod claim already used by another pod (anywhere) makes
// every node unfit. It runs before VolumeBinding, so a missing claim is reported here.
func volumeRestrictionsPreFilter(cs *cycleState) (map[string]struct{}, *status) {
	pod := cs.pod.pod
	var exclusive []string
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim, ok := cs.snap.storage.Claim(pod.Namespace, v.PersistentVolumeClaim.ClaimName)
		if !ok {
			return nil, newStatus(unschedulableAndUnresolvable, claimNotFound(v.PersistentVolumeClaim.ClaimName))
		}
		if slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteOncePod) {
			exclusive = append(exclusive, claim.Name)
		}
	}
	cs.readWriteOncePodConflict = len(exclusive) > 0 && claimsUsedByOtherPods(cs.snap, pod, exclusive)
	return nil, nil
}

func claimNotFound(name string) string {
	return fmt.Sprintf("persistentvolumeclaim %q not found", name)
}

// claimsUsedByOtherPods reports whether a pod other than pod, bound or assumed anywhere, uses
// one of the named claims of pod's namespace.
func claimsUsedByOtherPods(snap *clusterSnapshot, pod *corev1.Pod, names []string) bool {
	for _, n := range snap.nodes {
		for _, other := range n.pods {
			if other.pod.UID == pod.UID || other.pod.Namespace != pod.Namespace {
				continue
			}
			for _, c := range other.claims {
				if slices.Contains(names, c) {
					return true
				}
			}
		}
	}
	return false
}

// volumeRestrictionsFilter reports the ReadWriteOncePod conflict on every node; preemption of
// the pod that holds the claim could resolve it, so it is Unschedulable.
func volumeRestrictionsFilter(cs *cycleState, _ *nodeInfo) *status {
	if cs.readWriteOncePodConflict {
		return newStatus(unschedulable, reasonReadWriteOncePodConflict)
	}
	return nil
}
