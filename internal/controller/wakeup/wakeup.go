// Package wakeup enqueues a controller's key when a time-based condition may have changed (a
// back-off expired, a deadline or TTL reached, the next scheduled time, a pod became
// available). Wake-ups run on the controller's clock, so tests with a fake clock step time
// instead of sleeping. One pending wake-up per key: the earliest.
package wakeup

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Wakeups schedules keys to be added back to a queue.
type Wakeups struct {
	clock clock.WithDelayedExecution
	add   func(key string)

	mu     sync.Mutex
	timers map[string]pending
}

type pending struct {
	at    time.Time
	timer clock.Timer
}

// New returns wake-ups that call add on clock c.
func New(c clock.WithDelayedExecution, add func(string)) *Wakeups {
	return &Wakeups{clock: c, add: add, timers: map[string]pending{}}
}

// After adds key after d, unless an earlier wake-up for it is already pending.
func (w *Wakeups) After(key string, d time.Duration) {
	at := w.clock.Now().Add(d)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ok := w.timers[key]; ok {
		if !cur.at.After(at) {
			return
		}
		cur.timer.Stop()
	}
	var t clock.Timer
	// A fake clock runs the function inside Step, holding its own lock: hand over to a
	// goroutine so the two locks are never taken in opposite orders.
	t = w.clock.AfterFunc(d, func() {
		go func() {
			w.mu.Lock()
			if cur, ok := w.timers[key]; ok && cur.timer == t {
				delete(w.timers, key)
			}
			w.mu.Unlock()
			w.add(key)
		}()
	})
	w.timers[key] = pending{at: at, timer: t}
}
