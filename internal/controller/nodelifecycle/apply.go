package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

// fieldManager names the controller's writes.
const fieldManager = "node-controller"

// Pod condition the taint eviction records before deleting, as upstream.
const (
	reasonDeletionByTaintManager  = "DeletionByTaintManager"
	messageDeletionByTaintManager = "Taint manager: deleting due to NoExecute taint"
)

// reasonFailover is the event reason of a StatefulSet pod deleted by the failover.
const reasonFailover = "StatefulSetPodFailover"

// apply carries out a pass's actions. Every kind of write is tried even when an earlier
// one failed; the errors are returned together and the pass is retried with back-off.
func (c *Controller) apply(ctx context.Context, acts actions) error {
	for _, l := range acts.Logs {
		slog.Info("node lifecycle controller: " + l)
	}
	for _, e := range acts.Events {
		c.recorders[e.Source].Event(e.Object, e.Type, e.Reason, e.Message)
	}
	var errs []error
	for _, n := range acts.NodeStatus {
		slog.Info("node lifecycle controller: node stopped posting status, marking it Unknown", "node", n.Name)
		_, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{FieldManager: fieldManager})
		// A conflict means the node changed, most likely its agent posting: the pass that
		// change triggers looks again.
		if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("marking node %s Unknown: %w", n.Name, err))
		}
	}
	for _, tc := range acts.Taints {
		if err := c.changeTaints(ctx, tc); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range acts.MarkNotReady {
		_, err := c.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{FieldManager: fieldManager})
		if err != nil && !apierrors.IsNotFound(err) {
			delete(c.memory.MarkedNotReady, p.UID) // try again next pass
			errs = append(errs, fmt.Errorf("marking pod %s/%s not ready: %w", p.Namespace, p.Name, err))
		}
	}
	for _, p := range acts.Evict {
		if err := c.evict(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	for _, cp := range acts.Completions {
		if err := c.complete(ctx, cp.Lease.Name, cp.Record, ""); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range acts.Failovers {
		if err := c.failover(ctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// changeTaints adds and removes taints on a node, re-reading it on a conflict.
func (c *Controller) changeTaints(ctx context.Context, tc taintChange) error {
	nodes := c.client.CoreV1().Nodes()
	node, err := c.nodeLister.Get(tc.Node)
	if err != nil {
		return nil // gone: nothing to taint
	}
	first := true
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			if node, err = nodes.Get(ctx, tc.Node, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		first = false
		updated := node.DeepCopy()
		updated.Spec.Taints = nil
		for _, t := range node.Spec.Taints {
			if !hasTaint(tc.Remove, t) {
				updated.Spec.Taints = append(updated.Spec.Taints, t)
			}
		}
		for _, t := range tc.Add {
			if !hasTaint(updated.Spec.Taints, t) {
				updated.Spec.Taints = append(updated.Spec.Taints, t)
			}
		}
		_, err := nodes.Update(ctx, updated, metav1.UpdateOptions{FieldManager: fieldManager})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("updating taints of node %s: %w", tc.Node, err)
	}
	return nil
}

// evict records the DisruptionTarget condition on the pod, then deletes it with its own
// grace period (the agent stops it, if it can still be reached).
func (c *Controller) evict(ctx context.Context, pod *corev1.Pod) error {
	pods := c.client.CoreV1().Pods(pod.Namespace)
	cur := pod
	first := true
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if !first {
			var err error
			if cur, err = pods.Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		first = false
		if cur.UID != pod.UID || cur.DeletionTimestamp != nil {
			return nil
		}
		for _, cond := range cur.Status.Conditions {
			if cond.Type == corev1.DisruptionTarget && cond.Status == corev1.ConditionTrue {
				return nil
			}
		}
		updated := cur.DeepCopy()
		updated.Status.Conditions = append(updated.Status.Conditions, corev1.PodCondition{
			Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(c.opts.Clock.Now()),
			Reason: reasonDeletionByTaintManager, Message: messageDeletionByTaintManager,
		})
		_, err := pods.UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: fieldManager})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("evicting pod %s/%s: recording the disruption: %w", pod.Namespace, pod.Name, err)
	}
	err = pods.Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("evicting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// failover records the failover on the node's Lease, conditionally on the Lease being the
// one the decision saw, and then deletes the pods. A conflict means the agent renewed (or
// the Lease changed otherwise) since: the failover is off, and the next pass sees why.
func (c *Controller) failover(ctx context.Context, f failover) error {
	rec := failoverRecord(f.Pods, c.opts.Clock.Now())
	lease := f.Lease.DeepCopy()
	fencing.SetFailover(lease, rec)
	_, err := c.client.CoordinationV1().Leases(lease.Namespace).Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		slog.Info("node lifecycle controller: lease changed since it was read, not failing over now", "node", f.Node)
		return nil
	case err != nil:
		return fmt.Errorf("recording the failover of node %s on its lease: %w", f.Node, err)
	}
	why := fmt.Sprintf("node %s has sent no heartbeat since %s; waited its grace period %s, fencing period %s and safety margin %s",
		f.Node, f.LastHeartbeat.UTC().Format("2006-01-02T15:04:05.000Z07:00"), f.Grace, f.Fencing, f.Margin)
	slog.Warn("node lifecycle controller: failing over StatefulSet pods of a lost node", "node", f.Node, "pods", len(f.Pods), "why", why)
	return c.complete(ctx, f.Node, &rec, why)
}

// complete force-deletes the pods of a failover record (each with a UID precondition: a
// replacement of the same name is never touched) and then removes the record from the
// Lease. why explains the failover for the events; empty when finishing an earlier one.
func (c *Controller) complete(ctx context.Context, leaseName string, rec *fencing.Failover, why string) error {
	if why == "" && rec != nil {
		why = fmt.Sprintf("finishing the failover of node %s recorded at %s", leaseName, rec.At.UTC().Format("2006-01-02T15:04:05Z07:00"))
	}
	zero := int64(0)
	var errs []error
	if rec != nil {
		for _, p := range rec.Pods {
			err := c.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
				GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID},
			})
			switch {
			case err == nil:
				ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
				c.recorders[sourceNodeController].Eventf(ref, corev1.EventTypeWarning, reasonFailover,
					"Deleted pod %s/%s so that its StatefulSet recreates it elsewhere: %s", p.Namespace, p.Name, why)
			case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
			default:
				errs = append(errs, fmt.Errorf("failover of node %s: deleting pod %s/%s: %w", leaseName, p.Namespace, p.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // the record stays, and the next pass finishes
	}
	leases := c.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := leases.Get(ctx, leaseName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if _, ok := lease.Annotations[fencing.FailoverAnnotation]; !ok {
			return nil
		}
		lease = lease.DeepCopy()
		delete(lease.Annotations, fencing.FailoverAnnotation)
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failover of node %s: removing the record from its lease: %w", leaseName, err)
	}
	return nil
}
