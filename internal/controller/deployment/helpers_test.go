package deployment

import (
	"fmt"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	t0             = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	newTimestamp   = metav1.NewTime(t0.Add(-time.Hour))
	oldTimestamp   = metav1.NewTime(t0.Add(-2 * time.Hour))
	olderTimestamp = metav1.NewTime(t0.Add(-3 * time.Hour))
)

func ptrTo[T any](v T) *T { return &v }

func intOrStr(i int32) *intstr.IntOrString { return ptrTo(intstr.FromInt32(i)) }

// newDeployment is upstream's test helper: RollingUpdate with maxSurge and
// maxUnavailable 0 unless given (so maxUnavailable resolves to 1).
func newDeployment(name string, replicas int32, historyLimit *int32, maxSurge, maxUnavailable *intstr.IntOrString, selector map[string]string) *apps.Deployment {
	if selector == nil {
		selector = map[string]string{"app": name}
	}
	d := &apps.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), Generation: 1, Annotations: map[string]string{}},
		Spec: apps.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Strategy: apps.DeploymentStrategy{
				Type:          apps.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &apps.RollingUpdateDeployment{MaxSurge: intOrStr(0), MaxUnavailable: intOrStr(0)},
			},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyLabels(selector)},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Image: "app:v1"}}},
			},
			RevisionHistoryLimit: historyLimit,
		},
	}
	if maxSurge != nil {
		d.Spec.Strategy.RollingUpdate.MaxSurge = maxSurge
	}
	if maxUnavailable != nil {
		d.Spec.Strategy.RollingUpdate.MaxUnavailable = maxUnavailable
	}
	return d
}

func copyLabels(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		out[k] = v
	}
	return out
}

// rs is upstream's test helper: a ReplicaSet of the given size, all available.
func rs(name string, replicas int32, selector map[string]string, ts metav1.Time) *apps.ReplicaSet {
	return &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), CreationTimestamp: ts, Generation: 1},
		Spec: apps.ReplicaSetSpec{
			Replicas: ptrTo(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
		},
		Status: apps.ReplicaSetStatus{Replicas: replicas, AvailableReplicas: replicas, ReadyReplicas: replicas, ObservedGeneration: 1},
	}
}

func withAvailable(r *apps.ReplicaSet, n int32) *apps.ReplicaSet {
	r.Status.AvailableReplicas, r.Status.ReadyReplicas = n, n
	return r
}

func withRevision(r *apps.ReplicaSet, rev int) *apps.ReplicaSet {
	if r.Annotations == nil {
		r.Annotations = map[string]string{}
	}
	r.Annotations[RevisionAnnotation] = fmt.Sprint(rev)
	return r
}

// testPlanner is a planner on d at t0 with no ReplicaSets known.
func testPlanner(d *apps.Deployment, rss ...*apps.ReplicaSet) *planner {
	return &planner{d: d, rsList: rss, now: t0}
}

// scaled returns the spec.replicas of every ReplicaSet the planner updated, by name.
func (p *planner) scaled() map[string]int32 {
	out := map[string]int32{}
	for _, a := range p.out.actions {
		if a.kind == updateReplicaSet || a.kind == createReplicaSet {
			out[a.rs.Name] = *a.rs.Spec.Replicas
		}
	}
	return out
}

func intstrPercent(s string) intstr.IntOrString { return intstr.FromString(s) }
