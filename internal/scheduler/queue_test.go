package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

func newTestQueue() (*schedulingQueue, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(epoch)
	return newSchedulingQueue(clk, time.Second, 10*time.Second, 10*time.Second), clk
}

func popName(t *testing.T, q *schedulingQueue) string {
	t.Helper()
	if counts := q.counts(); counts[inActive] == 0 {
		t.Fatalf("nothing active: %v", counts)
	}
	a, ok := q.pop()
	if !ok {
		t.Fatal("queue closed")
	}
	return a.info.pod.Name
}

func TestQueueOrder(t *testing.T) {
	q, _ := newTestQueue()
	// Created in this order: old-low, mid, new-high, old-high.
	oldLow := makePod("old-low", priority(0))
	mid := makePod("mid", priority(5))
	newHigh := makePod("new-high", priority(10))
	oldHigh := makePod("old-high", priority(10))
	oldHigh.CreationTimestamp = oldLow.CreationTimestamp
	for _, p := range []*corev1.Pod{oldLow, mid, newHigh, oldHigh} {
		q.add(p)
	}
	var got []string
	for range 4 {
		got = append(got, popName(t, q))
	}
	want := []string{"old-high", "new-high", "mid", "old-low"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestQueueBackoffDoubles(t *testing.T) {
	q, _ := newTestQueue()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := q.backoffDuration(i + 1); got != w {
			t.Errorf("attempt %d: backoff %v, want %v", i+1, got, w)
		}
	}
}

func TestQueueEventMovesUnschedulableAfterBackoff(t *testing.T) {
	q, clk := newTestQueue()
	q.add(makePod("p"))
	a, _ := q.pop()
	q.unschedulable(a)
	if c := q.counts(); c[inUnschedulable] != 1 {
		t.Fatalf("counts %v", c)
	}
	// An event within the backoff moves it to backoff, not active.
	q.moveAll(nil)
	if c := q.counts(); c[inBackoff] != 1 {
		t.Fatalf("after an early event: %v", c)
	}
	clk.Step(time.Second)
	q.flush()
	if popName(t, q) != "p" {
		t.Fatal("not retried after backoff")
	}
}

func TestQueueRetryWithoutEvents(t *testing.T) {
	q, clk := newTestQueue()
	q.add(makePod("p"))
	a, _ := q.pop()
	q.unschedulable(a)
	clk.Step(9 * time.Second)
	q.flush()
	if c := q.counts(); c[inUnschedulable] != 1 {
		t.Fatalf("retried before the interval: %v", c)
	}
	clk.Step(time.Second)
	q.flush()
	if popName(t, q) != "p" {
		t.Fatal("not retried after the interval")
	}
}

func TestQueueEventDuringCycleIsNotMissed(t *testing.T) {
	q, clk := newTestQueue()
	q.add(makePod("p"))
	a, _ := q.pop()
	// A node is added while p is being scheduled (the snapshot did not include it).
	q.moveAll(nil)
	q.unschedulable(a)
	if c := q.counts(); c[inBackoff] != 1 {
		t.Fatalf("pod that missed an event waits for another: %v", c)
	}
	clk.Step(time.Second)
	q.flush()
	if popName(t, q) != "p" {
		t.Fatal("not retried")
	}
}

func TestQueueStatusUpdateDoesNotWakeAPod(t *testing.T) {
	q, _ := newTestQueue()
	p := makePod("p")
	q.add(p)
	a, _ := q.pop()
	q.unschedulable(a)
	withStatus := p.DeepCopy()
	withStatus.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse}}
	q.add(withStatus)
	if c := q.counts(); c[inUnschedulable] != 1 {
		t.Fatalf("status write woke the pod: %v", c)
	}
	tolerant := withStatus.DeepCopy()
	tolerant.Spec.Tolerations = append(tolerant.Spec.Tolerations, corev1.Toleration{Operator: corev1.TolerationOpExists})
	q.add(tolerant)
	if c := q.counts(); c[inBackoff] != 1 {
		t.Fatalf("spec change did not wake the pod: %v", c)
	}
}

func TestQueueRemoveAndDone(t *testing.T) {
	q, _ := newTestQueue()
	pa, pb := makePod("a"), makePod("b")
	q.add(pa)
	q.add(pb)
	q.remove(pa.UID)
	a, _ := q.pop()
	if a.info.pod.Name != "b" {
		t.Fatalf("popped %s", a.info.pod.Name)
	}
	q.done(pb.UID)
	if c := q.counts(); len(c) != 0 {
		t.Fatalf("left %v", c)
	}
	// A pod deleted while in flight is not put back.
	q.add(pa)
	a, _ = q.pop()
	q.remove(pa.UID)
	q.unschedulable(a)
	if c := q.counts(); len(c) != 0 {
		t.Fatalf("deleted pod came back: %v", c)
	}
}

func TestQueueRetryAfterBindError(t *testing.T) {
	q, clk := newTestQueue()
	p := makePod("p")
	q.retry(p, 2)
	if c := q.counts(); c[inBackoff] != 1 {
		t.Fatalf("counts %v", c)
	}
	clk.Step(3 * time.Second)
	q.flush()
	if c := q.counts(); c[inBackoff] != 1 {
		t.Fatalf("third attempt waits 4s: %v", c)
	}
	clk.Step(time.Second)
	q.flush()
	if popName(t, q) != "p" {
		t.Fatal("not retried")
	}
}

func TestQueueRetryLeavesAnAttemptInFlightAlone(t *testing.T) {
	q, _ := newTestQueue()
	p := makePod("p")
	q.add(p)
	a, _ := q.pop()
	q.retry(p, 3)
	if c := q.counts(); c[inFlight] != 1 {
		t.Fatalf("retry took over an attempt in flight: %v", c)
	}
	q.unschedulable(a)
	if c := q.counts(); c[inUnschedulable] != 1 {
		t.Fatalf("counts %v", c)
	}
}

func TestQueueCloseUnblocksPop(t *testing.T) {
	q, _ := newTestQueue()
	done := make(chan bool)
	go func() {
		_, ok := q.pop()
		done <- ok
	}()
	q.close()
	if <-done {
		t.Fatal("pop returned a pod from a closed, empty queue")
	}
}
