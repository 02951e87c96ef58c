package scheduler

import (
	corev1 "k8s.io/api/core/v1"
)

const reasonNodeUnschedulable = "node(s) were unschedulable"

// unschedulableTaint is what a pod tolerates to go to a cordoned node (spec.unschedulable),
// as DaemonSet pods do.
var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

// nodeUnschedulableFilter is upstream's NodeUnschedulable: a cordoned node takes only pods that
// tolerate the unschedulable taint.
func nodeUnschedulableFilter(cs *cycleState, n *nodeInfo) *status {
	if !n.node.Spec.Unschedulable || tolerations(cs.pod.pod.Spec.Tolerations).tolerate(&unschedulableTaint) {
		return nil
	}
	return newStatus(unschedulableAndUnresolvable, reasonNodeUnschedulable)
}
