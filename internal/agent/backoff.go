package agent

import "time"

// Upstream kubelet's crash-loop back-off: the first restart is immediate, then 10s, doubling
// up to 5 minutes, and forgotten after 10 minutes (twice the cap) without a failure.
const (
	DefaultBackOff    = 10 * time.Second
	DefaultMaxBackOff = 5 * time.Minute
)

// crashBackOff remembers, per container, how long the next restart must wait. It is plain
// data: the planner reads it (inBackOff) and the worker records restarts (next), with the
// time passed in, so a table test needs no clock.
type crashBackOff struct {
	initial, max time.Duration
	entries      map[string]backOffEntry
}

type backOffEntry struct {
	delay time.Duration
	last  time.Time // the failure the delay was computed from
}

func newCrashBackOff(initial, max time.Duration) *crashBackOff {
	return &crashBackOff{initial: initial, max: max, entries: map[string]backOffEntry{}}
}

// inBackOff reports whether a restart after a failure at eventTime must still wait at now,
// how long is left, and the current delay (for the CrashLoopBackOff message).
func (b *crashBackOff) inBackOff(key string, eventTime, now time.Time) (bool, time.Duration, time.Duration) {
	e, ok := b.entries[key]
	if !ok || b.expired(e, eventTime) {
		return false, 0, 0
	}
	left := e.delay - now.Sub(eventTime)
	if left <= 0 {
		return false, 0, e.delay
	}
	return true, left, e.delay
}

// next records a restart after a failure at eventTime: the following one waits longer.
func (b *crashBackOff) next(key string, eventTime time.Time) {
	e, ok := b.entries[key]
	if !ok || b.expired(e, eventTime) {
		e.delay = b.initial
	} else {
		e.delay = min(2*e.delay, b.max)
	}
	e.last = eventTime
	b.entries[key] = e
}

func (b *crashBackOff) expired(e backOffEntry, eventTime time.Time) bool {
	return eventTime.Sub(e.last) > 2*b.max
}
