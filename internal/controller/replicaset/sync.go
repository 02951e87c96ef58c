package replicaset

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// sync brings the owner ns/name one step towards spec.replicas and writes its status.
// An error means "retry with backoff".
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	rs, err := c.kind.get(ns, name)
	if apierrors.IsNotFound(err) {
		c.expectations.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	now := c.now()
	needsSync := c.expectations.satisfied(key, now)
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		// Validation keeps this from happening; retrying cannot fix it.
		slog.Error("invalid selector", "kind", c.kind.gvk.Kind, "key", key, "err", err)
		return nil
	}
	candidates, err := podsByOwner(c.podIndexer, ns, string(rs.UID), true)
	if err != nil {
		return err
	}
	pods, err := c.claimPods(ctx, rs, selector, filterActivePods(candidates))
	if err != nil {
		return err
	}
	var manageErr error
	if needsSync && rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(ctx, key, rs, pods, now)
	}
	rs = rs.DeepCopy()
	status := calculateStatus(rs, pods, manageErr, now)
	updated, err := c.updateStatus(ctx, rs, status)
	if err != nil {
		return err
	}
	// Pods that are ready become available without any event: look again then.
	if manageErr == nil && updated.Spec.MinReadySeconds > 0 &&
		updated.Status.ReadyReplicas == replicasOf(updated) &&
		updated.Status.AvailableReplicas != replicasOf(updated) {
		c.queue.AddAfter(key, time.Duration(updated.Spec.MinReadySeconds)*time.Second)
	}
	return manageErr
}

// claimPods adopts and releases pods for rs and returns the ones it controls.
func (c *Controller) claimPods(ctx context.Context, rs *apps.ReplicaSet, selector labels.Selector, pods []*v1.Pod) ([]*v1.Pod, error) {
	claimer := &Claimer[*v1.Pod]{
		Owner:    rs,
		OwnerRef: *metav1.NewControllerRef(rs, c.kind.gvk),
		Kind:     "Pod",
		Match:    func(p *v1.Pod) bool { return selector.Matches(labels.Set(p.Labels)) },
		CanAdopt: RecheckOwner(c.kind.gvk.Kind, rs, func(ctx context.Context) (metav1.Object, error) {
			return c.kind.getLive(ctx, rs.Namespace, rs.Name)
		}),
		Patch: func(ctx context.Context, p *v1.Pod, patch []byte) error {
			return c.podControl.patchPod(ctx, p.Namespace, p.Name, patch)
		},
	}
	return claimer.Claim(ctx, pods)
}

// manageReplicas creates or deletes pods as planReplicas decides, under expectations.
func (c *Controller) manageReplicas(ctx context.Context, key string, rs *apps.ReplicaSet, pods []*v1.Pod, now time.Time) error {
	related, err := c.relatedPods(rs)
	if err != nil {
		return err
	}
	plan := planReplicas(replicasOf(rs), pods, related, c.burstReplicas, now)
	owner := c.kind.object(rs)
	switch {
	case plan.create > 0:
		ref := *metav1.NewControllerRef(rs, c.kind.gvk)
		c.expectations.expectCreations(key, plan.create, now)
		created, err := slowStartBatch(plan.create, slowStartInitialBatchSize, func() error {
			err := c.podControl.createPod(ctx, podFromTemplate(&rs.Spec.Template, rs.Namespace, rs.Name, ref), owner)
			if apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause) {
				// Every create fails while the namespace goes away; nothing to retry.
				return nil
			}
			return err
		})
		// The pods not created will never be observed.
		for range plan.create - created {
			c.expectations.creationObserved(key)
		}
		return err
	case len(plan.delete) > 0:
		keys := make([]string, len(plan.delete))
		for i, p := range plan.delete {
			keys[i] = podKey(p)
		}
		c.expectations.expectDeletions(key, keys, now)
		errs := make(chan error, len(plan.delete))
		var wg sync.WaitGroup
		for _, p := range plan.delete {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.podControl.deletePod(ctx, p.Namespace, p.Name, owner); err != nil {
					c.expectations.deletionObserved(key, podKey(p))
					if !apierrors.IsNotFound(err) {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		select {
		case err := <-errs:
			return err
		default:
		}
	}
	return nil
}

// relatedPods returns the pods controlled by the ReplicaSets that share rs's controller
// (rs included); nil when rs has none.
func (c *Controller) relatedPods(rs *apps.ReplicaSet) ([]*v1.Pod, error) {
	ref := metav1.GetControllerOfNoCopy(rs)
	if ref == nil {
		return nil, nil
	}
	siblings, err := c.kind.list(rs.Namespace)
	if err != nil {
		return nil, err
	}
	var out []*v1.Pod
	seen := map[types.UID]bool{}
	for _, s := range siblings {
		if r := metav1.GetControllerOfNoCopy(s); r == nil || r.UID != ref.UID {
			continue
		}
		pods, err := podsByOwner(c.podIndexer, rs.Namespace, string(s.UID), false)
		if err != nil {
			return nil, err
		}
		for _, p := range pods {
			if !seen[p.UID] {
				seen[p.UID] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// updateStatus writes status unless it changes nothing, retrying once on a fresh copy.
func (c *Controller) updateStatus(ctx context.Context, rs *apps.ReplicaSet, status apps.ReplicaSetStatus) (*apps.ReplicaSet, error) {
	if statusUpToDate(rs, status) {
		return rs, nil
	}
	status.ObservedGeneration = rs.Generation
	var lastErr error
	for i := 0; i < 2; i++ {
		rs.Status = status
		updated, err := c.kind.updateStatus(ctx, rs)
		if err == nil {
			return updated, nil
		}
		lastErr = err
		if i == 1 {
			break
		}
		if rs, err = c.kind.getLive(ctx, rs.Namespace, rs.Name); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("updating status of %s %s/%s: %w", c.kind.gvk.Kind, rs.Namespace, rs.Name, lastErr)
}
