package statefulset

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/record"
)

// statefulSetControl runs one sync of a set once the loop has gathered its objects: it settles
// the revisions, runs the control step, carries it out, writes status and trims history.
type statefulSetControl struct {
	om      objectManager
	podCtrl *statefulPodControl
}

func newStatefulSetControl(om objectManager, recorder record.EventRecorder) *statefulSetControl {
	return &statefulSetControl{om: om, podCtrl: &statefulPodControl{om: om, recorder: recorder}}
}

// syncStatefulSet claims set's revisions and pods among those listed in its namespace
// (adopting and releasing by ownerReference) and runs UpdateStatefulSet.
func (ssc *statefulSetControl) syncStatefulSet(ctx context.Context, set *apps.StatefulSet, selector labels.Selector,
	revisions []*apps.ControllerRevision, pods []*v1.Pod, claims []*v1.PersistentVolumeClaim, now time.Time) (time.Duration, error) {
	revisions, err := claimRevisions(ctx, ssc.om, set, selector, revisions)
	if err != nil {
		return 0, err
	}
	pods, err = claimPods(ctx, ssc.om, set, selector, pods)
	if err != nil {
		return 0, err
	}
	byName := make(map[string]*v1.PersistentVolumeClaim, len(claims))
	for _, claim := range claims {
		byName[claim.Name] = claim
	}
	return ssc.UpdateStatefulSet(ctx, set, pods, byName, revisions, now)
}

// maxCollisionRetries bounds the search for a free ControllerRevision name; upstream loops
// until it finds one, which a misbehaving server could make endless.
const maxCollisionRetries = 100

// UpdateStatefulSet brings set one step closer to its spec. pods are its claimed pods, claims
// the PersistentVolumeClaims of its namespace by name, revisions its ControllerRevisions. It
// returns when to look again because a pod becomes available then (0: no need). An error
// means "retry with backoff"; status is written even when the step failed, so users see
// progress.
func (ssc *statefulSetControl) UpdateStatefulSet(ctx context.Context, set *apps.StatefulSet, pods []*v1.Pod, claims map[string]*v1.PersistentVolumeClaim, revisions []*apps.ControllerRevision, now time.Time) (time.Duration, error) {
	revisions = slices.Clone(revisions)
	sortControllerRevisions(revisions)
	plan, err := planRevisions(set, revisions)
	if err != nil {
		return 0, err
	}
	current, update, collisionCount, err := ssc.settleRevisions(ctx, set, plan)
	if err != nil {
		return 0, err
	}
	res, err := updateStatefulSet(controlInput{
		set: set, currentRevision: current, updateRevision: update, collisionCount: collisionCount,
		pods: pods, claims: claims, now: now,
	})
	if err != nil {
		return 0, err
	}
	var errs []error
	if err := ssc.podCtrl.execute(ctx, set, res); err != nil {
		errs = append(errs, err)
	}
	if err := ssc.updateStatefulSetStatus(ctx, set, &res.status); err != nil {
		errs = append(errs, err)
	}
	for _, r := range truncateHistory(set, pods, revisions, current, update) {
		if err := ssc.om.DeleteControllerRevision(ctx, r); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
			break
		}
	}
	return res.requeueAfter, utilerrors.NewAggregate(errs)
}

// settleRevisions carries out a revision plan and returns the current and update revisions
// and the collision count to record.
func (ssc *statefulSetControl) settleRevisions(ctx context.Context, set *apps.StatefulSet, plan revisionPlan) (current, update *apps.ControllerRevision, collisionCount int32, err error) {
	collisionCount = plan.collisionCount
	update = plan.update
	switch {
	case plan.create:
		update, err = ssc.createControllerRevision(ctx, set, plan.update, &collisionCount)
	case plan.bumpTo > 0:
		update, err = ssc.updateControllerRevision(ctx, plan.update, plan.bumpTo)
	}
	if err != nil {
		return nil, nil, collisionCount, err
	}
	current = plan.current
	if current == nil {
		current = update
	}
	return current, update, collisionCount, nil
}

// createControllerRevision creates revision under the name its hash and collisionCount give.
// A name taken by a revision with the same data is that revision; taken by another, it is a
// hash collision: collisionCount goes up and the next name is tried.
func (ssc *statefulSetControl) createControllerRevision(ctx context.Context, set *apps.StatefulSet, revision *apps.ControllerRevision, collisionCount *int32) (*apps.ControllerRevision, error) {
	clone := revision.DeepCopy()
	for range maxCollisionRetries {
		clone.Name = controllerRevisionName(set.Name, hashControllerRevision(revision, collisionCount))
		created, err := ssc.om.CreateControllerRevision(ctx, clone)
		if !apierrors.IsAlreadyExists(err) {
			return created, err
		}
		existing, err := ssc.om.GetControllerRevision(ctx, clone.Namespace, clone.Name)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(existing.Data.Raw, clone.Data.Raw) {
			return existing, nil
		}
		*collisionCount++
	}
	return nil, fmt.Errorf("no free name for a new ControllerRevision of StatefulSet %s/%s after %d collisions", set.Namespace, set.Name, maxCollisionRetries)
}

// updateControllerRevision raises revision's .revision (a rollback reuses the older revision
// that records the same template), re-reading it on a conflict.
func (ssc *statefulSetControl) updateControllerRevision(ctx context.Context, revision *apps.ControllerRevision, newRevision int64) (*apps.ControllerRevision, error) {
	clone := revision.DeepCopy()
	for attempt := 0; ; attempt++ {
		if clone.Revision == newRevision {
			return clone, nil
		}
		clone.Revision = newRevision
		updated, err := ssc.om.UpdateControllerRevision(ctx, clone)
		if err == nil || !apierrors.IsConflict(err) || attempt == maxUpdateRetries {
			return updated, err
		}
		current, getErr := ssc.om.GetControllerRevision(ctx, clone.Namespace, clone.Name)
		if getErr != nil {
			return nil, err
		}
		clone = current.DeepCopy()
	}
}

// updateStatefulSetStatus completes a finished rolling update in status and writes it through
// /status if it says something new, re-reading the set on a conflict.
func (ssc *statefulSetControl) updateStatefulSetStatus(ctx context.Context, set *apps.StatefulSet, status *apps.StatefulSetStatus) error {
	completeRollingUpdate(set, status)
	if !inconsistentStatus(set, status) {
		return nil
	}
	set = set.DeepCopy()
	for attempt := 0; ; attempt++ {
		set.Status = *status
		_, err := ssc.om.UpdateStatefulSetStatus(ctx, set)
		if err == nil || !apierrors.IsConflict(err) || attempt == maxUpdateRetries {
			return err
		}
		current, getErr := ssc.om.GetStatefulSet(ctx, set.Namespace, set.Name)
		if getErr != nil || current.UID != set.UID {
			return err
		}
		set = current.DeepCopy()
	}
}
