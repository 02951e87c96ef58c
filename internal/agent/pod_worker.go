package agent

import (
	"context"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// maxImmediateSyncs bounds how many syncs in a row a worker runs without waiting: each
// sync that acted looks again at once (the next init container, a restart after a kill),
// but a runtime that keeps "acting" without progress must not spin.
const maxImmediateSyncs = 20

// retryPeriod is how soon a sync that failed (API or runtime error) or that waits on
// something nobody tells the agent about (a claim being bound) looks again.
const retryPeriod = time.Second

// podWorker drives one pod, in its own goroutine, so that a slow stop or start of one pod
// never holds up another (upstream's pod workers). Informer handlers and the relist hand it
// the latest pod and wake it; the goroutine runs sync, which decides and acts.
type podWorker struct {
	agent *Agent
	uid   types.UID

	mu          sync.Mutex
	pod         *corev1.Pod // latest API object; nil until known
	gone        bool        // the pod left the API (or never was there)
	fingerprint string      // of the runtime's last listing, to wake only on change
	stopCancel  context.CancelFunc
	stopGrace   time.Duration
	wake        chan struct{}

	// Owned by the worker goroutine.
	backOff     *crashBackOff
	probes      map[string]*containerProbes
	startErrors map[string]startError
	unhealthy   map[string]bool // container IDs killed for failing a probe
	warned      map[string]warning
	// volumesRefreshed is when the runtime last got fresh objects for the pod's volumes.
	volumesRefreshed time.Time
}

type warning struct {
	message string
	at      time.Time
}

func newPodWorker(a *Agent, uid types.UID) *podWorker {
	return &podWorker{
		agent: a, uid: uid, wake: make(chan struct{}, 1),
		backOff: newCrashBackOff(a.cfg.BackOff, a.cfg.MaxBackOff),
		probes:  map[string]*containerProbes{}, startErrors: map[string]startError{}, unhealthy: map[string]bool{},
		warned: map[string]warning{},
	}
}

// update records a newer version of the pod and wakes the worker. A shorter grace period
// (a second, forced delete) cuts a stop in progress short.
func (w *podWorker) update(pod *corev1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pod != nil && olderThan(pod.ResourceVersion, w.pod.ResourceVersion) {
		return // a late informer event: the worker's own write was newer
	}
	w.pod = pod
	if w.stopCancel != nil && pod.DeletionTimestamp != nil && deletionGrace(pod) < w.stopGrace {
		w.stopCancel()
	}
	signal(w.wake)
}

// markGone records that the pod left the API; a stop in progress becomes a kill.
func (w *podWorker) markGone() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gone = true
	if w.stopCancel != nil {
		w.stopCancel()
	}
	signal(w.wake)
}

func (w *podWorker) wakeUp() { signal(w.wake) }

func (w *podWorker) snapshot() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

// setFingerprint records the runtime's view of the pod and reports whether it changed.
func (w *podWorker) setFingerprint(fp string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := w.fingerprint != fp
	w.fingerprint = fp
	return changed
}

func (w *podWorker) setStopping(cancel context.CancelFunc, grace time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopCancel, w.stopGrace = cancel, grace
}

// syncResult says what the worker does after a sync.
type syncResult struct {
	done    bool          // the pod is gone from API and runtime: the worker ends
	again   bool          // something was done: look again at once
	requeue time.Duration // look again after this long (0: only when woken)
}

// run syncs the pod whenever it is woken or a requeue time comes, until the pod is gone or
// ctx ends. It waits for the pod cache first, so that a pod the runtime reports is matched
// against a complete view of the API.
func (w *podWorker) run(ctx context.Context) {
	a := w.agent
	if !cache.WaitForCacheSync(ctx.Done(), a.podInformer.HasSynced) {
		a.workerDone(w, false)
		return
	}
	immediate := 0
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		res := w.sync(ctx)
		if res.done {
			a.workerDone(w, true)
			return
		}
		if ctx.Err() != nil {
			a.workerDone(w, false)
			return
		}
		if res.again && immediate < maxImmediateSyncs {
			immediate++
			continue
		}
		if res.again {
			res.requeue = a.cfg.RelistPeriod
		}
		immediate = 0
		var timeout <-chan time.Time
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		if res.requeue > 0 {
			timer = a.clock.NewTimer(res.requeue)
			timeout = timer.C()
		}
		select {
		case <-ctx.Done():
			a.workerDone(w, false)
			return
		case <-w.wake:
		case <-timeout:
		}
	}
}

// warnOnce reports whether an event with this key and message should be recorded now:
// a new message, or the same one after every has passed (the event recorder counts repeats).
func (w *podWorker) warnOnce(key, message string, every time.Duration, now time.Time) bool {
	last, ok := w.warned[key]
	if ok && last.message == message && now.Sub(last.at) < every {
		return false
	}
	w.warned[key] = warning{message: message, at: now}
	return true
}

// olderThan compares resource versions when both are numbers (etcd revisions, as ordinal's
// are); otherwise nothing is known to be older.
func olderThan(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x < y
}

// deletionGrace is the grace period a terminating pod's containers get: the deletion's,
// else the pod's own.
func deletionGrace(pod *corev1.Pod) time.Duration {
	if pod.DeletionGracePeriodSeconds != nil {
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	return terminationGrace(pod)
}

func terminationGrace(pod *corev1.Pod) time.Duration {
	if s := pod.Spec.TerminationGracePeriodSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return corev1.DefaultTerminationGracePeriodSeconds * time.Second
}

// minimumGracePeriod is the least a container gets to stop, as upstream: even a forced
// deletion sends SIGTERM first.
const minimumGracePeriod = 2 * time.Second
