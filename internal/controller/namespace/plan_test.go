package namespace

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	pods       = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	configmaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	sts        = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

func namespace(deleting bool, finalizers ...corev1.FinalizerName) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}, Spec: corev1.NamespaceSpec{Finalizers: finalizers}}
	if deleting {
		now := metav1.Now()
		ns.DeletionTimestamp = &now
	}
	return ns
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		ns        *corev1.Namespace
		remaining map[schema.GroupVersionResource]int
		want      Action
	}{
		{"active namespace is left alone", namespace(false, corev1.FinalizerKubernetes),
			map[schema.GroupVersionResource]int{pods: 3}, Action{}},
		{"already finalized", namespace(true), map[schema.GroupVersionResource]int{pods: 1}, Action{}},
		{"content is deleted, then waited for", namespace(true, corev1.FinalizerKubernetes),
			map[schema.GroupVersionResource]int{pods: 2, configmaps: 0, sts: 1},
			Action{DeleteCollection: []schema.GroupVersionResource{pods, sts}, Wait: true}},
		{"empty namespace is finalized", namespace(true, corev1.FinalizerKubernetes),
			map[schema.GroupVersionResource]int{pods: 0, configmaps: 0}, Action{Finalize: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plan(tt.ns, tt.remaining); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Plan() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWithoutKubernetesFinalizer(t *testing.T) {
	got := withoutKubernetesFinalizer([]corev1.FinalizerName{"example.com/x", corev1.FinalizerKubernetes})
	if !reflect.DeepEqual(got, []corev1.FinalizerName{"example.com/x"}) {
		t.Fatalf("got %v", got)
	}
}
