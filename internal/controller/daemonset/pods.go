package daemonset

import (
	"errors"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podTemplateGenerationLabel is the legacy label upstream still puts on daemon pods: the
// DaemonSet's deprecated.daemonset.template.generation when the pod was made.
const podTemplateGenerationLabel = "pod-template-generation"

var controllerKind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// templateGeneration reads the deprecated.daemonset.template.generation annotation the
// apiserver keeps; nil when absent or unparsable.
func templateGeneration(ds *appsv1.DaemonSet) *int64 {
	v, ok := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	if !ok {
		return nil
	}
	g, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &g
}

// newDaemonPod builds the pod ds runs on node: the template with the daemon tolerations,
// the revision labels, and required node affinity to that node only (the scheduler binds it).
func newDaemonPod(ds *appsv1.DaemonSet, node, hash string) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    ds.Name + "-",
			Namespace:       ds.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Spec: t.Spec,
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	if g := templateGeneration(ds); g != nil {
		pod.Labels[podTemplateGenerationLabel] = strconv.FormatInt(*g, 10)
	}
	if hash != "" {
		pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	}
	addDaemonTolerations(&pod.Spec)
	pod.Spec.Affinity = withNodeNameAffinity(pod.Spec.Affinity, node)
	return pod
}

// withNodeNameAffinity pins a pod to node through required node affinity: every required
// term keeps its matchExpressions and gets matchFields metadata.name In [node] in place of
// its own matchFields, so the pod can only be bound to node.
func withNodeNameAffinity(affinity *corev1.Affinity, node string) *corev1.Affinity {
	fields := []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}
	if affinity == nil {
		affinity = &corev1.Affinity{}
	}
	if affinity.NodeAffinity == nil {
		affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	required := affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: fields}},
		}
		return affinity
	}
	for i := range required.NodeSelectorTerms {
		required.NodeSelectorTerms[i].MatchFields = fields
	}
	return affinity
}

var errNoTargetNode = errors.New("no target node")

// targetNodeName is the node a daemon pod belongs to: its nodeName once bound, else the
// metadata.name In [node] requirement of its required node affinity.
func targetNodeName(pod *corev1.Pod) (string, error) {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName, nil
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return "", errNoTargetNode
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, req := range term.MatchFields {
			if req.Key == metav1.ObjectNameField && req.Operator == corev1.NodeSelectorOpIn && len(req.Values) == 1 {
				return req.Values[0], nil
			}
		}
	}
	return "", errNoTargetNode
}

// isPodUpdated: the pod was made from the current template. Upstream also compares the
// pod-template-generation label, but against a pointer's printed form, so in effect only the
// hash counts; so it does here.
func isPodUpdated(pod *corev1.Pod, hash string) bool {
	return hash != "" && pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] == hash
}

// sortOldestFirst orders pods bound first, then by creation time, then by name: the pod kept
// when a node has too many.
func sortOldestFirst(pods []*corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		bi, bj := pods[i].Spec.NodeName != "", pods[j].Spec.NodeName != ""
		if bi != bj {
			return bi
		}
		ti, tj := pods[i].CreationTimestamp, pods[j].CreationTimestamp
		if ti.Equal(&tj) {
			return pods[i].Name < pods[j].Name
		}
		return ti.Before(&tj)
	})
}
