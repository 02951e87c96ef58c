package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
	"ordinal.dev/ordinal/internal/runtime"
)

// DefaultFencingPeriod is the fencing period ordinal's agents run with unless told
// otherwise (Config.FencingPeriod is 0, off, when not set: see there).
const DefaultFencingPeriod = 30 * time.Second

// Self-fencing. An agent that cannot renew its Lease cannot tell a partition from a dead
// control plane, but the control plane, after its grace period, may fail its StatefulSet
// pods over to other nodes (package nodelifecycle). So once renewals have failed for the
// fencing period, measured on the agent's monotonic clock from the moment it sent the last
// renewal that succeeded, every container of the node has been stopped: the agent starts
// stopping them fenceKillGrace earlier, with that grace. From then on it starts nothing
// (workers see startsHeld) until a renewal succeeds and it has resumed:
//
//  1. the renewal returns the Lease; pods named in a failover record on it (the
//     controller is deleting them) are never run again;
//  2. the agent lists its pods afresh from the API (a quorum read, unlike its informer,
//     which may lag for a while after a partition heals), and forgets every pod the list
//     does not hold: it was deleted while the agent was away, perhaps already replaced;
//  3. workers are woken and sync as usual: containers of pods still bound here are
//     restarted under their restart policy.
//
// An agent also starts held, until its first renewal: it may be coming back into the
// middle of a failover. And every container start re-checks, right before the runtime
// call, that starts are not held and its pod is not gone (startGuarded): a worker may have
// decided to start a container before the partition and waited on the API all through it.

// fenceKillGrace is the grace containers get when the node fences itself (upstream's
// minimum), and how much earlier than the fencing period the stopping starts.
func fenceKillGrace(period time.Duration) time.Duration { return min(minimumGracePeriod, period/4) }

// fence is the agent's self-fencing state.
type fence struct {
	period    time.Duration // 0: off
	killGrace time.Duration
	renewed   chan struct{} // a renewal succeeded

	// startMu is held for reading around every container start, so that fenceNow can wait
	// for the starts already past their check (startGuarded).
	startMu sync.RWMutex

	mu          sync.Mutex
	lastRenewal time.Time             // when the last successful renewal was sent (agent clock)
	held        bool                  // no container may start
	fenced      bool                  // containers were stopped for lack of renewals
	lease       *coordinationv1.Lease // from the last successful renewal, while held
	gone        map[types.UID]time.Time
}

func newFence(period time.Duration, now time.Time) *fence {
	return &fence{
		period: period, killGrace: fenceKillGrace(period), renewed: make(chan struct{}, 1),
		lastRenewal: now, held: period > 0, gone: map[types.UID]time.Time{},
	}
}

// startsHeld reports whether containers may not start now.
func (a *Agent) startsHeld() bool {
	f := a.fence
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// isGone reports whether the pod was failed over or deleted while the agent was away: its
// worker must only clean up.
func (a *Agent) isGone(uid types.UID) bool {
	f := a.fence
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.gone[uid]
	return ok
}

// leaseRenewed records a successful renewal sent at sent, returning lease.
func (a *Agent) leaseRenewed(sent time.Time, lease *coordinationv1.Lease) {
	f := a.fence
	if f.period <= 0 {
		return
	}
	f.mu.Lock()
	if sent.After(f.lastRenewal) {
		f.lastRenewal = sent
	}
	if f.held {
		f.lease = lease
	}
	f.mu.Unlock()
	signal(f.renewed)
}

// fencingLoop stops every container once renewals have failed for the fencing period,
// keeps them stopped while fenced, and resumes after a renewal succeeds.
func (a *Agent) fencingLoop(ctx context.Context) {
	f := a.fence
	if f.period <= 0 {
		return
	}
	for ctx.Err() == nil {
		now := a.clock.Now()
		f.mu.Lock()
		fenced, resumable := f.fenced, f.held && f.lease != nil
		deadline := f.lastRenewal.Add(f.period - f.killGrace)
		for uid, at := range f.gone {
			if now.Sub(at) > finishedMemory {
				delete(f.gone, uid)
			}
		}
		f.mu.Unlock()
		switch {
		case !fenced && !now.Before(deadline):
			a.fenceNow(ctx, now)
			continue
		case resumable:
			if err := a.resume(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("agent: resuming after a lease renewal", "node", a.nodeName, "err", err)
			} else {
				continue
			}
		}
		var wait time.Duration
		switch {
		case fenced:
			// Look again every relist period: a worker that was starting a container when
			// the fence came down may just have finished; a failed resume is retried.
			wait = a.cfg.RelistPeriod
		case resumable:
			wait = min(a.cfg.RelistPeriod, deadline.Sub(now))
		default:
			wait = deadline.Sub(now)
		}
		timer := a.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-f.renewed:
			timer.Stop()
		case <-timer.C():
			if fenced {
				a.stopAllContainers(ctx)
			}
		}
	}
}

// fenceNow holds container starts and stops every running container.
func (a *Agent) fenceNow(ctx context.Context, now time.Time) {
	f := a.fence
	f.mu.Lock()
	since := f.lastRenewal
	if now.Before(since.Add(f.period - f.killGrace)) {
		f.mu.Unlock()
		return // a renewal came in meanwhile
	}
	f.fenced, f.held, f.lease = true, true, nil
	f.mu.Unlock()
	slog.Error("agent: FENCING: the node lease has not been renewed within the fencing period; stopping every container and starting none until a renewal succeeds (the control plane may move this node's StatefulSet pods elsewhere)",
		"node", a.nodeName, "lastRenewal", now.Sub(since).Round(time.Millisecond).String()+" ago", "fencingPeriod", f.period)
	n := a.stopAllContainers(ctx)
	// A start that passed its check before the fence came down may still be under way:
	// wait for it, and stop what it started.
	f.startMu.Lock()
	n += a.stopAllContainers(ctx)
	f.startMu.Unlock()
	slog.Error("agent: FENCED: containers stopped", "node", a.nodeName, "stopped", n)
}

// startGuarded runs start (a container start) unless starts are held or the worker's pod is
// gone (failed over, deleted): a worker may have decided to start a container long before,
// then waited on an API call through a partition.
func (a *Agent) startGuarded(w *podWorker, start func() error) (bool, error) {
	f := a.fence
	f.startMu.RLock()
	defer f.startMu.RUnlock()
	if _, gone := w.snapshot(); gone || a.startsHeld() {
		return false, nil
	}
	return true, start()
}

// stopAllContainers stops every running container the runtime has, all at once, with the
// fencing grace, and returns how many it stopped.
func (a *Agent) stopAllContainers(ctx context.Context) int {
	pods, err := a.runtime.ListPods(ctx)
	if err != nil {
		slog.Error("agent: fencing: listing the runtime's pods", "node", a.nodeName, "err", err)
		return 0
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	stopped := 0
	for _, rs := range pods {
		for _, c := range runningContainers(rs) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := a.runtime.StopContainer(ctx, c.ID, a.fence.killGrace)
				if err != nil && !errors.Is(err, runtime.ErrNotFound) {
					slog.Error("agent: fencing: stopping a container", "node", a.nodeName, "pod", rs.Namespace+"/"+rs.Name, "container", c.Name, "err", err)
					return
				}
				mu.Lock()
				stopped++
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return stopped
}

// resume lets containers start again after a renewal succeeded: see the steps above.
func (a *Agent) resume(ctx context.Context) error {
	f := a.fence
	f.mu.Lock()
	lease, wasFenced := f.lease, f.fenced
	f.mu.Unlock()
	rec, err := fencing.GetFailover(lease)
	if err != nil {
		return err // never guess which pods the controller is deleting
	}
	if rec != nil {
		for _, p := range rec.Pods {
			slog.Warn("agent: the control plane failed this pod over to another node; it will not run here again",
				"node", a.nodeName, "pod", p.Namespace+"/"+p.Name, "uid", p.UID)
			a.forgetPod(p.UID)
		}
	}
	listCtx, cancel := context.WithTimeout(ctx, a.renewInterval())
	defer cancel()
	list, err := a.client.CoreV1().Pods("").List(listCtx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", a.nodeName).String(),
	})
	if err != nil {
		return fmt.Errorf("listing the node's pods: %w", err)
	}
	current := map[types.UID]*corev1.Pod{}
	for i := range list.Items {
		current[list.Items[i].UID] = &list.Items[i]
	}
	a.mu.Lock()
	workers := make([]*podWorker, 0, len(a.workers))
	for _, w := range a.workers {
		workers = append(workers, w)
	}
	a.mu.Unlock()
	for _, w := range workers {
		if pod, ok := current[w.uid]; ok {
			w.update(pod)
		} else {
			a.forgetPod(w.uid)
		}
	}
	// Pods the runtime has and no worker yet (the relist has not met them): the relist
	// would match them against the informer's cache, which may still hold them.
	running, err := a.runtime.ListPods(ctx)
	if err != nil {
		return fmt.Errorf("listing the runtime's pods: %w", err)
	}
	for _, rs := range running {
		if _, ok := current[rs.UID]; !ok {
			a.forgetPod(rs.UID)
		}
	}

	f.mu.Lock()
	if f.lease != lease || !a.clock.Now().Before(f.lastRenewal.Add(f.period-f.killGrace)) {
		f.mu.Unlock()
		return errors.New("the lease changed or the fencing period ran out while resuming; trying again")
	}
	f.held, f.fenced, f.lease = false, false, nil
	f.mu.Unlock()
	if wasFenced {
		slog.Warn("agent: the node lease was renewed: resuming pods", "node", a.nodeName, "pods", len(current))
	}
	for _, w := range workers {
		w.wakeUp()
	}
	return nil
}

// forgetPod makes sure the pod never runs here again: its worker (now or later) only cleans
// up what the runtime has of it.
func (a *Agent) forgetPod(uid types.UID) {
	f := a.fence
	f.mu.Lock()
	f.gone[uid] = a.clock.Now()
	f.mu.Unlock()
	if w := a.worker(uid, false); w != nil {
		w.markGone()
	}
}

// renewInterval is how often the lease is renewed, and how long one renewal may take.
func (a *Agent) renewInterval() time.Duration {
	return time.Duration(a.cfg.LeaseDurationSeconds) * time.Second / 4
}

// checkFencingPeriod refuses a fencing period that renewals at the configured interval
// could not keep from running out: at least two renewals must fit in it.
func checkFencingPeriod(period time.Duration, leaseDurationSeconds int32) error {
	interval := time.Duration(leaseDurationSeconds) * time.Second / 4
	if period > 0 && period < 2*interval {
		return fmt.Errorf("agent: FencingPeriod %s is shorter than two lease renewals (every %s, a quarter of LeaseDurationSeconds %d)",
			period, interval, leaseDurationSeconds)
	}
	return nil
}
