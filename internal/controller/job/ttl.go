package job

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// expiresAt is when a finished Job with ttlSecondsAfterFinished is due for deletion.
func expiresAt(job *batchv1.Job) (time.Time, bool) {
	if job.Spec.TTLSecondsAfterFinished == nil || job.DeletionTimestamp != nil {
		return time.Time{}, false
	}
	finished, ok := finishedAt(job)
	if !ok {
		return time.Time{}, false
	}
	return finished.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second), true
}

// deleteExpired deletes a finished Job whose TTL has passed, with foreground propagation
// so that its pods go first, as upstream's TTL-after-finished controller. The Job is read
// again without the cache and deleted only if that very version has expired: the user may
// have just changed the TTL.
func (c *Controller) deleteExpired(ctx context.Context, key string, job *batchv1.Job) error {
	at, ok := expiresAt(job)
	if !ok {
		return nil
	}
	if now := c.clock.Now(); now.Before(at) {
		c.wake.After(key, at.Sub(now))
		return nil
	}
	fresh, err := c.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	at, ok = expiresAt(fresh)
	if !ok || fresh.UID != job.UID {
		return nil
	}
	if now := c.clock.Now(); now.Before(at) {
		c.wake.After(key, at.Sub(now))
		return nil
	}
	foreground := metav1.DeletePropagationForeground
	err = c.client.BatchV1().Jobs(job.Namespace).Delete(ctx, job.Name, metav1.DeleteOptions{
		PropagationPolicy: &foreground,
		Preconditions:     &metav1.Preconditions{UID: &fresh.UID, ResourceVersion: &fresh.ResourceVersion},
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
