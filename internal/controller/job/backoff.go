package job

import (
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pod failure back-off: 10s doubling, capped at 10 minutes (the code's cap; the docs say 6).
const (
	defaultPodFailureBackoff = 10 * time.Second
	maxPodFailureBackoff     = 10 * time.Minute
)

// backoffRecord remembers a Job's consecutive pod failures since its last success.
type backoffRecord struct {
	failuresAfterLastSuccess int32
	lastFailureTime          *time.Time
}

// nextBackoffRecord folds newly finished pods into the record: a success resets it, and
// only failures after the last success count.
func nextBackoffRecord(old backoffRecord, newSucceeded, newFailed []*corev1.Pod) backoffRecord {
	sortByFinishTime(newSucceeded)
	sortByFinishTime(newFailed)
	switch {
	case len(newSucceeded) == 0 && len(newFailed) == 0:
		return old
	case len(newSucceeded) == 0:
		t := finishTime(newFailed[len(newFailed)-1])
		return backoffRecord{failuresAfterLastSuccess: old.failuresAfterLastSuccess + int32(len(newFailed)), lastFailureTime: &t}
	}
	var rec backoffRecord
	lastSuccess := finishTime(newSucceeded[len(newSucceeded)-1])
	for i := len(newFailed) - 1; i >= 0; i-- {
		t := finishTime(newFailed[i])
		if !t.After(lastSuccess) {
			break
		}
		if rec.lastFailureTime == nil {
			rec.lastFailureTime = &t
		}
		rec.failuresAfterLastSuccess++
	}
	return rec
}

// remaining is how long pod creation still waits at now.
func (r backoffRecord) remaining(now time.Time) time.Duration {
	return backoffRemaining(r.failuresAfterLastSuccess, r.lastFailureTime, now)
}

func backoffRemaining(failures int32, last *time.Time, now time.Time) time.Duration {
	if failures == 0 || last == nil {
		return 0
	}
	d := defaultPodFailureBackoff
	for i := int32(1); i < failures; i++ {
		d *= 2
		if d >= maxPodFailureBackoff {
			d = maxPodFailureBackoff
			break
		}
	}
	elapsed := now.Sub(*last)
	if d < elapsed {
		return 0
	}
	return d - elapsed
}

func sortByFinishTime(pods []*corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool { return finishTime(pods[i]).Before(finishTime(pods[j])) })
}

// finishTime estimates when a pod finished: its last container's end, else when it stopped
// being ready, else its deletion time less the grace period, else its creation.
func finishTime(p *corev1.Pod) time.Time {
	var latest time.Time
	complete := len(p.Status.ContainerStatuses) > 0
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated == nil || cs.State.Terminated.FinishedAt.IsZero() {
			complete = false
			break
		}
		if cs.State.Terminated.FinishedAt.After(latest) {
			latest = cs.State.Terminated.FinishedAt.Time
		}
	}
	if complete {
		return latest
	}
	if c := readyCondition(p); c != nil && c.Status == corev1.ConditionFalse && !c.LastTransitionTime.IsZero() {
		return c.LastTransitionTime.Time
	}
	if p.DeletionTimestamp != nil {
		grace := int64(0)
		if p.DeletionGracePeriodSeconds != nil {
			grace = *p.DeletionGracePeriodSeconds
		}
		return p.DeletionTimestamp.Add(-time.Duration(grace) * time.Second)
	}
	return p.CreationTimestamp.Time
}

// backoffStore keeps each Job's record between syncs (in memory, as upstream).
type backoffStore struct {
	mu sync.Mutex
	m  map[string]backoffRecord
}

func newBackoffStore() *backoffStore { return &backoffStore{m: map[string]backoffRecord{}} }

func (s *backoffStore) get(key string) backoffRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

func (s *backoffStore) set(key string, r backoffRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = r
}

func (s *backoffStore) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
