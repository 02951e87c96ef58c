package daemonset

import (
	"sync"
	"time"
)

// Failed daemon pods are deleted and recreated with a per-node exponential back-off, as
// upstream's controller manager configures it: 1s doubling up to 15 minutes.
const (
	failedPodBackoffInitial = time.Second
	failedPodBackoffMax     = 15 * time.Minute
)

// backoffEntry is one node's failed-pod back-off: no deletion before LastUpdate+Delay.
type backoffEntry struct {
	Delay      time.Duration
	LastUpdate time.Time
}

// failedPodBackoff keeps back-off entries keyed by DaemonSet UID, observed generation and
// node, so that a spec change starts afresh.
type failedPodBackoff struct {
	mu sync.Mutex
	m  map[string]backoffEntry
}

func newFailedPodBackoff() *failedPodBackoff { return &failedPodBackoff{m: map[string]backoffEntry{}} }

// next grows the back-off of key at now, resetting it when it has long expired.
func (b *failedPodBackoff) next(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[key]
	if !ok || now.Sub(e.LastUpdate) > 2*failedPodBackoffMax {
		b.m[key] = backoffEntry{Delay: failedPodBackoffInitial, LastUpdate: now}
		return
	}
	b.m[key] = backoffEntry{Delay: min(2*e.Delay, failedPodBackoffMax), LastUpdate: now}
}

func (b *failedPodBackoff) get(key string) (backoffEntry, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[key]
	return e, ok
}

// gc drops entries that can no longer hold anything back.
func (b *failedPodBackoff) gc(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, e := range b.m {
		if now.Sub(e.LastUpdate) > 2*failedPodBackoffMax {
			delete(b.m, k)
		}
	}
}
