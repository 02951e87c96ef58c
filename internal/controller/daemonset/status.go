package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// computeStatus counts, over existing nodes, what `kubectl get ds` and `kubectl rollout
// status` show. On each node that should run a pod, the oldest pod speaks for the node.
// CollisionCount and conditions are carried over from the stored status.
func computeStatus(in syncInput) appsv1.DaemonSetStatus {
	st := appsv1.DaemonSetStatus{
		ObservedGeneration: in.DS.Generation,
		CollisionCount:     in.DS.Status.CollisionCount,
		Conditions:         in.DS.Status.Conditions,
	}
	for _, node := range in.Nodes {
		shouldRun, _ := nodeShouldRunDaemonPod(node, in.DS)
		pods := in.NodeToPods[node.Name]
		scheduled := len(pods) > 0
		if !shouldRun {
			if scheduled {
				st.NumberMisscheduled++
			}
			continue
		}
		st.DesiredNumberScheduled++
		if !scheduled {
			continue
		}
		st.CurrentNumberScheduled++
		sorted := append([]*corev1.Pod(nil), pods...)
		sortOldestFirst(sorted)
		pod := sorted[0]
		if isPodReady(pod) {
			st.NumberReady++
			if isPodAvailable(pod, in.DS.Spec.MinReadySeconds, in.Now) {
				st.NumberAvailable++
			}
		}
		if isPodUpdated(pod, in.Hash) {
			st.UpdatedNumberScheduled++
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	return st
}

// statusChanged: the counters differ or the spec generation has not been observed yet.
func statusChanged(ds *appsv1.DaemonSet, st appsv1.DaemonSetStatus) bool {
	old := ds.Status
	return old.DesiredNumberScheduled != st.DesiredNumberScheduled ||
		old.CurrentNumberScheduled != st.CurrentNumberScheduled ||
		old.NumberMisscheduled != st.NumberMisscheduled ||
		old.NumberReady != st.NumberReady ||
		old.UpdatedNumberScheduled != st.UpdatedNumberScheduled ||
		old.NumberAvailable != st.NumberAvailable ||
		old.NumberUnavailable != st.NumberUnavailable ||
		old.ObservedGeneration < st.ObservedGeneration
}
