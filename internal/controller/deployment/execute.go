package deployment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// errResyncNow reports that the ReplicaSet to create already exists and is the
// Deployment's own: the cache had not caught up. The next sync finds it.
var errResyncNow = errors.New("new replica set already exists")

// execute makes the planned writes in order and stops at the first failure. Writes of
// one object in one sync are chained: each carries the resourceVersion the previous
// one returned (the plan was made on the cached version).
func (c *Controller) execute(ctx context.Context, d *apps.Deployment, actions []action) error {
	deployments := c.client.AppsV1().Deployments(d.Namespace)
	replicaSets := c.client.AppsV1().ReplicaSets(d.Namespace)
	dRV := d.ResourceVersion
	rsRV := map[string]string{}
	for _, a := range actions {
		switch a.kind {
		case createReplicaSet:
			created, err := replicaSets.Create(ctx, a.rs, metav1.CreateOptions{})
			if err != nil {
				return c.createFailed(ctx, a, err, dRV)
			}
			rsRV[created.Name] = created.ResourceVersion
		case updateReplicaSet:
			if rv, ok := rsRV[a.rs.Name]; ok {
				a.rs.ResourceVersion = rv
			}
			updated, err := replicaSets.Update(ctx, a.rs, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			rsRV[updated.Name] = updated.ResourceVersion
		case deleteReplicaSet:
			if err := replicaSets.Delete(ctx, a.rs.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		case updateDeploymentStatus:
			a.deployment.ResourceVersion = dRV
			updated, err := deployments.UpdateStatus(ctx, a.deployment, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			if dRV, err = c.ensureRevisionAnnotation(ctx, a.deployment, updated); err != nil {
				return err
			}
		case updateDeployment:
			a.deployment.ResourceVersion = dRV
			updated, err := deployments.Update(ctx, a.deployment, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			dRV = updated.ResourceVersion
		}
		if a.event != nil {
			c.recorder.Event(d, a.event.eventType, a.event.reason, a.event.message)
		}
	}
	return nil
}

// ensureRevisionAnnotation writes the revision annotation through the main resource when
// a status write did not keep it. Upstream's status strategy keeps metadata annotations
// (it resets only spec and labels) and the controller relies on that; an API server
// that resets them would otherwise never show the revision kubectl rollout reads.
func (c *Controller) ensureRevisionAnnotation(ctx context.Context, want, got *apps.Deployment) (string, error) {
	rev, ok := want.Annotations[RevisionAnnotation]
	if !ok || got.Annotations[RevisionAnnotation] == rev {
		return got.ResourceVersion, nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{RevisionAnnotation: rev}}})
	patched, err := c.client.AppsV1().Deployments(want.Namespace).Patch(ctx, want.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return "", err
	}
	return patched.ResourceVersion, nil
}

// createFailed handles a failed creation of the new ReplicaSet a.rs: a name taken by
// another ReplicaSet is a hash collision, resolved by bumping status.collisionCount;
// other errors are reported on the Progressing condition and as an event.
func (c *Controller) createFailed(ctx context.Context, a action, err error, dRV string) error {
	d := a.deployment
	d.ResourceVersion = dRV
	deployments := c.client.AppsV1().Deployments(d.Namespace)
	switch {
	case apierrors.IsAlreadyExists(err):
		rs, getErr := c.rsLister.ReplicaSets(d.Namespace).Get(a.rs.Name)
		if getErr != nil {
			return getErr
		}
		if ref := metav1.GetControllerOfNoCopy(rs); ref != nil && ref.UID == d.UID && EqualIgnoreHash(&d.Spec.Template, &rs.Spec.Template) {
			return errResyncNow
		}
		if d.Status.CollisionCount == nil {
			d.Status.CollisionCount = new(int32)
		}
		*d.Status.CollisionCount++
		// The retry comes from returning err; a failed status write only delays it.
		_, _ = deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	case apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause):
		return err
	}
	msg := fmt.Sprintf("Failed to create new replica set %q: %v", a.rs.Name, err)
	if hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(apps.DeploymentProgressing, v1.ConditionFalse, FailedRSCreateReason, msg, c.now()))
		_, _ = deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{})
	}
	c.recorder.Event(d, v1.EventTypeWarning, FailedRSCreateReason, msg)
	return err
}
