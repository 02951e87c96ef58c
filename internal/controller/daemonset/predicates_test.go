package daemonset

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNodeShouldRunDaemonPod(t *testing.T) {
	taint := func(key string, effect corev1.TaintEffect) corev1.Taint {
		return corev1.Taint{Key: key, Value: "v", Effect: effect}
	}
	labelled := func(n *corev1.Node, k, v string) *corev1.Node { n.Labels[k] = v; return n }
	affinity := func(terms ...corev1.NodeSelectorTerm) func(*appsv1.DaemonSet) {
		return func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}
		}
	}
	expr := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
	}
	tolerate := func(key string, effect corev1.TaintEffect) func(*appsv1.DaemonSet) {
		return func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Spec.Tolerations = append(ds.Spec.Template.Spec.Tolerations,
				corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect})
		}
	}
	tests := []struct {
		name                    string
		node                    *corev1.Node
		ds                      *appsv1.DaemonSet
		shouldRun, shouldContin bool
	}{
		{"plain node", newNode("a"), newDS(), true, true},
		{"template nodeName elsewhere", newNode("a"), newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "b" }), false, false},
		{"template nodeName here", newNode("a"), newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "a" }), true, true},
		{"nodeSelector matches", labelled(newNode("a"), "disk", "ssd"),
			newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), true, true},
		{"nodeSelector does not match", newNode("a"),
			newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), false, false},
		{"affinity In matches", labelled(newNode("a"), "zone", "z1"), newDS(affinity(expr("zone", corev1.NodeSelectorOpIn, "z1", "z2"))), true, true},
		{"affinity NotIn excludes", labelled(newNode("a"), "zone", "z1"), newDS(affinity(expr("zone", corev1.NodeSelectorOpNotIn, "z1"))), false, false},
		{"affinity terms are ORed", labelled(newNode("a"), "zone", "z3"),
			newDS(affinity(expr("zone", corev1.NodeSelectorOpIn, "z1"), expr("zone", corev1.NodeSelectorOpExists))), true, true},
		{"affinity DoesNotExist", newNode("a"), newDS(affinity(expr("gpu", corev1.NodeSelectorOpDoesNotExist))), true, true},
		{"affinity Gt", labelled(newNode("a"), "cores", "8"), newDS(affinity(expr("cores", corev1.NodeSelectorOpGt, "4"))), true, true},
		{"affinity Lt fails", labelled(newNode("a"), "cores", "8"), newDS(affinity(expr("cores", corev1.NodeSelectorOpLt, "4"))), false, false},
		{"affinity matchFields name", newNode("a"), newDS(affinity(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}}}})), false, false},
		{"empty term matches nothing", newNode("a"), newDS(affinity(corev1.NodeSelectorTerm{})), false, false},
		{"untolerated NoSchedule: no new pod, running one stays", newNode("a", taint("dedicated", corev1.TaintEffectNoSchedule)), newDS(), false, true},
		{"untolerated NoExecute: evicted", newNode("a", taint("dedicated", corev1.TaintEffectNoExecute)), newDS(), false, false},
		{"PreferNoSchedule is ignored", newNode("a", taint("dedicated", corev1.TaintEffectPreferNoSchedule)), newDS(), true, true},
		{"tolerated NoSchedule", newNode("a", taint("dedicated", corev1.TaintEffectNoSchedule)), newDS(tolerate("dedicated", corev1.TaintEffectNoSchedule)), true, true},
		{"tolerated NoExecute", newNode("a", taint("dedicated", corev1.TaintEffectNoExecute)), newDS(tolerate("dedicated", "")), true, true},
		{"cordoned node keeps daemons", newNode("a", taint(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)), newDS(), true, true},
		{"not-ready node keeps daemons", newNode("a", taint(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)), newDS(), true, true},
		{"unreachable node keeps daemons", newNode("a", taint(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)), newDS(), true, true},
		{"memory pressure tolerated", newNode("a", taint(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)), newDS(), true, true},
		{"disk pressure tolerated", newNode("a", taint(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)), newDS(), true, true},
		{"pid pressure tolerated", newNode("a", taint(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)), newDS(), true, true},
		{"network unavailable blocks pod network daemons", newNode("a", taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), newDS(), false, true},
		{"network unavailable tolerated by hostNetwork daemons", newNode("a", taint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)),
			newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.HostNetwork = true }), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, cont := nodeShouldRunDaemonPod(tt.node, tt.ds)
			if run != tt.shouldRun || cont != tt.shouldContin {
				t.Fatalf("nodeShouldRunDaemonPod = (%v, %v), want (%v, %v)", run, cont, tt.shouldRun, tt.shouldContin)
			}
		})
	}
}

func TestNewDaemonPod(t *testing.T) {
	ds := newDS(func(ds *appsv1.DaemonSet) {
		ds.Annotations = map[string]string{appsv1.DeprecatedTemplateGeneration: "3"}
		ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"z1"}}},
				MatchFields:      []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{"x"}}},
			}}}}}
		ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: new(int64)}}
	})
	pod := newDaemonPod(ds, "node-1", "abc")
	if pod.Spec.NodeName != "" || pod.GenerateName != "agent-" {
		t.Fatalf("nodeName %q generateName %q", pod.Spec.NodeName, pod.GenerateName)
	}
	if pod.Labels["pod-template-generation"] != "3" || pod.Labels["controller-revision-hash"] != "abc" || pod.Labels["app"] != "agent" {
		t.Fatalf("labels %v", pod.Labels)
	}
	term := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0]
	if len(term.MatchExpressions) != 1 || len(term.MatchFields) != 1 || term.MatchFields[0].Values[0] != "node-1" {
		t.Fatalf("term %+v", term)
	}
	if n, err := targetNodeName(pod); err != nil || n != "node-1" {
		t.Fatalf("targetNodeName = %q, %v", n, err)
	}
	if len(pod.Spec.Tolerations) != 6 {
		t.Fatalf("tolerations %+v", pod.Spec.Tolerations)
	}
	for _, tol := range pod.Spec.Tolerations {
		if tol.TolerationSeconds != nil {
			t.Fatalf("daemon toleration %s has tolerationSeconds", tol.Key)
		}
	}
	if ref := metav1.GetControllerOf(pod); ref == nil || ref.Kind != "DaemonSet" || ref.UID != "ds-uid" {
		t.Fatalf("owner %+v", ref)
	}
	// The DaemonSet's own template is untouched.
	if len(ds.Spec.Template.Spec.Tolerations) != 1 || ds.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0].Values[0] != "x" {
		t.Fatal("template modified")
	}
}
