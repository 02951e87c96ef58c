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

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

// Retry bounds for a lease renewal that failed, as upstream's node lease controller.
const (
	leaseRetryInitial = 200 * time.Millisecond
	leaseRetryMax     = 7 * time.Second
)

// leaseLoop renews the node's Lease in kube-node-lease every quarter of its duration (10s
// for upstream's 40s), the heartbeat the node lifecycle controller watches.
func (a *Agent) leaseLoop(ctx context.Context) {
	interval := a.renewInterval()
	retry := leaseRetryInitial
	for {
		wait := interval
		// A renewal counts for fencing from when it was sent; one that hangs (a
		// connection into a black hole) gives up after an interval.
		sent := a.clock.Now()
		rctx, cancel := context.WithTimeout(ctx, interval)
		lease, err := a.renewLease(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			slog.Warn("agent: renewing node lease", "node", a.nodeName, "err", err)
			wait, retry = retry, min(2*retry, a.leaseRetryMax())
		} else {
			a.leaseRenewed(sent, lease)
			if a.cfg.LeaseRenewed != nil {
				a.cfg.LeaseRenewed()
			}
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
// renewTime to now, and returns it as stored.
func (a *Agent) renewLease(ctx context.Context) (*coordinationv1.Lease, error) {
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
		return leases.Create(ctx, lease, metav1.CreateOptions{FieldManager: componentKubelet})
	}
	if err != nil {
		return nil, err
	}
	// The update carries the resourceVersion read: it fails if the lease changed since,
	// which is what makes the controller's conditional failover record safe (fencing.go).
	lease = lease.DeepCopy()
	a.fillLease(lease, now)
	return leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: componentKubelet})
}

func (a *Agent) fillLease(lease *coordinationv1.Lease, now metav1.MicroTime) {
	lease.Spec.HolderIdentity = ptr.To(a.nodeName)
	lease.Spec.LeaseDurationSeconds = ptr.To(a.cfg.LeaseDurationSeconds)
	lease.Spec.RenewTime = &now
	fencing.SetPeriod(lease, a.cfg.FencingPeriod)
}

// leaseRetryMax bounds the wait between failed renewals: upstream's 7s, or less with
// fencing on, so that a control plane back just before the fencing period runs out is
// noticed in time (an eighth of the period leaves several tries in its last stretch).
func (a *Agent) leaseRetryMax() time.Duration {
	if a.cfg.FencingPeriod > 0 {
		return min(leaseRetryMax, a.cfg.FencingPeriod/8)
	}
	return leaseRetryMax
}
