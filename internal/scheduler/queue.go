package scheduler

import (
	"container/heap"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Where a queued pod is.
type queueState int

const (
	inActive        queueState = iota // ready to be scheduled, in the heap
	inBackoff                         // failed recently; ready at backoffUntil
	inUnschedulable                   // fits nowhere; waits for a cluster event or the retry interval
	inFlight                          // popped, being scheduled
)

// queuedPod is a pending pod and its scheduling history.
type queuedPod struct {
	info     *podInfo
	attempts int
	// backoffUntil is the earliest the pod may be tried again after a failure.
	backoffUntil time.Time
	// unschedulableSince is when the pod entered the unschedulable set.
	unschedulableSince time.Time
	// cycle is the scheduling cycle that last popped the pod.
	cycle int64
	seq   uint64
	index int
	state queueState
}

// schedulingQueue holds the pending pods: an active heap ordered by priority then creation
// time (upstream's PrioritySort), a backoff set, and an unschedulable set. It is safe for
// concurrent use; pop blocks.
type schedulingQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	clock clock.Clock
	pods  map[types.UID]*queuedPod
	// active is the heap of pods ready to be tried.
	active activeHeap
	seq    uint64
	// cycle counts pops; moveCycle is the cycle of the last cluster event that may have made
	// pods schedulable. A pod that fails in a cycle not after moveCycle may have missed that
	// event while it was in flight, so it goes to backoff instead of waiting for another.
	cycle, moveCycle int64
	closed           bool

	initialBackoff, maxBackoff time.Duration
	// unschedulableRetry is how long a pod waits for a cluster event before it is tried
	// again anyway.
	unschedulableRetry time.Duration
}

func newSchedulingQueue(clk clock.Clock, initialBackoff, maxBackoff, unschedulableRetry time.Duration) *schedulingQueue {
	q := &schedulingQueue{
		clock: clk, pods: map[types.UID]*queuedPod{},
		initialBackoff: initialBackoff, maxBackoff: maxBackoff, unschedulableRetry: unschedulableRetry,
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues a new pending pod, or updates one already queued.
func (q *schedulingQueue) add(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[pod.UID]; ok {
		q.updateLocked(qp, pod)
		return
	}
	q.seq++
	qp := &queuedPod{info: newPodInfo(pod), seq: q.seq}
	q.pods[pod.UID] = qp
	q.toActive(qp)
}

// updateLocked takes a new version of a queued pod. A pod that waits as unschedulable is
// tried again if something other than its status changed (a new toleration, a relaxed
// selector); our own status writes must not wake it.
func (q *schedulingQueue) updateLocked(qp *queuedPod, pod *corev1.Pod) {
	old := qp.info.pod
	qp.info = newPodInfo(pod)
	switch qp.state {
	case inActive:
		heap.Fix(&q.active, qp.index)
	case inUnschedulable:
		if specOrMetaChanged(old, pod) {
			q.moveLocked(qp)
		}
	}
}

func specOrMetaChanged(old, cur *corev1.Pod) bool {
	if !equality.Semantic.DeepEqual(old.Spec, cur.Spec) {
		return true
	}
	return !equality.Semantic.DeepEqual(old.Labels, cur.Labels) || !equality.Semantic.DeepEqual(old.Annotations, cur.Annotations)
}

// remove forgets a pod that was deleted, bound elsewhere or is no longer ours.
func (q *schedulingQueue) remove(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[uid]
	if !ok {
		return
	}
	delete(q.pods, uid)
	if qp.state == inActive {
		heap.Remove(&q.active, qp.index)
	}
}

// attempt is one try at scheduling a queued pod: the version of the pod popped, which the
// informers may replace in the queue meanwhile.
type attempt struct {
	qp       *queuedPod
	info     *podInfo
	attempts int
}

// pop returns the most important active pod, waiting for one; false once the queue is closed.
func (q *schedulingQueue) pop() (attempt, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.active) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return attempt{}, false
	}
	qp := heap.Pop(&q.active).(*queuedPod)
	q.cycle++
	qp.cycle = q.cycle
	qp.state = inFlight
	return attempt{qp: qp, info: qp.info, attempts: qp.attempts}, true
}

// done forgets a pod that was placed (its bind is under way).
func (q *schedulingQueue) done(uid types.UID) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if qp, ok := q.pods[uid]; ok && qp.state == inFlight {
		delete(q.pods, uid)
	}
}

// unschedulable puts back a pod that fits nowhere: it waits for a cluster event, or goes
// straight to backoff if one came while it was being scheduled.
func (q *schedulingQueue) unschedulable(a attempt) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp := a.qp
	if q.pods[qp.info.pod.UID] != qp || qp.state != inFlight {
		return // deleted or taken over while in flight
	}
	q.failedLocked(qp)
	if q.moveCycle >= qp.cycle {
		qp.state = inBackoff
		return
	}
	qp.state = inUnschedulable
	qp.unschedulableSince = q.clock.Now()
}

// backoff puts back a pod whose attempt failed with an error: it is tried again once its
// backoff is over.
func (q *schedulingQueue) backoff(a attempt) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp := a.qp
	if q.pods[qp.info.pod.UID] != qp || qp.state != inFlight {
		return
	}
	q.failedLocked(qp)
	qp.state = inBackoff
}

// retry re-queues a pod after its bind failed (the queue had let it go): it is tried again
// once its backoff is over. attempts are those of the attempt that placed it.
func (q *schedulingQueue) retry(pod *corev1.Pod, attempts int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qp, ok := q.pods[pod.UID]
	switch {
	case !ok:
		q.seq++
		qp = &queuedPod{info: newPodInfo(pod), seq: q.seq}
		q.pods[pod.UID] = qp
	case qp.state == inFlight:
		// An informer event queued it again and a cycle has it: that cycle decides.
		return
	case qp.state == inActive:
		heap.Remove(&q.active, qp.index)
	}
	qp.attempts = max(qp.attempts, attempts)
	q.failedLocked(qp)
	qp.state = inBackoff
}

func (q *schedulingQueue) failedLocked(qp *queuedPod) {
	qp.attempts++
	qp.backoffUntil = q.clock.Now().Add(q.backoffDuration(qp.attempts))
}

// backoffDuration doubles from initialBackoff with each attempt, up to maxBackoff.
func (q *schedulingQueue) backoffDuration(attempts int) time.Duration {
	d := q.initialBackoff
	for i := 1; i < attempts; i++ {
		if d > q.maxBackoff-d {
			return q.maxBackoff
		}
		d += d
	}
	return min(d, q.maxBackoff)
}

// moveAll wakes the unschedulable pods a cluster event may help (all of them when which is
// nil): to active if their backoff is over, to backoff otherwise.
func (q *schedulingQueue) moveAll(which func(*podInfo) bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, qp := range q.pods {
		if qp.state == inUnschedulable && (which == nil || which(qp.info)) {
			q.moveLocked(qp)
		}
	}
	q.moveCycle = q.cycle
}

func (q *schedulingQueue) moveLocked(qp *queuedPod) {
	if q.clock.Now().Before(qp.backoffUntil) {
		qp.state = inBackoff
		return
	}
	q.toActive(qp)
}

// flush moves pods whose backoff is over to active, and pods that waited as unschedulable
// for the retry interval back into line.
func (q *schedulingQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	for _, qp := range q.pods {
		switch qp.state {
		case inBackoff:
			if !now.Before(qp.backoffUntil) {
				q.toActive(qp)
			}
		case inUnschedulable:
			if now.Sub(qp.unschedulableSince) >= q.unschedulableRetry {
				q.moveLocked(qp)
			}
		}
	}
}

func (q *schedulingQueue) toActive(qp *queuedPod) {
	qp.state = inActive
	heap.Push(&q.active, qp)
	q.cond.Signal()
}

// run flushes every interval until the queue closes.
func (q *schedulingQueue) run(clk clock.WithTicker, interval time.Duration, stop <-chan struct{}) {
	t := clk.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C():
			q.flush()
		}
	}
}

func (q *schedulingQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// counts reports how many pods are in each state (tests and logs).
func (q *schedulingQueue) counts() map[queueState]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[queueState]int{}
	for _, qp := range q.pods {
		out[qp.state]++
	}
	return out
}

// activeHeap orders pods by priority (higher first), then creation time, then arrival.
type activeHeap []*queuedPod

func (h activeHeap) Len() int { return len(h) }
func (h activeHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.info.priority != b.info.priority {
		return a.info.priority > b.info.priority
	}
	ta, tb := a.info.pod.CreationTimestamp.Time, b.info.pod.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.seq < b.seq
}
func (h activeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *activeHeap) Push(x any) {
	qp := x.(*queuedPod)
	qp.index = len(*h)
	*h = append(*h, qp)
}
func (h *activeHeap) Pop() any {
	old := *h
	qp := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	qp.index = -1
	return qp
}
