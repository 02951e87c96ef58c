package cronjob

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// wakeups enqueue a key when a time-based condition may have changed (the next scheduled
// time). They run on the controller's clock, so tests with a fake clock step
// time instead of sleeping. One pending wake-up per key, the earliest.
type wakeups struct {
	clock clock.WithDelayedExecution
	add   func(key string)

	mu     sync.Mutex
	timers map[string]wakeup
}

type wakeup struct {
	at    time.Time
	timer clock.Timer
}

func newWakeups(c clock.WithDelayedExecution, add func(string)) *wakeups {
	return &wakeups{clock: c, add: add, timers: map[string]wakeup{}}
}

func (w *wakeups) after(key string, d time.Duration) {
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
	w.timers[key] = wakeup{at: at, timer: t}
}
