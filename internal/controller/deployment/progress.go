package deployment

import (
	"fmt"
	"reflect"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
)

// syncRolloutStatus writes status with the Progressing condition brought up to date:
// complete, progressing (any progress since the last status refreshes lastUpdateTime)
// or timed out (no progress for progressDeadlineSeconds). It asks for a resync when the
// deadline would pass without any event.
func (p *planner) syncRolloutStatus(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) {
	d := p.d
	st := calculateStatus(allRSs, newRS, d, p.now)
	if !hasProgressDeadline(d) {
		removeCondition(&st, apps.DeploymentProgressing)
	}
	cur := getCondition(d.Status, apps.DeploymentProgressing)
	// A completed rollout is not re-evaluated until a new one starts.
	isCompleteDeployment := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == NewRSAvailableReason
	if hasProgressDeadline(d) && !isCompleteDeployment {
		name := func(deploymentMsg, rsMsg string) string {
			if newRS != nil {
				return fmt.Sprintf(rsMsg, newRS.Name)
			}
			return fmt.Sprintf(deploymentMsg, d.Name)
		}
		switch {
		case deploymentComplete(d, &st):
			msg := name("Deployment %q has successfully progressed.", "ReplicaSet %q has successfully progressed.")
			setCondition(&st, newCondition(apps.DeploymentProgressing, v1.ConditionTrue, NewRSAvailableReason, msg, p.now))
		case deploymentProgressing(d, &st):
			msg := name("Deployment %q is progressing.", "ReplicaSet %q is progressing.")
			c := newCondition(apps.DeploymentProgressing, v1.ConditionTrue, ReplicaSetUpdatedReason, msg, p.now)
			// Unlike other conditions, progress refreshes lastUpdateTime even with the
			// same reason; lastTransitionTime stays while the status stays True.
			if cur != nil {
				if cur.Status == v1.ConditionTrue {
					c.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(&st, apps.DeploymentProgressing)
			}
			setCondition(&st, c)
		case deploymentTimedOut(d, &st, p.now):
			msg := name("Deployment %q has timed out progressing.", "ReplicaSet %q has timed out progressing.")
			setCondition(&st, newCondition(apps.DeploymentProgressing, v1.ConditionFalse, TimedOutReason, msg, p.now))
		}
	}
	if failures := replicaFailures(allRSs, newRS); len(failures) > 0 {
		setCondition(&st, failures[0])
	} else {
		removeCondition(&st, apps.DeploymentReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, st) {
		p.requeueStuckDeployment(st)
		return
	}
	d.Status = st
	p.updateStatus()
}

// replicaFailures returns the ReplicaFailure conditions of the new ReplicaSet, or else
// of the old ones, as Deployment conditions.
func replicaFailures(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) []apps.DeploymentCondition {
	var out []apps.DeploymentCondition
	collect := func(rs *apps.ReplicaSet) {
		for _, c := range rs.Status.Conditions {
			if c.Type == apps.ReplicaSetReplicaFailure {
				out = append(out, replicaSetToCondition(c))
			}
		}
	}
	if newRS != nil {
		collect(newRS)
	}
	if len(out) > 0 {
		return out
	}
	for _, rs := range allRSs {
		if rs != nil {
			collect(rs)
		}
	}
	return out
}

// requeueStuckDeployment asks for a sync when the progress deadline of a rollout that
// shows no progress passes (no event would trigger it), and returns the delay; -1 when
// none is needed.
func (p *planner) requeueStuckDeployment(st apps.DeploymentStatus) time.Duration {
	d := p.d
	cur := getCondition(d.Status, apps.DeploymentProgressing)
	if !hasProgressDeadline(d) || cur == nil {
		return -1
	}
	if deploymentComplete(d, &st) || cur.Reason == TimedOutReason {
		return -1
	}
	after := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(p.now)
	if after < time.Second {
		p.out.requeueRateLimited = true
		return 0
	}
	// A second more, so that the deadline has passed when the sync runs.
	p.out.requeueAfter = after + time.Second
	return after
}

// deploymentComplete: every replica updated and available, no old one left, and the
// spec observed.
func deploymentComplete(d *apps.Deployment, st *apps.DeploymentStatus) bool {
	return st.UpdatedReplicas == *d.Spec.Replicas && st.Replicas == *d.Spec.Replicas &&
		st.AvailableReplicas == *d.Spec.Replicas && st.ObservedGeneration >= d.Generation
}

// deploymentProgressing compares st with d's current status: more updated, fewer old,
// more ready or more available replicas are progress.
func deploymentProgressing(d *apps.Deployment, st *apps.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut reports whether the Progressing condition of st has not been
// refreshed for progressDeadlineSeconds (or already says so).
func deploymentTimedOut(d *apps.Deployment, st *apps.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(*st, apps.DeploymentProgressing)
	if c == nil || c.Reason == NewRSAvailableReason {
		return false
	}
	if c.Reason == TimedOutReason {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
}
