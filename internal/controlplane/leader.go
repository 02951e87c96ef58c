package controlplane

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// leaderLease is the Lease in kube-system the servers of one cluster compete for; its holder
// runs the controllers and the scheduler.
const leaderLease = "ordinal-controller-manager"

// Leader election timing. A leader that stops renewing (killed, cut off) loses the lease
// leaseDuration after its last renewal, and a waiting server tries every retryPeriod, so a
// new leader takes over within leaseDuration + retryPeriod (12 s). A leader that cannot
// renew for renewDeadline stops its controllers before anyone else may take over, so no
// two servers run them at once (clock rates assumed to agree, as upstream does).
const (
	leaseDuration = 10 * time.Second
	renewDeadline = 7 * time.Second
	retryPeriod   = 2 * time.Second
)

// runLeaderElection competes for the lease until ctx ends; while it leads, the controllers
// and the scheduler run, and they are stopped (and waited for) before it competes again.
func (cp *ControlPlane) runLeaderElection(ctx context.Context, client kubernetes.Interface) {
	host, _ := os.Hostname()
	id := host + "_" + string(uuid.NewUUID())
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: leaderLease},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	for ctx.Err() == nil {
		leading := make(chan context.Context, 1)
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   leaseDuration,
			RenewDeadline:   renewDeadline,
			RetryPeriod:     retryPeriod,
			ReleaseOnCancel: true,
			Name:            leaderLease,
			Callbacks: leaderelection.LeaderCallbacks{
				// lctx ends when leadership does (or ctx does).
				OnStartedLeading: func(lctx context.Context) { leading <- lctx },
				OnStoppedLeading: func() {
					if ctx.Err() == nil {
						slog.Warn("leader election: lost the lease; controllers stopped", "identity", id)
					}
				},
			},
		})
		if err != nil {
			slog.Error("leader election", "err", err)
			return
		}
		term := make(chan struct{})
		go func() {
			defer close(term)
			elector.Run(ctx)
		}()
		select {
		case lctx := <-leading:
			slog.Info("leader election: leading; starting controllers and scheduler", "identity", id)
			var running sync.WaitGroup
			run := func(fn func()) {
				running.Add(1)
				go func() { defer running.Done(); fn() }()
			}
			if err := cp.startControllers(lctx, client, run); err != nil {
				slog.Error("starting controllers", "err", err)
			}
			<-lctx.Done()
			// This term's controllers must be gone before this server may lead again.
			running.Wait()
			<-term
		case <-term:
		}
	}
}
