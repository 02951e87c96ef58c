package deployment

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestResolveFenceposts(t *testing.T) {
	tests := []struct {
		surge, unavailable     string
		desired                int32
		wantSurge, wantUnavail int32
		wantErr                bool
	}{
		{"0", "0", 0, 0, 1, false},
		{"39%", "39%", 10, 4, 3, false},
		{"25%", "25%", 10, 3, 2, false},
		{"25%", "25%", 1, 1, 0, false},
		{"25%", "25%", 3, 1, 0, false},
		{"oops", "0", 10, 0, 0, true},
		{"55%", "urg", 10, 0, 0, true},
		{"5", "1", 10, 5, 1, false},
		{"0%", "0%", 10, 0, 1, false},
	}
	for _, tt := range tests {
		surge, unavailable := intstr.Parse(tt.surge), intstr.Parse(tt.unavailable)
		s, u, err := ResolveFenceposts(&surge, &unavailable, tt.desired)
		if (err != nil) != tt.wantErr || err == nil && (s != tt.wantSurge || u != tt.wantUnavail) {
			t.Errorf("%s/%s of %d = %d, %d, %v; want %d, %d, error %v", tt.surge, tt.unavailable, tt.desired, s, u, err, tt.wantSurge, tt.wantUnavail, tt.wantErr)
		}
	}
}

func TestMaxUnavailable(t *testing.T) {
	recreate := newDeployment("foo", 10, nil, nil, nil, nil)
	recreate.Spec.Strategy = apps.DeploymentStrategy{Type: apps.RecreateDeploymentStrategyType}
	tests := []struct {
		name string
		d    *apps.Deployment
		want int32
	}{
		{"maxUnavailable less than replicas", newDeployment("foo", 10, nil, intOrStr(5), intOrStr(5), nil), 5},
		{"maxUnavailable equal replicas", newDeployment("foo", 10, nil, intOrStr(5), intOrStr(10), nil), 10},
		{"maxUnavailable greater than replicas", newDeployment("foo", 5, nil, intOrStr(5), intOrStr(10), nil), 5},
		{"maxUnavailable with replicas 0", newDeployment("foo", 0, nil, intOrStr(5), intOrStr(10), nil), 0},
		{"maxUnavailable with Recreate", recreate, 0},
		{"maxUnavailable less than replicas with percents", newDeployment("foo", 10, nil, ptrTo(intstrPercent("25%")), ptrTo(intstrPercent("25%")), nil), 2},
		{"maxUnavailable greater than replicas with percents", newDeployment("foo", 5, nil, ptrTo(intstrPercent("100%")), ptrTo(intstrPercent("100%")), nil), 5},
	}
	for _, tt := range tests {
		if got := MaxUnavailable(tt.d); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := MaxSurge(recreate); got != 0 {
		t.Errorf("MaxSurge(Recreate) = %d", got)
	}
}

func TestNewRSNewReplicas(t *testing.T) {
	tests := []struct {
		name                 string
		strategy             apps.DeploymentStrategyType
		depReplicas, newSize int32
		maxSurge             int32
		oldSizes             []int32
		want                 int32
	}{
		{"recreate: all at once", apps.RecreateDeploymentStrategyType, 1, 0, 0, []int32{10}, 1},
		{"rolling: surge room", apps.RollingUpdateDeploymentStrategyType, 1, 0, 1, []int32{0}, 1},
		{"rolling: no room", apps.RollingUpdateDeploymentStrategyType, 3, 1, 1, []int32{3}, 1},
		{"rolling: up to replicas only", apps.RollingUpdateDeploymentStrategyType, 3, 2, 3, []int32{0}, 3},
		{"rolling: room limited by old", apps.RollingUpdateDeploymentStrategyType, 10, 2, 3, []int32{8}, 5},
	}
	for _, tt := range tests {
		d := newDeployment("foo", tt.depReplicas, nil, intOrStr(tt.maxSurge), intOrStr(1), nil)
		d.Spec.Strategy.Type = tt.strategy
		newRS := rs("foo-new", tt.newSize, nil, newTimestamp)
		all := []*apps.ReplicaSet{newRS}
		for _, n := range tt.oldSizes {
			all = append(all, rs("foo-old", n, nil, oldTimestamp))
		}
		got, err := newRSNewReplicas(d, all, newRS)
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	d := newDeployment("foo", 1, nil, nil, nil, nil)
	d.Spec.Strategy.Type = "Other"
	if _, err := newRSNewReplicas(d, nil, rs("x", 0, nil, newTimestamp)); err == nil {
		t.Error("unknown strategy: want an error")
	}
}

func TestDeploymentComplete(t *testing.T) {
	status := func(desired, current, updated, available int32, maxUnavailable, maxSurge int32) *apps.Deployment {
		d := newDeployment("foo", desired, nil, intOrStr(maxSurge), intOrStr(maxUnavailable), nil)
		d.Status = apps.DeploymentStatus{Replicas: current, UpdatedReplicas: updated, AvailableReplicas: available, ObservedGeneration: 1}
		return d
	}
	tests := []struct {
		name string
		d    *apps.Deployment
		want bool
	}{
		{"not complete: min but not all pods become available", status(5, 5, 5, 4, 1, 0), false},
		{"not complete: min availability is not honored", status(5, 5, 5, 3, 1, 0), false},
		{"complete", status(5, 5, 5, 5, 0, 0), true},
		{"not complete: all pods are available but not updated", status(5, 5, 4, 5, 0, 0), false},
		{"not complete: still running old pods", status(1, 2, 1, 1, 0, 1), false},
		{"not complete: one replica deployment never comes up", status(1, 1, 1, 0, 1, 1), false},
	}
	for _, tt := range tests {
		if got := deploymentComplete(tt.d, &tt.d.Status); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	d := status(1, 1, 1, 1, 0, 1)
	d.Generation = 2
	if deploymentComplete(d, &d.Status) {
		t.Error("an unobserved generation is not complete")
	}
}

func TestDeploymentProgressing(t *testing.T) {
	deployment := func(current, updated, ready, available int32) *apps.Deployment {
		d := newDeployment("foo", 1, nil, nil, nil, nil)
		d.Status = apps.DeploymentStatus{Replicas: current, UpdatedReplicas: updated, ReadyReplicas: ready, AvailableReplicas: available}
		return d
	}
	status := func(current, updated, ready, available int32) *apps.DeploymentStatus {
		return &apps.DeploymentStatus{Replicas: current, UpdatedReplicas: updated, ReadyReplicas: ready, AvailableReplicas: available}
	}
	tests := []struct {
		name string
		d    *apps.Deployment
		st   *apps.DeploymentStatus
		want bool
	}{
		{"progressing: updated pods", deployment(10, 4, 4, 4), status(10, 6, 4, 4), true},
		{"not progressing", deployment(10, 4, 4, 4), status(10, 4, 4, 4), false},
		{"progressing: old pods removed", deployment(10, 4, 6, 6), status(8, 4, 6, 6), true},
		{"not progressing: less new pods", deployment(10, 7, 3, 3), status(10, 6, 3, 3), false},
		{"progressing: less overall but more new pods", deployment(10, 4, 7, 7), status(8, 8, 5, 5), true},
		{"progressing: more ready pods", deployment(10, 10, 9, 8), status(10, 10, 10, 8), true},
		{"progressing: more available pods", deployment(10, 10, 10, 9), status(10, 10, 10, 10), true},
	}
	for _, tt := range tests {
		if got := deploymentProgressing(tt.d, tt.st); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

func TestDeploymentTimedOut(t *testing.T) {
	now := t0
	before := metav1.NewTime(now.Add(-time.Minute))
	deployment := func(deadline *int32, reason string, lastUpdate metav1.Time) *apps.Deployment {
		d := newDeployment("foo", 1, nil, nil, nil, nil)
		d.Spec.ProgressDeadlineSeconds = deadline
		if reason != "" {
			d.Status.Conditions = []apps.DeploymentCondition{{Type: apps.DeploymentProgressing, Status: v1.ConditionTrue, Reason: reason, LastUpdateTime: lastUpdate}}
		}
		return d
	}
	tests := []struct {
		name string
		d    *apps.Deployment
		want bool
	}{
		{"no deadline", deployment(nil, ReplicaSetUpdatedReason, before), false},
		{"no progressing condition", deployment(ptrTo(int32(30)), "", before), false},
		{"timed out", deployment(ptrTo(int32(30)), ReplicaSetUpdatedReason, before), true},
		{"not yet", deployment(ptrTo(int32(90)), ReplicaSetUpdatedReason, before), false},
		{"complete rollouts never time out", deployment(ptrTo(int32(30)), NewRSAvailableReason, before), false},
		{"already timed out", deployment(ptrTo(int32(600)), TimedOutReason, before), true},
		{"exactly at the deadline is not after it", deployment(ptrTo(int32(60)), ReplicaSetUpdatedReason, before), false},
	}
	for _, tt := range tests {
		if got := deploymentTimedOut(tt.d, &tt.d.Status, now); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

func TestSetNewReplicaSetAnnotations(t *testing.T) {
	d := newDeployment("foo", 3, nil, intOrStr(1), intOrStr(0), nil)
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "cause", v1.LastAppliedConfigAnnotation: "{}", RevisionAnnotation: "9"}

	r := rs("foo-1", 1, nil, newTimestamp)
	if !setNewReplicaSetAnnotations(d, r, "1", false, maxRevHistoryLengthInChars) {
		t.Error("new replica set: want a change")
	}
	want := map[string]string{"kubernetes.io/change-cause": "cause", RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"}
	if diff := cmp.Diff(want, r.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if setNewReplicaSetAnnotations(d, r, "1", true, maxRevHistoryLengthInChars) {
		t.Error("same revision: want no change")
	}
	if setNewReplicaSetAnnotations(d, r, "0", true, maxRevHistoryLengthInChars) || r.Annotations[RevisionAnnotation] != "1" {
		t.Error("a revision never goes down")
	}
	// Rolled back twice: the history keeps 1 then 4.
	setNewReplicaSetAnnotations(d, r, "4", true, maxRevHistoryLengthInChars)
	setNewReplicaSetAnnotations(d, r, "6", true, maxRevHistoryLengthInChars)
	if r.Annotations[RevisionAnnotation] != "6" || r.Annotations[RevisionHistoryAnnotation] != "1,4" {
		t.Errorf("after rollbacks: %v", r.Annotations)
	}
	// The history is bounded by dropping the oldest entries.
	r.Annotations[RevisionHistoryAnnotation] = "1,4,6"
	r.Annotations[RevisionAnnotation] = "7"
	setNewReplicaSetAnnotations(d, r, "8", true, 6)
	if got := r.Annotations[RevisionHistoryAnnotation]; got != "4,6,7" {
		t.Errorf("bounded history = %q, want 4,6,7", got)
	}
	bad := rs("foo-bad", 1, nil, newTimestamp)
	bad.Annotations = map[string]string{RevisionAnnotation: "x"}
	if setNewReplicaSetAnnotations(d, bad, "2", true, maxRevHistoryLengthInChars) && bad.Annotations[RevisionAnnotation] != "x" {
		t.Error("an unparsable revision is left alone")
	}
}

func TestRevisions(t *testing.T) {
	rss := []*apps.ReplicaSet{withRevision(rs("a", 0, nil, newTimestamp), 3), withRevision(rs("b", 0, nil, newTimestamp), 7), rs("c", 0, nil, newTimestamp), withRevision(rs("d", 0, nil, newTimestamp), 5)}
	if got := maxRevision(rss); got != 7 {
		t.Errorf("maxRevision = %d", got)
	}
	if got := lastRevision(rss); got != 5 {
		t.Errorf("lastRevision = %d", got)
	}
}

func TestReplicasAnnotationsNeedUpdate(t *testing.T) {
	r := rs("a", 1, nil, newTimestamp)
	if !replicasAnnotationsNeedUpdate(r, 10, 13) {
		t.Error("no annotations: need update")
	}
	setReplicasAnnotations(r, 10, 13)
	if replicasAnnotationsNeedUpdate(r, 10, 13) || !replicasAnnotationsNeedUpdate(r, 10, 12) || !replicasAnnotationsNeedUpdate(r, 11, 13) {
		t.Errorf("annotations %v", r.Annotations)
	}
}

func TestReplicaSetProportion(t *testing.T) {
	withMax := func(r *apps.ReplicaSet, max string) *apps.ReplicaSet {
		r.Annotations = map[string]string{MaxReplicasAnnotation: max}
		return r
	}
	tests := []struct {
		name         string
		rs           *apps.ReplicaSet
		d            *apps.Deployment
		toAdd, added int32
		want         int32
	}{
		{"nil", nil, newDeployment("d", 10, nil, nil, nil, nil), 5, 0, 0},
		{"empty replica set", withMax(rs("a", 0, nil, newTimestamp), "10"), newDeployment("d", 10, nil, nil, nil, nil), 5, 0, 0},
		{"nothing to add", withMax(rs("a", 5, nil, newTimestamp), "10"), newDeployment("d", 10, nil, nil, nil, nil), 0, 0, 0},
		{"all given out", withMax(rs("a", 5, nil, newTimestamp), "10"), newDeployment("d", 10, nil, nil, nil, nil), 3, 3, 0},
		{"scale up by the fraction", withMax(rs("a", 5, nil, newTimestamp), "10"), newDeployment("d", 20, nil, nil, nil, nil), 10, 0, 5},
		{"scale up capped by what is left", withMax(rs("a", 5, nil, newTimestamp), "10"), newDeployment("d", 20, nil, nil, nil, nil), 10, 8, 2},
		{"scale down by the fraction", withMax(rs("a", 6, nil, newTimestamp), "12"), newDeployment("d", 6, nil, nil, nil, nil), -6, 0, -3},
		{"scale down to zero", withMax(rs("a", 6, nil, newTimestamp), "12"), newDeployment("d", 0, nil, nil, nil, nil), -12, 0, -6},
		{"no annotation: deployment status is the base", rs("a", 5, nil, newTimestamp), func() *apps.Deployment {
			d := newDeployment("d", 20, nil, nil, nil, nil)
			d.Status.Replicas = 10
			return d
		}(), 10, 0, 5},
	}
	for _, tt := range tests {
		if got := replicaSetProportion(tt.rs, tt.d, tt.toAdd, tt.added); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFindNewAndOldReplicaSets(t *testing.T) {
	d := newDeployment("foo", 1, nil, nil, nil, nil)
	same := func(name string, ts metav1.Time, hash string) *apps.ReplicaSet {
		r := rs(name, 1, nil, ts)
		r.Spec.Template = *d.Spec.Template.DeepCopy()
		r.Spec.Template.Labels[apps.DefaultDeploymentUniqueLabelKey] = hash
		return r
	}
	other := rs("other", 0, nil, olderTimestamp)
	other.Spec.Template = *d.Spec.Template.DeepCopy()
	other.Spec.Template.Spec.Containers[0].Image = "old"
	rss := []*apps.ReplicaSet{same("newer", newTimestamp, "a"), other, same("older", oldTimestamp, "b")}
	if got := findNewReplicaSet(d, rss); got == nil || got.Name != "older" {
		t.Errorf("new replica set = %v, want the oldest with the same template", got)
	}
	withPods, all := findOldReplicaSets(d, rss)
	var names, namesWithPods []string
	for _, r := range all {
		names = append(names, r.Name)
	}
	for _, r := range withPods {
		namesWithPods = append(namesWithPods, r.Name)
	}
	if strings.Join(names, ",") != "other,newer" || strings.Join(namesWithPods, ",") != "newer" {
		t.Errorf("old: all %v, with pods %v", names, namesWithPods)
	}
	if findNewReplicaSet(d, nil) != nil {
		t.Error("no replica sets: no new one")
	}
}

func TestEqualIgnoreHash(t *testing.T) {
	a := v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x", apps.DefaultDeploymentUniqueLabelKey: "1"}}}
	b := v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}}}
	if !EqualIgnoreHash(&a, &b) {
		t.Error("differ only by hash: equal")
	}
	b.Labels["app"] = "y"
	if EqualIgnoreHash(&a, &b) {
		t.Error("labels differ: not equal")
	}
	if a.Labels[apps.DefaultDeploymentUniqueLabelKey] != "1" {
		t.Error("EqualIgnoreHash modified its input")
	}
}
