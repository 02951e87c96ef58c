package replicaset

import (
	"reflect"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Reasons of the ReplicaFailure condition.
const (
	reasonFailedCreate = "FailedCreate"
	reasonFailedDelete = "FailedDelete"
)

// calculateStatus recounts the status of rs from the active pods it controls. manageErr
// is the error of this sync's creations or deletions: it sets the ReplicaFailure
// condition, and a sync without error clears it. observedGeneration is left to the
// writer, which sets it only when it writes.
func calculateStatus(rs *apps.ReplicaSet, pods []*v1.Pod, manageErr error, now time.Time) apps.ReplicaSetStatus {
	status := rs.Status
	status.Conditions = append([]apps.ReplicaSetCondition(nil), rs.Status.Conditions...)
	template := labels.Set(rs.Spec.Template.Labels).AsSelectorPreValidated()
	var fullyLabeled, ready, available int32
	for _, p := range pods {
		if template.Matches(labels.Set(p.Labels)) {
			fullyLabeled++
		}
		if IsPodReady(p) {
			ready++
			if IsPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				available++
			}
		}
	}
	failure := getCondition(rs.Status, apps.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := ""
		if diff := len(pods) - int(replicasOf(rs)); diff < 0 {
			reason = reasonFailedCreate
		} else if diff > 0 {
			reason = reasonFailedDelete
		}
		setCondition(&status, apps.ReplicaSetCondition{
			Type: apps.ReplicaSetReplicaFailure, Status: v1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now), Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		status.Conditions = withoutCondition(status.Conditions, apps.ReplicaSetReplicaFailure)
	}
	status.Replicas = int32(len(pods))
	status.FullyLabeledReplicas = fullyLabeled
	status.ReadyReplicas = ready
	status.AvailableReplicas = available
	return status
}

// statusUpToDate reports whether writing status to rs would change nothing.
func statusUpToDate(rs *apps.ReplicaSet, status apps.ReplicaSetStatus) bool {
	return rs.Status.Replicas == status.Replicas &&
		rs.Status.FullyLabeledReplicas == status.FullyLabeledReplicas &&
		rs.Status.ReadyReplicas == status.ReadyReplicas &&
		rs.Status.AvailableReplicas == status.AvailableReplicas &&
		rs.Generation == rs.Status.ObservedGeneration &&
		reflect.DeepEqual(rs.Status.Conditions, status.Conditions)
}

func replicasOf(rs *apps.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

func getCondition(status apps.ReplicaSetStatus, t apps.ReplicaSetConditionType) *apps.ReplicaSetCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// setCondition adds or replaces the condition of c's type, unless one with the same
// status and reason is already there.
func setCondition(status *apps.ReplicaSetStatus, c apps.ReplicaSetCondition) {
	if cur := getCondition(*status, c.Type); cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	status.Conditions = append(withoutCondition(status.Conditions, c.Type), c)
}

func withoutCondition(conds []apps.ReplicaSetCondition, t apps.ReplicaSetConditionType) []apps.ReplicaSetCondition {
	var out []apps.ReplicaSetCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}
