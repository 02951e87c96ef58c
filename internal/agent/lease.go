package agent

import (
	"context"
	"log/slog"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Retry bounds for a lease renewal that failed, as upstream's node lease controller.
const (
	leaseRetryInitial = 200 * time.Millisecond
	leaseRetryMax     = 7 * time.Second
)

// leaseLoop renews the node's Lease in kube-node-lease every quarter of its duration (10s
// for upstream's 40s), the heartbeat the node lifecycle controller watches.
func (a *Agent) leaseLoop(ctx context.Context) {
	interval := time.Duration(a.cfg.LeaseDurationSeconds) * time.Second / 4
	retry := leaseRetryInitial
	for {
		wait := interval
		if err := a.renewLease(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			slog.Warn("agent: renewing node lease", "node", a.nodeName, "err", err)
			wait, retry = retry, min(2*retry, leaseRetryMax)
		} else {
			retry = leaseRetryInitial
		}
		select {
		case <-ctx.Done():
			return
		case <-a.clock.After(wait):
		}
	}
}

// renewLease creates the node's lease (owned by the Node, so it goes with it) or moves its
// renewTime to now.
func (a *Agent) renewLease(ctx context.Context) error {
	leases := a.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(a.clock.Now())
	lease, err := leases.Get(ctx, a.nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: a.nodeName, Namespace: corev1.NamespaceNodeLease}}
		node, err := a.nodeLister.Get(a.nodeName)
		if err != nil {
			node, err = a.client.CoreV1().Nodes().Get(ctx, a.nodeName, metav1.GetOptions{})
		}
		if err == nil {
			lease.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}
		}
		a.fillLease(lease, now)
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{FieldManager: componentKubelet})
		return err
	}
	if err != nil {
		return err
	}
	lease = lease.DeepCopy()
	a.fillLease(lease, now)
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: componentKubelet})
	return err
}

func (a *Agent) fillLease(lease *coordinationv1.Lease, now metav1.MicroTime) {
	lease.Spec.HolderIdentity = ptr.To(a.nodeName)
	lease.Spec.LeaseDurationSeconds = ptr.To(a.cfg.LeaseDurationSeconds)
	lease.Spec.RenewTime = &now
}
