package nodelifecycle

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

// failover is the decision to delete a lost node's StatefulSet pods.
type failover struct {
	Node string
	// Lease is the node's Lease as the decision saw it: the failover record is written
	// with its resourceVersion as a precondition, so a renewal since then cancels it.
	Lease *coordinationv1.Lease
	Pods  []*corev1.Pod
	// LastHeartbeat is when the controller last observed a heartbeat; Grace, Fencing and
	// Margin the periods waited since (for the event).
	LastHeartbeat          time.Time
	Grace, Fencing, Margin time.Duration
}

// completion finishes a failover recorded on a Lease: delete the pods it names, then
// remove the record.
type completion struct {
	Lease  *coordinationv1.Lease
	Record *fencing.Failover // nil when the record did not parse: only remove it
}

// failoverMoment is the earliest time a node last heard from at lastHeartbeat (controller
// clock) may lose its StatefulSet pods: the grace period makes it Unknown, the fencing
// period is how long its agent may still run containers after its last renewal, and the
// margin absorbs clock rate differences between agent and controller.
func failoverMoment(lastHeartbeat time.Time, grace, fencingPeriod, margin time.Duration) time.Time {
	return lastHeartbeat.Add(grace).Add(fencingPeriod).Add(margin)
}

// effectiveFencingPeriod is the longer of the configured period and the one the node's
// agent advertises on its Lease; false when the agent advertises none (fencing off, or no
// agent of ours): such a node is never failed over.
func effectiveFencingPeriod(lease *coordinationv1.Lease, configured time.Duration) (time.Duration, bool) {
	if lease == nil {
		return 0, false
	}
	advertised, ok := fencing.Period(lease)
	if !ok {
		return 0, false
	}
	return max(configured, advertised), true
}

// isStatefulSetPod reports whether a StatefulSet controls the pod.
func isStatefulSetPod(pod *corev1.Pod) bool {
	ref := metav1.GetControllerOfNoCopy(pod)
	return ref != nil && ref.Kind == "StatefulSet" && ref.APIVersion == "apps/v1"
}

// statefulSetPods returns the pods on a node that a StatefulSet controls.
func statefulSetPods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if isStatefulSetPod(p) {
			out = append(out, p)
		}
	}
	return out
}

// failoverRecord lists the pods of a failover for the Lease annotation.
func failoverRecord(pods []*corev1.Pod, now time.Time) fencing.Failover {
	f := fencing.Failover{At: metav1.NewTime(now)}
	for _, p := range pods {
		f.Pods = append(f.Pods, fencing.PodRef{Namespace: p.Namespace, Name: p.Name, UID: p.UID})
	}
	return f
}
