package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

type tolerations []corev1.Toleration

// tolerate reports whether any toleration tolerates taint.
func (ts tolerations) tolerate(taint *corev1.Taint) bool {
	for i := range ts {
		if ts[i].ToleratesTaint(taint) {
			return true
		}
	}
	return false
}

// taintTolerationFilter is upstream's TaintToleration filter: the first NoSchedule or NoExecute
// taint the pod does not tolerate keeps it off the node, and names itself in the reason.
// PreferNoSchedule taints only lower the score.
func taintTolerationFilter(cs *cycleState, n *nodeInfo) *status {
	ts := tolerations(cs.pod.pod.Spec.Tolerations)
	for i := range n.node.Spec.Taints {
		taint := &n.node.Spec.Taints[i]
		if taint.Effect != corev1.TaintEffectNoSchedule && taint.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !ts.tolerate(taint) {
			return newStatus(unschedulableAndUnresolvable, fmt.Sprintf("node(s) had untolerated taint {%s: %s}", taint.Key, taint.Value))
		}
	}
	return nil
}

// taintTolerationPreScore keeps the tolerations that can tolerate PreferNoSchedule taints.
func taintTolerationPreScore(cs *cycleState, _ []*nodeInfo) bool {
	cs.preferNoScheduleTolerations = nil
	for _, t := range cs.pod.pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			cs.preferNoScheduleTolerations = append(cs.preferNoScheduleTolerations, t)
		}
	}
	return true
}

// taintTolerationScore counts the node's PreferNoSchedule taints the pod does not tolerate;
// normalizeReverse makes fewer better.
func taintTolerationScore(cs *cycleState, n *nodeInfo) int64 {
	var count int64
	for i := range n.node.Spec.Taints {
		taint := &n.node.Spec.Taints[i]
		if taint.Effect == corev1.TaintEffectPreferNoSchedule && !cs.preferNoScheduleTolerations.tolerate(taint) {
			count++
		}
	}
	return count
}
