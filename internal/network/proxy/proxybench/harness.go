package proxybench

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/network/proxy"
)

// runningProxy is a Proxier whose rules live in the node namespace.
type runningProxy struct {
	*proxy.Proxier
	firstLoad time.Duration // from start to the first rules loaded
	cancel    context.CancelFunc
	done      chan struct{} // closed when Run has returned
	err       error         // Run's error, once done is closed
}

// startProxy runs a Proxier on client's informers, its Run loop (and so every `nft -f` it
// starts) on a thread in the node namespace, and returns once the first rules are loaded.
func startProxy(ctx context.Context, topo *topology, client kubernetes.Interface, minSync time.Duration) (*runningProxy, error) {
	table := fmt.Sprintf("ordinal-proxy-bench-%d", os.Getpid())
	factory := informers.NewSharedInformerFactory(client, 0)
	p, err := proxy.New(client, factory, proxy.Options{NodeName: "bench", Table: table, MinSyncPeriod: minSync})
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	factory.Start(ctx.Done())
	rp := &runningProxy{Proxier: p, cancel: cancel, done: make(chan struct{})}
	runErr := goNetns(topo.node, func() error { return p.Run(ctx) })
	go func() {
		rp.err = <-runErr
		close(rp.done)
	}()
	at, err := rp.waitSync(time.Time{}, func(string) bool { return true }, 2*time.Minute)
	if err != nil {
		rp.stop()
		return nil, fmt.Errorf("first rule load: %w", err)
	}
	rp.firstLoad = at.Sub(begin)
	return rp, nil
}

// waitSync waits until rules that satisfy ok were loaded after since, and returns when
// they were. The content matters, not only the time: `nft -f` commits before the proxier
// records the load, so the previous load can still be reported for a moment after the
// dataplane already shows the next one.
func (rp *runningProxy) waitSync(since time.Time, ok func(script string) bool, within time.Duration) (time.Time, error) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if at, script := rp.LastSync(); at.After(since) && ok(script) {
			return at, nil
		}
		select {
		case <-rp.done:
			return time.Time{}, fmt.Errorf("proxier stopped: %v", rp.err)
		case <-time.After(time.Millisecond):
		}
	}
	return time.Time{}, fmt.Errorf("no matching rule load within %v", within)
}

// stop ends Run, which deletes the table, and waits for it.
func (rp *runningProxy) stop() error {
	rp.cancel()
	select {
	case <-rp.done:
		return rp.err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("proxier did not stop within 30s")
	}
}
