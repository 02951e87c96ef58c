package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons and messages the controller writes, as upstream.
const (
	reasonNodeStatusUnknown      = "NodeStatusUnknown"
	messageNodeStatusUnknown     = "Kubelet stopped posting node status."
	reasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	messageNodeStatusNeverUpd    = "Kubelet never posted node status."
)

// unknownConditionTypes are the conditions the agent owns and the controller sets to Unknown
// when the agent falls silent. NetworkUnavailable belongs to the network's owner and is left
// alone, as upstream.
var unknownConditionTypes = []corev1.NodeConditionType{
	corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure,
}

// markUnknown returns a copy of the node's status with the agent's conditions set to Unknown
// (keeping their lastHeartbeatTime, so the write is not mistaken for a heartbeat) and
// missing ones added; changed is false when there was nothing to change.
func markUnknown(node *corev1.Node, now time.Time) (status corev1.NodeStatus, changed bool) {
	status = *node.Status.DeepCopy()
	t := metav1.NewTime(now)
	for _, ct := range unknownConditionTypes {
		c := findNodeCondition(status.Conditions, ct)
		switch {
		case c == nil:
			status.Conditions = append(status.Conditions, corev1.NodeCondition{
				Type: ct, Status: corev1.ConditionUnknown,
				Reason: reasonNodeStatusNeverUpdated, Message: messageNodeStatusNeverUpd,
				LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: t,
			})
			changed = true
		case c.Status != corev1.ConditionUnknown:
			c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionUnknown, reasonNodeStatusUnknown, messageNodeStatusUnknown, t
			changed = true
		}
	}
	return status, changed
}
