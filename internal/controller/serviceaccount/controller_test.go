package serviceaccount

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPlan(t *testing.T) {
	active := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
	now := metav1.Now()
	terminating := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t", DeletionTimestamp: &now}}
	sa := &corev1.ServiceAccount{}
	current := &corev1.ConfigMap{Data: map[string]string{rootCAKey: "CA"}}
	stale := &corev1.ConfigMap{Data: map[string]string{rootCAKey: "OLD"}}
	tests := []struct {
		name string
		ns   *corev1.Namespace
		sa   *corev1.ServiceAccount
		cm   *corev1.ConfigMap
		want Action
	}{
		{"new namespace gets both", active, nil, nil, Action{CreateServiceAccount: true, CreateConfigMap: true}},
		{"all present", active, sa, current, Action{}},
		{"a changed CA is republished", active, sa, stale, Action{UpdateConfigMap: true}},
		{"a deleted service account comes back", active, nil, current, Action{CreateServiceAccount: true}},
		{"terminating namespaces are left alone", terminating, nil, nil, Action{}},
	}
	for _, tt := range tests {
		if got := Plan(tt.ns, tt.sa, tt.cm, "CA"); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
