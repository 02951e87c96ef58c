package replicaset

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCalculateStatus(t *testing.T) {
	failure := apps.ReplicaSetCondition{Type: apps.ReplicaSetReplicaFailure, Status: v1.ConditionTrue,
		LastTransitionTime: metav1.NewTime(t0.Add(-time.Minute)), Reason: reasonFailedCreate, Message: "old"}
	tests := []struct {
		name            string
		replicas        int32
		minReadySeconds int32
		conditions      []apps.ReplicaSetCondition
		pods            []*v1.Pod
		manageErr       error
		want            apps.ReplicaSetStatus
	}{{
		name: "counts replicas, fully labeled, ready and available", replicas: 3,
		pods: []*v1.Pod{
			newPod("a", labelled("tier", "front"), readySince(t0.Add(-time.Second))),
			newPod("b", readySince(t0.Add(-time.Second))),
			newPod("c", labelled("tier", "front"), notReady),
		},
		want: apps.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2},
	}, {
		name: "minReadySeconds: available only once ready long enough", replicas: 2, minReadySeconds: 10,
		pods: []*v1.Pod{
			newPod("a", labelled("tier", "front"), readySince(t0.Add(-11*time.Second))),
			newPod("b", labelled("tier", "front"), readySince(t0.Add(-10*time.Second))),
		},
		want: apps.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 1},
	}, {
		name: "a failed creation sets ReplicaFailure/FailedCreate", replicas: 2,
		manageErr: errors.New("pods \"web-x\" is forbidden: exceeded quota"),
		want: apps.ReplicaSetStatus{Conditions: []apps.ReplicaSetCondition{{
			Type: apps.ReplicaSetReplicaFailure, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0),
			Reason: reasonFailedCreate, Message: "pods \"web-x\" is forbidden: exceeded quota",
		}}},
	}, {
		name: "a failed deletion sets ReplicaFailure/FailedDelete", replicas: 0,
		pods:      []*v1.Pod{newPod("a", labelled("tier", "front"))},
		manageErr: errors.New("boom"),
		want: apps.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, Conditions: []apps.ReplicaSetCondition{{
			Type: apps.ReplicaSetReplicaFailure, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0),
			Reason: reasonFailedDelete, Message: "boom",
		}}},
	}, {
		name: "an existing failure is kept while errors persist", replicas: 1,
		conditions: []apps.ReplicaSetCondition{failure}, manageErr: errors.New("new"),
		want: apps.ReplicaSetStatus{Conditions: []apps.ReplicaSetCondition{failure}},
	}, {
		name: "a sync without error clears the failure", replicas: 0,
		conditions: []apps.ReplicaSetCondition{failure},
		want:       apps.ReplicaSetStatus{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newReplicaSet(tt.replicas)
			rs.Spec.MinReadySeconds = tt.minReadySeconds
			rs.Status.Conditions = tt.conditions
			got := calculateStatus(rs, tt.pods, tt.manageErr, t0)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusUpToDate(t *testing.T) {
	rs := newReplicaSet(1)
	rs.Status = apps.ReplicaSetStatus{Replicas: 1, ObservedGeneration: 1}
	if !statusUpToDate(rs, apps.ReplicaSetStatus{Replicas: 1}) {
		t.Error("same counts at the observed generation: want up to date")
	}
	rs.Generation = 2
	if statusUpToDate(rs, apps.ReplicaSetStatus{Replicas: 1}) {
		t.Error("a new generation must be observed")
	}
}
