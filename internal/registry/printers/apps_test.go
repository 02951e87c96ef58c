package printers

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// template is a pod template with two containers, as the wide columns show it.
func template() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "nginx", Image: "nginx:1.27"},
		{Name: "exporter", Image: "nginx/nginx-prometheus-exporter:1.3"},
	}}}
}

func appSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{
		MatchLabels:      map[string]string{"app": "web"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"front"}}},
	}
}

func TestStatefulSetRow(t *testing.T) {
	assertHeaders(t, &appsv1.StatefulSet{}, "Name", "Ready", "Age", "Containers+", "Images+")
	set := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(7 * time.Minute)},
		Spec:       appsv1.StatefulSetSpec{Replicas: ptr(int32(3)), Template: template()},
		Status:     appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2},
	}
	assertCells(t, set, "web", "2/3", "7m", "nginx,exporter", "nginx:1.27,nginx/nginx-prometheus-exporter:1.3")
}

func TestDeploymentRow(t *testing.T) {
	assertHeaders(t, &appsv1.Deployment{},
		"Name", "Ready", "Up-to-date", "Available", "Age", "Containers+", "Images+", "Selector+")
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(26 * time.Hour)},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr(int32(4)), Selector: appSelector(), Template: template()},
		Status:     appsv1.DeploymentStatus{Replicas: 5, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3},
	}
	assertCells(t, d, "web", "3/4", int64(2), int64(3), "26h", "nginx,exporter",
		"nginx:1.27,nginx/nginx-prometheus-exporter:1.3", "app=web,tier in (front)")

	// Upstream leaves a deployment's missing selector blank, not "<none>".
	if sel := cellsOf(t, &appsv1.Deployment{})[7]; sel != "" {
		t.Errorf("empty selector %q", sel)
	}
}

func TestReplicaSetRow(t *testing.T) {
	assertHeaders(t, &appsv1.ReplicaSet{}, "Name", "Desired", "Current", "Ready", "Age", "Containers+", "Images+", "Selector+")
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9c", CreationTimestamp: ago(time.Minute)},
		Spec:       appsv1.ReplicaSetSpec{Replicas: ptr(int32(3)), Selector: appSelector(), Template: template()},
		Status:     appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1},
	}
	assertCells(t, rs, "web-7d4b9c", int64(3), int64(3), int64(1), "60s", "nginx,exporter",
		"nginx:1.27,nginx/nginx-prometheus-exporter:1.3", "app=web,tier in (front)")
	if cells := cellsOf(t, &appsv1.ReplicaSet{}); cells[1] != int64(1) || cells[7] != "<none>" {
		t.Errorf("unset replicas/selector: %#v", cells)
	}
}

func TestDaemonSetRow(t *testing.T) {
	assertHeaders(t, &appsv1.DaemonSet{},
		"Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age",
		"Containers+", "Images+", "Selector+")
	tpl := template()
	tpl.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", CreationTimestamp: ago(time.Hour)},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}, Template: tpl},
		Status: appsv1.DaemonSetStatus{
			DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 1, NumberAvailable: 2,
		},
	}
	assertCells(t, ds, "agent", int64(3), int64(3), int64(2), int64(1), int64(2), "kubernetes.io/os=linux", "60m",
		"nginx,exporter", "nginx:1.27,nginx/nginx-prometheus-exporter:1.3", "app=agent")
}

func TestControllerRevisionRow(t *testing.T) {
	assertHeaders(t, &appsv1.ControllerRevision{}, "Name", "Controller", "Revision", "Age")
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "web-5b8f7c",
			CreationTimestamp: ago(time.Hour),
			OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "ConfigMap", Name: "not-the-controller"},
				{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", Controller: ptr(true)},
			},
		},
		Revision: 2,
	}
	assertCells(t, rev, "web-5b8f7c", "statefulset.apps/web", int64(2), "60m")

	core := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "r", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "Widget", Name: "w", Controller: ptr(true)},
	}}}
	if c := cellsOf(t, core)[1]; c != "widget/w" {
		t.Errorf("core-group controller %q", c)
	}
	if c := cellsOf(t, &appsv1.ControllerRevision{})[1]; c != "<none>" {
		t.Errorf("no controller %q", c)
	}

	bad := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "r", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "a/b/c", Kind: "X", Name: "x", Controller: ptr(true)},
	}}}
	if _, err := Table(bad, now); err == nil || !strings.Contains(err.Error(), "controllerrevision") {
		t.Errorf("bad owner apiVersion: err = %v", err)
	}
}

func TestReplicationControllerRow(t *testing.T) {
	assertHeaders(t, &corev1.ReplicationController{},
		"Name", "Desired", "Current", "Ready", "Age", "Containers+", "Images+", "Selector+")
	tpl := template()
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy", CreationTimestamp: ago(time.Hour)},
		Spec:       corev1.ReplicationControllerSpec{Replicas: ptr(int32(2)), Selector: map[string]string{"app": "legacy"}, Template: &tpl},
		Status:     corev1.ReplicationControllerStatus{Replicas: 2, ReadyReplicas: 2},
	}
	assertCells(t, rc, "legacy", int64(2), int64(2), int64(2), "60m", "nginx,exporter",
		"nginx:1.27,nginx/nginx-prometheus-exporter:1.3", "app=legacy")
}
