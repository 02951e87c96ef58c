package daemonset

import (
	"context"
	"fmt"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// burstReplicas caps the creations and deletions of one sync, as upstream (250).
const burstReplicas = 250

// apply carries out a plan: events, back-off, then deletions and creations. Creations go in
// slow-start batches (1, 2, 4, …) and stop at the first failing batch, so a quota or
// admission error costs one request, not hundreds.
func (c *Controller) apply(ctx context.Context, key string, ds *appsv1.DaemonSet, hash string, p syncPlan) error {
	for _, e := range p.Events {
		c.recorder.Event(ds, e.Type, e.Reason, e.Message)
	}
	for _, node := range p.BackoffNodes {
		c.backoff.next(backoffKey(ds, node), c.clock.Now())
	}
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}

	var wg sync.WaitGroup
	zero := int64(0)
	deletions := append(append([]*corev1.Pod(nil), p.Delete...), p.DeleteNow...)
	if len(deletions) > burstReplicas {
		deletions = deletions[:burstReplicas]
	}
	for i, pod := range deletions {
		opts := metav1.DeleteOptions{}
		if i >= len(p.Delete) {
			opts.GracePeriodSeconds = &zero
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.exp.expectDelete(key, pod)
			err := c.client.CoreV1().Pods(ds.Namespace).Delete(ctx, pod.Name, opts)
			switch {
			case err == nil:
				c.recorder.Eventf(ds, corev1.EventTypeNormal, reasonSuccessfulDelete, "Deleted pod: %v", pod.Name)
			case apierrors.IsNotFound(err):
			default:
				c.recorder.Eventf(ds, corev1.EventTypeWarning, reasonFailedDelete, "Error deleting: %v", err)
				fail(fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err))
			}
		}()
	}
	wg.Wait()

	create := p.Create
	if len(create) > burstReplicas {
		create = create[:burstReplicas]
	}
	for batch := 1; len(create) > 0; batch *= 2 {
		n := min(batch, len(create))
		before := len(errs)
		for _, node := range create[:n] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.createPod(ctx, key, ds, node, hash); err != nil {
					fail(err)
				}
			}()
		}
		wg.Wait()
		create = create[n:]
		if len(errs) > before {
			break
		}
	}
	return utilerrors.NewAggregate(errs)
}

func (c *Controller) createPod(ctx context.Context, key string, ds *appsv1.DaemonSet, node, hash string) error {
	pod := newDaemonPod(ds, node, hash)
	created, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		c.recorder.Eventf(ds, corev1.EventTypeWarning, reasonFailedCreate, "Error creating: %v", err)
		return fmt.Errorf("creating pod for DaemonSet %s/%s on node %s: %w", ds.Namespace, ds.Name, node, err)
	}
	c.exp.expectCreate(key, created.Name)
	c.recorder.Eventf(ds, corev1.EventTypeNormal, reasonSuccessfulCreate, "Created pod: %v", created.Name)
	return nil
}
