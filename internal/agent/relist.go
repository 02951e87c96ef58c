package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"ordinal.dev/ordinal/internal/runtime"
)

// finishedMemory is how long the agent remembers pods whose workers ended, so that a late
// informer event does not start a worker for a pod already cleaned up.
const finishedMemory = 5 * time.Minute

// relistLoop lists the runtime every RelistPeriod (upstream's PLEG): containers change state
// on their own (exits, crashes), and this is how their pods' workers hear of it.
func (a *Agent) relistLoop(ctx context.Context) {
	ticker := a.clock.NewTicker(a.cfg.RelistPeriod)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
		if err := a.relist(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("agent: listing runtime pods", "node", a.nodeName, "err", err)
		}
	}
}

// relist wakes the worker of every pod whose runtime state changed, starting workers for
// pods the agent has not met (after a restart, or deleted while it was away).
func (a *Agent) relist(ctx context.Context) error {
	pods, err := a.runtime.ListPods(ctx)
	if err != nil {
		return err
	}
	for _, rs := range pods {
		w := a.worker(rs.UID, true)
		if w != nil && w.setFingerprint(fingerprint(rs)) {
			w.wakeUp()
		}
	}
	now := a.clock.Now()
	a.mu.Lock()
	for uid, at := range a.finished {
		if now.Sub(at) > finishedMemory {
			delete(a.finished, uid)
		}
	}
	a.mu.Unlock()
	return nil
}

// fingerprint summarises what of a runtime pod can change by itself.
func fingerprint(rs *runtime.PodStatus) string {
	var b strings.Builder
	b.WriteString(string(rs.Sandbox))
	for _, c := range rs.Containers {
		fmt.Fprintf(&b, "|%s:%s:%d", c.ID, c.State, c.ExitCode)
	}
	return b.String()
}
