package statefulset

import (
	"reflect"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func statusPod(phase v1.PodPhase, ready bool, readyFor time.Duration, revision string, terminating bool, now time.Time) *v1.Pod {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{apps.StatefulSetRevisionLabel: revision}}}
	pod.Status.Phase = phase
	if ready {
		pod.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-readyFor))}}
	}
	if terminating {
		pod.DeletionTimestamp = &metav1.Time{Time: now}
	}
	return pod
}

func TestComputeReplicaStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pods := []*v1.Pod{
		statusPod(v1.PodRunning, true, time.Hour, "cur", false, now),
		statusPod(v1.PodRunning, true, time.Second, "upd", false, now), // ready, not yet available
		statusPod(v1.PodRunning, true, time.Hour, "upd", true, now),    // terminating: counted, ready, not current/updated
		statusPod(v1.PodPending, false, 0, "upd", false, now),
		statusPod("", false, 0, "upd", false, now), // not created
		statusPod(v1.PodFailed, false, 0, "cur", false, now),
	}
	var st apps.StatefulSetStatus
	computeReplicaStatus(&st, pods, 10, "cur", "upd", now)
	want := apps.StatefulSetStatus{Replicas: 5, ReadyReplicas: 3, AvailableReplicas: 2, CurrentReplicas: 2, UpdatedReplicas: 2}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("status = %+v, want %+v", st, want)
	}
	if d := nextAvailableCheck(pods, 10, now); d < 9*time.Second || d > 10*time.Second {
		t.Errorf("next availability check in %v, want about 9s", d)
	}
	if d := nextAvailableCheck(pods, 0, now); d != 0 {
		t.Errorf("without minReadySeconds there is nothing to wait for, got %v", d)
	}
}

func TestCompleteRollingUpdate(t *testing.T) {
	set := newStatefulSet(3)
	done := apps.StatefulSetStatus{Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, CurrentReplicas: 1, CurrentRevision: "a", UpdateRevision: "b"}
	st := done
	completeRollingUpdate(set, &st)
	if st.CurrentRevision != "b" || st.CurrentReplicas != 3 {
		t.Errorf("status = %+v, want the update revision current", st)
	}
	notReady := done
	notReady.ReadyReplicas = 2
	completeRollingUpdate(set, &notReady)
	if notReady.CurrentRevision != "a" {
		t.Error("an unready pod leaves the rollout incomplete")
	}
	onDelete := set.DeepCopy()
	onDelete.Spec.UpdateStrategy = apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}
	st = done
	completeRollingUpdate(onDelete, &st)
	if st.CurrentRevision != "a" {
		t.Error("OnDelete never advances currentRevision in 1.32")
	}
}

func TestInconsistentStatus(t *testing.T) {
	set := newStatefulSet(3)
	set.Status = apps.StatefulSetStatus{ObservedGeneration: 2, Replicas: 3, CollisionCount: ptr.To[int32](0)}
	same := set.Status
	if inconsistentStatus(set, &same) {
		t.Error("an equal status needs no write")
	}
	older := same
	older.ObservedGeneration = 1
	if inconsistentStatus(set, &older) {
		t.Error("an older observedGeneration alone is no reason to write")
	}
	collided := same
	collided.CollisionCount = ptr.To[int32](1)
	if inconsistentStatus(set, &collided) {
		t.Error("collisionCount alone does not trigger a write, as upstream")
	}
	ready := same
	ready.ReadyReplicas = 1
	if !inconsistentStatus(set, &ready) {
		t.Error("a changed count must be written")
	}
}
