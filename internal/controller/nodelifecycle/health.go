package nodelifecycle

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeHealth is what the controller last saw of a node's heartbeats and, above all, when it
// saw them change: ProbeTime is read from the controller's own clock at the pass that
// noticed the change, never taken from a timestamp the agent wrote, so a node whose clock
// is off can neither look fresh when it is not nor stale when it is not (upstream's
// probeTimestamp).
type nodeHealth struct {
	ProbeTime time.Time
	// Heartbeat is the Ready condition's lastHeartbeatTime as last seen; HasReady says
	// whether there was a Ready condition at all.
	Heartbeat metav1.Time
	HasReady  bool
	// RenewTime is the Lease's renewTime as last seen; HasLease whether there was one.
	RenewTime metav1.MicroTime
	HasLease  bool
}

// observe updates a node's health with what the informers show now. Any change of the
// Ready condition's heartbeat, or of the Lease's renewTime, is a heartbeat observed at now.
//
// Upstream counts a Lease only when its renewTime moves forward; here any change counts,
// because the agent treats every successful renewal as proof of life when it decides to
// fence itself: a renewal written by an agent whose wall clock stepped back is still one.
func observe(prev *nodeHealth, node *corev1.Node, lease *coordinationv1.Lease, now time.Time) nodeHealth {
	ready := findNodeCondition(node.Status.Conditions, corev1.NodeReady)
	var h nodeHealth
	switch {
	case prev == nil && ready == nil:
		// Never posted status: its grace (the startup grace) runs from its creation.
		h = nodeHealth{ProbeTime: node.CreationTimestamp.Time}
	case prev == nil:
		h = nodeHealth{ProbeTime: now}
	default:
		h = *prev
		if ready != nil != prev.HasReady || (ready != nil && !ready.LastHeartbeatTime.Equal(&prev.Heartbeat)) {
			h.ProbeTime = now
		}
	}
	h.HasReady = ready != nil
	h.Heartbeat = metav1.Time{}
	if ready != nil {
		h.Heartbeat = ready.LastHeartbeatTime
	}
	h.HasLease, h.RenewTime = false, metav1.MicroTime{}
	if lease != nil && lease.Spec.RenewTime != nil {
		if prev == nil || !prev.HasLease || !lease.Spec.RenewTime.Equal(&prev.RenewTime) {
			h.ProbeTime = now
		}
		h.HasLease, h.RenewTime = true, *lease.Spec.RenewTime
	}
	return h
}

// gracePeriod is how long the node may stay silent before it is marked Unknown: the
// startup grace while it has never posted a Ready condition (including after the
// controller filled one in for it), else the monitor grace.
func gracePeriod(node *corev1.Node, o Options) time.Duration {
	if c := findNodeCondition(node.Status.Conditions, corev1.NodeReady); c == nil || c.Reason == reasonNodeStatusNeverUpdated {
		return o.NodeStartupGracePeriod
	}
	return o.NodeMonitorGracePeriod
}

func findNodeCondition(conds []corev1.NodeCondition, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

// readyStatus is the status of the node's Ready condition, "" when it has none.
func readyStatus(node *corev1.Node) corev1.ConditionStatus {
	if c := findNodeCondition(node.Status.Conditions, corev1.NodeReady); c != nil {
		return c.Status
	}
	return ""
}
