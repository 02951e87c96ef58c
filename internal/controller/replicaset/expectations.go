package replicaset

import (
	"sync"
	"time"
)

// ExpectationsTimeout is how long a controller waits to see its own creations and
// deletions before it acts again anyway (upstream: 5 minutes). A watch event that never
// arrives therefore delays a ReplicaSet, never stalls it.
const ExpectationsTimeout = 5 * time.Minute

// expectations remembers, per owner key, the pod creations and deletions a sync made
// that the pod informer has not reported yet. Until they are all seen the owner's pods
// in the cache are stale, and acting on them would create or delete twice.
type expectations struct {
	mu sync.Mutex
	m  map[string]*expectation
}

type expectation struct {
	creations int             // creations not yet seen
	deletions map[string]bool // pod keys whose deletion is not yet seen
	set       time.Time
}

func newExpectations() *expectations {
	return &expectations{m: map[string]*expectation{}}
}

// satisfied reports whether the owner may be synced: nothing is pending, or what is
// pending was expected longer than ExpectationsTimeout ago.
func (e *expectations) satisfied(key string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return (x.creations <= 0 && len(x.deletions) == 0) || now.Sub(x.set) > ExpectationsTimeout
}

// expectCreations replaces the owner's expectations with n creations.
func (e *expectations) expectCreations(key string, n int, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{creations: n, set: now}
}

// expectDeletions replaces the owner's expectations with the deletion of these pods.
func (e *expectations) expectDeletions(key string, podKeys []string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{deletions: make(map[string]bool, len(podKeys)), set: now}
	for _, k := range podKeys {
		x.deletions[k] = true
	}
	e.m[key] = x
}

// creationObserved records that one pod created for the owner was seen (or will never
// be, because its creation failed).
func (e *expectations) creationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.creations--
	}
}

// deletionObserved records that the pod podKey is gone or terminating; only a deletion
// the owner asked for counts.
func (e *expectations) deletionObserved(key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		delete(x.deletions, podKey)
	}
}

// forget drops the owner's expectations (the owner is gone).
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
