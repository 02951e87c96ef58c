package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Taint-based eviction (upstream's taint eviction controller): a pod on a node with NoExecute
// taints leaves at once if it does not tolerate one of them, after the least
// tolerationSeconds of the tolerations it uses if they all set one, and never if any of
// them does not. The toleration time counts from when the controller first saw the pod
// under those taints; a restarted controller starts counting again, as upstream.

// evictionVerdict is what happens to one pod in this pass.
type evictionVerdict struct {
	// Evict: delete the pod now (gracefully).
	Evict bool
	// Deadline is when a pending eviction falls due (zero: none pending).
	Deadline time.Time
	// Cancelled: an eviction was pending and no longer is (taints gone, or tolerated
	// forever now).
	Cancelled bool
}

// planEviction decides for one pod given its node's NoExecute taints, the time its
// toleration clock started (zero: not counting) and now. It returns the verdict and the
// clock's start to remember (zero: stop counting).
func planEviction(pod *corev1.Pod, taints []corev1.Taint, started, now time.Time) (evictionVerdict, time.Time) {
	if pod.DeletionTimestamp != nil {
		return evictionVerdict{}, time.Time{} // already going
	}
	counting := !started.IsZero()
	if len(taints) == 0 {
		return evictionVerdict{Cancelled: counting}, time.Time{}
	}
	all, used := matchingTolerations(taints, pod.Spec.Tolerations)
	if !all {
		return evictionVerdict{Evict: true}, time.Time{}
	}
	least := minTolerationTime(used)
	switch least {
	case 0:
		return evictionVerdict{Evict: true}, time.Time{}
	case forever:
		return evictionVerdict{Cancelled: counting}, time.Time{}
	}
	if !counting {
		started = now
	}
	deadline := started.Add(least)
	if !now.Before(deadline) {
		return evictionVerdict{Evict: true}, time.Time{}
	}
	return evictionVerdict{Deadline: deadline}, started
}
