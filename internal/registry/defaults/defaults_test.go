package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaultLeavesKindsWithoutDefaultsAlone(t *testing.T) {
	for _, obj := range []runtime.Object{
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e"}, Reason: "Started"},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}},
		&appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}, Revision: 1},
		&unstructured.Unstructured{Object: map[string]any{"kind": "Widget", "spec": map[string]any{}}},
		&metav1.Status{Status: metav1.StatusFailure},
	} {
		before := obj.DeepCopyObject()
		Default(obj)
		if !apiequality.Semantic.DeepEqual(before, obj) {
			t.Errorf("Default changed %T:\nbefore %#v\nafter  %#v", obj, before, obj)
		}
	}
}

func TestDefaultIgnoresNil(t *testing.T) {
	Default(nil)
	Default((*corev1.Pod)(nil))
	Default((*appsv1.StatefulSetList)(nil))
}

func TestDefaultDefaultsListItems(t *testing.T) {
	pods := &corev1.PodList{Items: []corev1.Pod{
		{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
		{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever}},
	}}
	Default(pods)
	if got := pods.Items[0].Spec.Containers[0].ImagePullPolicy; got != corev1.PullAlways {
		t.Errorf("first pod's imagePullPolicy = %q, want Always", got)
	}
	if got := pods.Items[1].Spec.RestartPolicy; got != corev1.RestartPolicyNever {
		t.Errorf("second pod's restartPolicy = %q, want it kept at Never", got)
	}
	if pods.Items[1].Spec.EnableServiceLinks == nil {
		t.Error("second pod was not defaulted")
	}

	sets := &appsv1.StatefulSetList{Items: make([]appsv1.StatefulSet, 2)}
	Default(sets)
	for i, set := range sets.Items {
		if set.Spec.Replicas == nil || *set.Spec.Replicas != 1 {
			t.Errorf("statefulset %d: replicas = %v, want 1", i, set.Spec.Replicas)
		}
	}
}
