package job

import (
	"context"
	"fmt"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
)

// sync runs one Job a step: manage its pods, then record finished pods and conditions
// through the two-write protocol described in the package doc.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	shared, err := c.jobLister.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.forget(key)
		c.backoff.remove(key)
		return nil
	}
	if err != nil {
		return err
	}
	if isJobFinished(shared) {
		c.backoff.remove(key)
		return c.deleteExpired(ctx, key, shared)
	}
	if m := shared.Spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		c.recorder.Event(shared, corev1.EventTypeWarning, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown")
		return nil
	}
	if ref := shared.Spec.ManagedBy; ref != nil && *ref != "kubernetes.io/job-controller" {
		return nil
	}
	job := shared.DeepCopy()

	// Expectations first: a pod created after this point is then merely not seen yet.
	satisfied, pendingRm := c.exp.check(key, func(name string) (*corev1.Pod, bool) {
		p, err := c.podLister.Pods(ns).Get(name)
		return p, err == nil
	})
	all, err := c.podLister.Pods(ns).List(labels.Everything())
	if err != nil {
		return err
	}
	pods, err := claimPods(ctx, c.client, job, all)
	if err != nil {
		return err
	}
	s := newJobSync(syncInput{Job: job, Pods: pods, Backoff: c.backoff.get(key), Satisfied: satisfied, ExpectedRmFinalizers: pendingRm, Now: c.clock.Now()})
	act := s.manage()
	deleted, deletedReady, created, manageErr := c.execute(ctx, key, s, act)
	changed := s.afterManage(act, deleted, deletedReady, created)

	tp := s.track(changed)
	if tp.NeedsFlush {
		if err := c.writeStatus(ctx, s); err != nil {
			return fmt.Errorf("adding uncounted pods to the status of job %s: %w", key, err)
		}
		c.backoff.set(key, s.newBackoff)
	}
	removed, rmErr := c.removeFinalizers(ctx, key, tp.RemoveFinalizer)
	if changed, _ := s.finish(tp, removed); changed {
		if err := c.writeStatus(ctx, s); err != nil {
			return fmt.Errorf("counting finished pods of job %s: %w", key, err)
		}
	}
	for _, e := range s.events {
		c.recorder.Event(s.job, e.Type, e.Reason, e.Message)
	}
	if s.requeueAfter > 0 {
		c.wake.After(key, s.requeueAfter)
	}
	return utilerrors.NewAggregate([]error{manageErr, rmErr})
}

func (c *Controller) writeStatus(ctx context.Context, s *jobSync) error {
	updated, err := c.client.BatchV1().Jobs(s.job.Namespace).UpdateStatus(ctx, s.job, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	if updated.Status.UncountedTerminatedPods == nil {
		updated.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	s.job = updated
	return nil
}

// execute carries out the pod work and reports what succeeded.
func (c *Controller) execute(ctx context.Context, key string, s *jobSync, act manageAction) (deleted, deletedReady, created int32, err error) {
	job := s.job
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, pod := range act.Delete {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.deletePod(ctx, key, job, pod, act.RemoveFinalizerFirst); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			mu.Lock()
			deleted++
			if isPodReady(pod) {
				deletedReady++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()

	// Slow start: batches of 1, 2, 4, …; a failing batch stops the rest.
	pending := act.Create
	for batch := 1; len(pending) > 0; batch *= 2 {
		n := min(batch, len(pending))
		failedBefore := len(errs)
		for _, ix := range pending[:n] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.createPod(ctx, key, job, s.newPodFor(ix))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				created++
			}()
		}
		wg.Wait()
		pending = pending[n:]
		if len(errs) > failedBefore {
			break
		}
	}
	return deleted, deletedReady, created, utilerrors.NewAggregate(errs)
}

func (c *Controller) createPod(ctx context.Context, key string, job *batchv1.Job, pod *corev1.Pod) error {
	created, err := c.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		c.recorder.Event(job, corev1.EventTypeWarning, reasonFailedCreate, fmt.Sprintf("Error creating: %v", err))
		return fmt.Errorf("creating pod for job %s/%s: %w", pod.Namespace, job.Name, err)
	}
	c.exp.expectCreate(key, created.Name)
	c.recorder.Event(job, corev1.EventTypeNormal, reasonSuccessfulCreate, "Created pod: "+created.Name)
	return nil
}

// deletePod deletes an active pod; a pod that is not a failure stops being tracked first.
func (c *Controller) deletePod(ctx context.Context, key string, job *batchv1.Job, pod *corev1.Pod, untrackFirst bool) error {
	if untrackFirst && hasTrackingFinalizer(pod) {
		_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("removing the tracking finalizer of pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
	}
	c.exp.expectDelete(key, pod)
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{})
	switch {
	case err == nil:
		c.recorder.Event(job, corev1.EventTypeNormal, reasonSuccessfulDelete, "Deleted pod: "+pod.Name)
		return nil
	case apierrors.IsNotFound(err):
		return nil
	}
	c.recorder.Event(job, corev1.EventTypeWarning, reasonFailedDelete, fmt.Sprintf("Error deleting: %v", err))
	return fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err)
}

// removeFinalizers removes the tracking finalizer from pods whose outcome the status now
// holds, and returns the UIDs done (a pod already gone counts as done).
func (c *Controller) removeFinalizers(ctx context.Context, key string, pods []*corev1.Pod) (sets.Set[string], error) {
	removed := sets.New[string]()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, pod := range pods {
		c.exp.expectFinalizerRemoved(key, pod)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !apierrors.IsNotFound(err) {
				c.exp.finalizerRemovalFailed(key, pod)
				errs = append(errs, fmt.Errorf("removing the tracking finalizer of pod %s/%s: %w", pod.Namespace, pod.Name, err))
				return
			}
			removed.Insert(string(pod.UID))
		}()
	}
	wg.Wait()
	return removed, utilerrors.NewAggregate(errs)
}
