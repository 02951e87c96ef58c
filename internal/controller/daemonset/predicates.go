package daemonset

import (
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeShouldRunDaemonPod simulates a daemon pod on node. shouldRun: the node should get a
// pod if it has none. shouldContinueRunning: a pod already there may stay, which is the case
// when the only untolerated taints are NoSchedule ones.
func nodeShouldRunDaemonPod(node *corev1.Node, ds *appsv1.DaemonSet) (shouldRun, shouldContinueRunning bool) {
	spec := ds.Spec.Template.Spec.DeepCopy()
	addDaemonTolerations(spec)
	if spec.NodeName != "" && spec.NodeName != node.Name {
		return false, false
	}
	if !nodeMatchesNodeSelector(node, spec.NodeSelector) || !nodeMatchesRequiredAffinity(node, spec.Affinity) {
		return false, false
	}
	if _, untolerated := findUntoleratedTaint(node.Spec.Taints, spec.Tolerations, corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute); !untolerated {
		return true, true
	}
	// Running pods stay unless a NoExecute taint evicts them.
	_, evicted := findUntoleratedTaint(node.Spec.Taints, spec.Tolerations, corev1.TaintEffectNoExecute)
	return false, !evicted
}

// daemonTolerations are the tolerations upstream adds to every daemon pod, so that daemons
// survive node problems (no tolerationSeconds: never evicted) and run on cordoned or
// pressured nodes.
func daemonTolerations(hostNetwork bool) []corev1.Toleration {
	exists := func(key string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
	}
	out := []corev1.Toleration{
		exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
	}
	if hostNetwork {
		out = append(out, exists(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule))
	}
	return out
}

// addDaemonTolerations adds or replaces (same key and effect) the daemon tolerations in spec.
func addDaemonTolerations(spec *corev1.PodSpec) {
	for _, want := range daemonTolerations(spec.HostNetwork) {
		replaced := false
		for i := range spec.Tolerations {
			t := &spec.Tolerations[i]
			if t.Key == want.Key && t.Effect == want.Effect {
				*t = want
				replaced = true
				break
			}
		}
		if !replaced {
			spec.Tolerations = append(spec.Tolerations, want)
		}
	}
}

// findUntoleratedTaint returns the first taint with one of effects that no toleration
// tolerates.
func findUntoleratedTaint(taints []corev1.Taint, tolerations []corev1.Toleration, effects ...corev1.TaintEffect) (corev1.Taint, bool) {
	for _, taint := range taints {
		relevant := false
		for _, e := range effects {
			relevant = relevant || taint.Effect == e
		}
		if !relevant {
			continue
		}
		tolerated := false
		for i := range tolerations {
			if tolerations[i].ToleratesTaint(&taint) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			return taint, true
		}
	}
	return corev1.Taint{}, false
}

func nodeMatchesNodeSelector(node *corev1.Node, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := node.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// nodeMatchesRequiredAffinity evaluates requiredDuringSchedulingIgnoredDuringExecution:
// terms are ORed, requirements within a term ANDed, and a term without requirements
// matches nothing, as upstream.
func nodeMatchesRequiredAffinity(node *corev1.Node, affinity *corev1.Affinity) bool {
	if affinity == nil || affinity.NodeAffinity == nil || affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return true
	}
	for _, term := range affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if nodeMatchesTerm(node, term) {
			return true
		}
	}
	return false
}

func nodeMatchesTerm(node *corev1.Node, term corev1.NodeSelectorTerm) bool {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false
	}
	for _, req := range term.MatchExpressions {
		v, ok := node.Labels[req.Key]
		if !requirementMatches(req, v, ok) {
			return false
		}
	}
	for _, req := range term.MatchFields {
		// metadata.name is the only field a node selector may use.
		if req.Key != metav1.ObjectNameField || !requirementMatches(req, node.Name, true) {
			return false
		}
	}
	return true
}

func requirementMatches(req corev1.NodeSelectorRequirement, value string, present bool) bool {
	in := func() bool {
		for _, v := range req.Values {
			if v == value {
				return true
			}
		}
		return false
	}
	switch req.Operator {
	case corev1.NodeSelectorOpIn:
		return present && in()
	case corev1.NodeSelectorOpNotIn:
		return !present || !in()
	case corev1.NodeSelectorOpExists:
		return present
	case corev1.NodeSelectorOpDoesNotExist:
		return !present
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !present || len(req.Values) != 1 {
			return false
		}
		have, err1 := strconv.ParseInt(value, 10, 64)
		want, err2 := strconv.ParseInt(req.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if req.Operator == corev1.NodeSelectorOpGt {
			return have > want
		}
		return have < want
	}
	return false
}

// isPodReady: the pod's Ready condition is True.
func isPodReady(pod *corev1.Pod) bool {
	return readyCondition(pod) != nil && readyCondition(pod).Status == corev1.ConditionTrue
}

func readyCondition(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// isPodAvailable: ready for at least minReadySeconds at now.
func isPodAvailable(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !isPodReady(pod) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	c := readyCondition(pod)
	return !c.LastTransitionTime.IsZero() && c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}

// availableAt is when a ready pod becomes available, for requeueing.
func availableAt(pod *corev1.Pod, minReadySeconds int32) time.Time {
	c := readyCondition(pod)
	if c == nil {
		return time.Time{}
	}
	return c.LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second)
}

func isPodTerminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}
