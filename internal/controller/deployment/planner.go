package deployment

import (
	"fmt"
	"reflect"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// actionKind is a write the controller makes.
type actionKind int

const (
	// createReplicaSet creates action.rs. action.deployment is the Deployment as it was
	// just before, for the failure report.
	createReplicaSet actionKind = iota
	// updateReplicaSet replaces action.rs (spec and metadata).
	updateReplicaSet
	// deleteReplicaSet deletes action.rs.
	deleteReplicaSet
	// updateDeploymentStatus writes action.deployment's status and revision annotation.
	updateDeploymentStatus
	// updateDeployment replaces action.deployment (a legacy rollback).
	updateDeployment
	// recordEvent only records action.event.
	recordEvent
)

// event is recorded on the Deployment, after its action succeeded.
type event struct {
	eventType, reason, message string
}

type action struct {
	kind       actionKind
	rs         *apps.ReplicaSet
	deployment *apps.Deployment
	event      *event
}

// plan is the outcome of one sync: writes in order, then when to look again.
type plan struct {
	actions []action
	// err is a planning error (e.g. an unsupported strategy), returned after the actions
	// before it ran, for a retry with backoff.
	err error
	// requeueAfter > 0 asks for another sync then (to notice a progress deadline).
	requeueAfter time.Duration
	// requeueRateLimited asks for another sync soon.
	requeueRateLimited bool
}

// input is what a sync knows: the Deployment, the ReplicaSets it controls and their
// pods (by ReplicaSet UID, terminating and terminal ones included), and the time.
type input struct {
	deployment *apps.Deployment
	rsList     []*apps.ReplicaSet
	podMap     map[types.UID][]*v1.Pod
	now        time.Time
}

// planner runs upstream's sync logic on a private copy of the Deployment, recording
// writes instead of making them. ReplicaSets are never changed in place: a write
// produces a new copy, which the step that made it passes on, as upstream passes on the
// objects the API returns.
type planner struct {
	d      *apps.Deployment
	rsList []*apps.ReplicaSet
	podMap map[types.UID][]*v1.Pod
	now    time.Time
	out    plan
}

// planSync decides one sync of in.deployment. in is not modified.
func planSync(in input) plan {
	p := &planner{
		d:      in.deployment.DeepCopy(),
		rsList: append([]*apps.ReplicaSet(nil), in.rsList...),
		podMap: in.podMap,
		now:    in.now,
	}
	p.out.err = p.syncDeployment()
	return p.out
}

// isSelectingAll reports an empty selector, which would select every pod of the
// namespace; the controller refuses to act on it.
func isSelectingAll(d *apps.Deployment) bool {
	return reflect.DeepEqual(d.Spec.Selector, &metav1.LabelSelector{})
}

func (p *planner) syncDeployment() error {
	d := p.d
	if isSelectingAll(d) {
		p.recordEvent(v1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			p.updateStatus()
		}
		return nil
	}
	if d.DeletionTimestamp != nil {
		return p.syncStatusOnly()
	}
	p.checkPausedConditions()
	if d.Spec.Paused {
		return p.sync()
	}
	// The legacy rollback (extensions/v1beta1 spec.rollbackTo) comes before scaling:
	// it changes the template, so the scaling would go to the wrong ReplicaSet.
	if getRollbackTo(d) != nil {
		return p.rollback()
	}
	scaling, err := p.isScalingEvent()
	if err != nil {
		return err
	}
	if scaling {
		return p.sync()
	}
	switch d.Spec.Strategy.Type {
	case apps.RecreateDeploymentStrategyType:
		return p.rolloutRecreate()
	case apps.RollingUpdateDeploymentStrategyType:
		return p.rolloutRolling()
	}
	return fmt.Errorf("unexpected deployment strategy type: %s", d.Spec.Strategy.Type)
}

// checkPausedConditions turns Progressing to Unknown/DeploymentPaused when paused and to
// Unknown/DeploymentResumed when resumed, so that a pause never counts against the
// progress deadline. A timed-out Progressing condition is left alone.
func (p *planner) checkPausedConditions() {
	d := p.d
	if !hasProgressDeadline(d) {
		return
	}
	c := getCondition(d.Status, apps.DeploymentProgressing)
	if c != nil && c.Reason == TimedOutReason {
		return
	}
	pausedCondExists := c != nil && c.Reason == PausedDeployReason
	switch {
	case d.Spec.Paused && !pausedCondExists:
		setCondition(&d.Status, newCondition(apps.DeploymentProgressing, v1.ConditionUnknown, PausedDeployReason, "Deployment is paused", p.now))
	case !d.Spec.Paused && pausedCondExists:
		setCondition(&d.Status, newCondition(apps.DeploymentProgressing, v1.ConditionUnknown, ResumedDeployReason, "Deployment is resumed", p.now))
	default:
		return
	}
	p.updateStatus()
}

// isScalingEvent reports whether an active ReplicaSet was sized for another
// spec.replicas than the current one.
func (p *planner) isScalingEvent() (bool, error) {
	newRS, oldRSs, err := p.getAllReplicaSetsAndSyncRevision(false)
	if err != nil {
		return false, err
	}
	for _, rs := range filterActiveReplicaSets(append(oldRSs, newRS)) {
		desired, ok := intAnnotation(rs, DesiredReplicasAnnotation)
		if ok && desired != *p.d.Spec.Replicas {
			return true, nil
		}
	}
	return false, nil
}

// Simulated writes.

func (p *planner) recordEvent(eventType, reason, message string) {
	p.out.actions = append(p.out.actions, action{kind: recordEvent, event: &event{eventType, reason, message}})
}

func (p *planner) updateStatus() {
	p.out.actions = append(p.out.actions, action{kind: updateDeploymentStatus, deployment: p.d.DeepCopy()})
}

func (p *planner) createReplicaSet(rs *apps.ReplicaSet, ev *event) {
	p.out.actions = append(p.out.actions, action{kind: createReplicaSet, rs: rs.DeepCopy(), deployment: p.d.DeepCopy(), event: ev})
}

func (p *planner) updateReplicaSet(rs *apps.ReplicaSet, ev *event) {
	p.out.actions = append(p.out.actions, action{kind: updateReplicaSet, rs: rs.DeepCopy(), event: ev})
}

func (p *planner) deleteReplicaSet(rs *apps.ReplicaSet) {
	p.out.actions = append(p.out.actions, action{kind: deleteReplicaSet, rs: rs})
}
