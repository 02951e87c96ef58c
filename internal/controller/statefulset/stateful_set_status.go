package statefulset

import (
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
)

// computeReplicaStatus counts pods into status as upstream does: replicas are created pods
// (terminating ones included), ready are Running+Ready, available are ready for
// minReadySeconds, and current/updated are created, non-terminating pods labelled with the
// current/update revision.
func computeReplicaStatus(status *apps.StatefulSetStatus, pods []*v1.Pod, minReadySeconds int32, currentRevision, updateRevision string, now time.Time) {
	status.Replicas, status.ReadyReplicas, status.AvailableReplicas = 0, 0, 0
	status.CurrentReplicas, status.UpdatedReplicas = 0, 0
	for _, pod := range pods {
		if isCreated(pod) {
			status.Replicas++
		}
		if isRunningAndReady(pod) {
			status.ReadyReplicas++
			if isRunningAndAvailable(pod, minReadySeconds, now) {
				status.AvailableReplicas++
			}
		}
		if isCreated(pod) && !isTerminating(pod) {
			revision := getPodRevision(pod)
			if revision == currentRevision {
				status.CurrentReplicas++
			}
			if revision == updateRevision {
				status.UpdatedReplicas++
			}
		}
	}
}

// completeRollingUpdate marks a finished RollingUpdate: every wanted pod exists, is ready and
// runs the update revision, so the update revision becomes current. (OnDelete never advances
// currentRevision in 1.32; kubectl refuses rollout status for it anyway.)
func completeRollingUpdate(set *apps.StatefulSet, status *apps.StatefulSetStatus) {
	if set.Spec.UpdateStrategy.Type == apps.RollingUpdateStatefulSetStrategyType &&
		status.UpdatedReplicas == *set.Spec.Replicas &&
		status.ReadyReplicas == *set.Spec.Replicas &&
		status.Replicas == *set.Spec.Replicas {
		status.CurrentReplicas = status.UpdatedReplicas
		status.CurrentRevision = status.UpdateRevision
	}
}

// inconsistentStatus tells whether status says something set's stored status does not, so
// that it is worth a write. Like upstream, collisionCount alone does not count (a collision
// also changes updateRevision).
func inconsistentStatus(set *apps.StatefulSet, status *apps.StatefulSetStatus) bool {
	return status.ObservedGeneration > set.Status.ObservedGeneration ||
		status.Replicas != set.Status.Replicas ||
		status.CurrentReplicas != set.Status.CurrentReplicas ||
		status.ReadyReplicas != set.Status.ReadyReplicas ||
		status.UpdatedReplicas != set.Status.UpdatedReplicas ||
		status.CurrentRevision != set.Status.CurrentRevision ||
		status.AvailableReplicas != set.Status.AvailableReplicas ||
		status.UpdateRevision != set.Status.UpdateRevision
}

// nextAvailableCheck returns how long until the first ready but not yet available pod becomes
// available, 0 if none will: no watch event marks that moment, so the set is looked at again
// then.
func nextAvailableCheck(pods []*v1.Pod, minReadySeconds int32, now time.Time) time.Duration {
	if minReadySeconds <= 0 {
		return 0
	}
	var next time.Duration
	for _, pod := range pods {
		if !isRunningAndReady(pod) || isRunningAndAvailable(pod, minReadySeconds, now) {
			continue
		}
		c := getPodReadyCondition(pod)
		if c.LastTransitionTime.IsZero() {
			continue // never counts as available
		}
		wait := c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
		// Availability needs the deadline strictly passed; a little slack avoids a wake-up a
		// hair too early that would only schedule another.
		wait += 10 * time.Millisecond
		if wait <= 0 {
			wait = 10 * time.Millisecond
		}
		if next == 0 || wait < next {
			next = wait
		}
	}
	return next
}
