package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

var (
	// unreachableTaint and notReadyTaint are the NoExecute taints of a node whose Ready
	// condition is Unknown or False; they are mutually exclusive, as the condition is.
	unreachableTaint = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	notReadyTaint    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
)

// conditionTaintKeys maps node conditions in a given status to the NoSchedule taint that
// keeps new pods off the node (upstream's nodeConditionToTaintKeyStatusMap).
var conditionTaintKeys = map[corev1.NodeConditionType]map[corev1.ConditionStatus]string{
	corev1.NodeReady: {
		corev1.ConditionFalse:   corev1.TaintNodeNotReady,
		corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
	},
	corev1.NodeMemoryPressure:     {corev1.ConditionTrue: corev1.TaintNodeMemoryPressure},
	corev1.NodeDiskPressure:       {corev1.ConditionTrue: corev1.TaintNodeDiskPressure},
	corev1.NodeNetworkUnavailable: {corev1.ConditionTrue: corev1.TaintNodeNetworkUnavailable},
	corev1.NodePIDPressure:        {corev1.ConditionTrue: corev1.TaintNodePIDPressure},
}

// ownedNoScheduleKeys are the NoSchedule taints this controller adds and removes; any other
// NoSchedule taint belongs to someone else and is never touched.
var ownedNoScheduleKeys = map[string]bool{
	corev1.TaintNodeNotReady: true, corev1.TaintNodeUnreachable: true, corev1.TaintNodeMemoryPressure: true,
	corev1.TaintNodeDiskPressure: true, corev1.TaintNodeNetworkUnavailable: true, corev1.TaintNodePIDPressure: true,
	corev1.TaintNodeUnschedulable: true,
}

// noScheduleTaints are the NoSchedule taints the node should carry for its conditions and
// spec.unschedulable (a cordoned node gets node.kubernetes.io/unschedulable).
func noScheduleTaints(conds []corev1.NodeCondition, unschedulable bool) []corev1.Taint {
	var out []corev1.Taint
	for _, c := range conds {
		if key, ok := conditionTaintKeys[c.Type][c.Status]; ok {
			out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	if unschedulable {
		out = append(out, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// hasTaint reports whether taints hold one with t's key and effect.
func hasTaint(taints []corev1.Taint, t corev1.Taint) bool {
	for i := range taints {
		if taints[i].MatchTaint(&t) {
			return true
		}
	}
	return false
}

// noExecuteTaints returns the node's NoExecute taints, whoever added them.
func noExecuteTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// matchingTolerations reports whether every taint is tolerated and, if so, the toleration
// that tolerates each (the first that does, as upstream's GetMatchingTolerations).
func matchingTolerations(taints []corev1.Taint, tolerations []corev1.Toleration) (bool, []corev1.Toleration) {
	var used []corev1.Toleration
	for i := range taints {
		found := false
		for j := range tolerations {
			if tolerations[j].ToleratesTaint(&taints[i]) {
				used = append(used, tolerations[j])
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, used
}

// forever is minTolerationTime's answer for tolerations without tolerationSeconds.
const forever = time.Duration(-1)

// minTolerationTime is how long the pod may stay: the least tolerationSeconds among the
// tolerations used (0 or less: leave at once), or forever when none sets it.
func minTolerationTime(used []corev1.Toleration) time.Duration {
	if len(used) == 0 {
		return 0
	}
	least := forever
	for _, t := range used {
		if t.TolerationSeconds == nil {
			continue
		}
		if *t.TolerationSeconds <= 0 {
			return 0
		}
		d := time.Duration(*t.TolerationSeconds) * time.Second
		if least == forever || d < least {
			least = d
		}
	}
	return least
}
