package daemonset

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// constructHistory returns the revision of the current template, creating or renumbering it
// (a rollback makes an old revision the newest), and the other revisions.
func (c *Controller) constructHistory(ctx context.Context, ds *appsv1.DaemonSet) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	revs, err := c.controlledRevisions(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range revs {
		// Revisions from before the label existed get one; the name is unique, unlike a hash.
		if _, ok := r.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; !ok {
			u := r.DeepCopy()
			if u.Labels == nil {
				u.Labels = map[string]string{}
			}
			u.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = u.Name
			if revs[i], err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
				return nil, nil, err
			}
		}
	}
	hp := planHistory(ds, revs)
	if hp.Current == nil {
		cur, err := c.snapshot(ctx, ds, hp.Next)
		return cur, hp.Old, err
	}
	cur := hp.Current
	if len(hp.Duplicates) > 0 {
		if err := c.dedupRevisions(ctx, ds, cur, hp.Duplicates); err != nil {
			return nil, nil, err
		}
	}
	if cur.Revision < hp.Next {
		u := cur.DeepCopy()
		u.Revision = hp.Next
		if cur, err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, u, metav1.UpdateOptions{}); err != nil {
			return nil, nil, err
		}
	}
	return cur, hp.Old, nil
}

// dedupRevisions moves the pods of duplicate revisions to keep's hash, then deletes them.
func (c *Controller) dedupRevisions(ctx context.Context, ds *appsv1.DaemonSet, keep *appsv1.ControllerRevision, dups []*appsv1.ControllerRevision) error {
	pods, err := c.daemonPods(ctx, ds)
	if err != nil {
		return err
	}
	want := keep.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	dupHashes := map[string]bool{}
	for _, d := range dups {
		dupHashes[d.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] = true
	}
	for _, pod := range pods {
		if h := pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; h == want || !dupHashes[h] {
			continue
		}
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: want}}})
		if _, err := c.client.CoreV1().Pods(ds.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, d := range dups {
		if err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, d.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// snapshot creates the revision of the current template. A name taken by a different
// template is a hash collision: collisionCount goes up (in status) and the next sync hashes
// again.
func (c *Controller) snapshot(ctx context.Context, ds *appsv1.DaemonSet, n int64) (*appsv1.ControllerRevision, error) {
	hash := ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	rev, err := newRevision(ds, hash, n)
	if err != nil {
		return nil, err
	}
	created, err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Create(ctx, rev, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return created, err
	}
	existing, err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Get(ctx, rev.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if revisionMatches(ds, existing) {
		return existing, nil
	}
	fresh, err := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(fresh.Status.CollisionCount, ds.Status.CollisionCount) {
		return nil, fmt.Errorf("stale collision count of DaemonSet %s/%s, retrying", ds.Namespace, ds.Name)
	}
	var count int32
	if fresh.Status.CollisionCount != nil {
		count = *fresh.Status.CollisionCount
	}
	count++
	fresh.Status.CollisionCount = &count
	if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("hash collision on revision %s: collisionCount is now %d", rev.Name, count)
}

// controlledRevisions lists the DaemonSet's revisions, adopting and releasing as needed.
func (c *Controller) controlledRevisions(ctx context.Context, ds *appsv1.DaemonSet) ([]*appsv1.ControllerRevision, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, err
	}
	all, err := c.revLister.ControllerRevisions(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	cl := &claimer{
		owner: ds, kind: controllerKind, selector: sel,
		fresh: func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
		},
		patch: func(ctx context.Context, name string, data []byte) error {
			_, err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
			return err
		},
	}
	return claim(ctx, cl, all)
}

func (c *Controller) cleanupHistory(ctx context.Context, ds *appsv1.DaemonSet, old []*appsv1.ControllerRevision, pods []*corev1.Pod) error {
	for _, r := range revisionsToDelete(ds, old, pods) {
		if err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// updateStatus writes st if it differs from the stored status, retrying once on a conflict
// with a fresh copy.
func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, st appsv1.DaemonSetStatus) error {
	if !statusChanged(ds, st) {
		return nil
	}
	u := ds.DeepCopy()
	for i := 0; ; i++ {
		collision := u.Status.CollisionCount
		u.Status = st
		u.Status.CollisionCount = collision
		_, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if err == nil || i > 0 || !apierrors.IsConflict(err) {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		if u, err = c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{}); err != nil {
			return err
		}
	}
}
