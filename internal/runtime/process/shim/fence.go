package shim

import (
	"bytes"
	"fmt"
	"os"
	"time"
)

// Fence watches a heartbeat file and calls kill once it has not changed for period,
// measured on this process's monotonic clock from the last change it saw (its own start
// counts as one). It returns when done is closed or after kill.
//
// Why the shim: the node agent stops its containers itself when it cannot renew its Lease
// (self-fencing), but the containers outlive the agent, and an agent that died or was
// stopped fences nothing, while the control plane will, after the grace period, fencing
// period and margin, recreate the node's StatefulSet pods elsewhere. Each shim therefore
// enforces the same deadline on its own container. The agent writes the file after a
// renewal succeeded, a little after the renewal was sent, so the shim's deadline can be
// later than the agent's by that round trip plus one poll; the control plane's grace
// period and safety margin absorb it.
func Fence(file string, period time.Duration, done <-chan struct{}, kill func()) {
	poll := min(max(period/10, 50*time.Millisecond), time.Second)
	last, changed := readFence(file), time.Now()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if cur := readFence(file); !bytes.Equal(cur, last) {
			last, changed = cur, time.Now()
			continue
		}
		if time.Since(changed) >= period {
			fmt.Fprintf(os.Stderr, "shim: fencing: %s unchanged for %v; killing the container\n", file, period)
			kill()
			return
		}
	}
}

// readFence is the file's content, or nil when it cannot be read (which is no change until
// it can).
func readFence(file string) []byte {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return b
}
