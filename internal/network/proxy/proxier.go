package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// Proxier keeps the node's nftables table in step with Services and EndpointSlices.
type Proxier struct {
	opts     Options
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	synced   []cache.InformerSynced
	changed  chan struct{} // capacity 1: a pending "something changed"

	mu       sync.Mutex
	lastSync time.Time // when the rules last loaded, for LastSync
	// loaded is what the table holds since the last successful load; nil when that is not
	// known (before the first load, after a failed one), and the next load is a full one.
	loaded *ruleset
	script string // loaded's full script, rendered on demand by LastSync
}

// New registers the proxy on the factory's Service and EndpointSlice informers; call it
// before the factory starts. The client is kept for symmetry with the other node
// components (the proxy only reads, through the informers).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Proxier, error) {
	_ = client
	p := &Proxier{
		opts:     opts.withDefaults(),
		services: factory.Core().V1().Services().Lister(),
		slices:   factory.Discovery().V1().EndpointSlices().Lister(),
		changed:  make(chan struct{}, 1),
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.kick() },
		UpdateFunc: func(any, any) { p.kick() },
		DeleteFunc: func(any) { p.kick() },
	}
	for _, inf := range []cache.SharedIndexInformer{
		factory.Core().V1().Services().Informer(),
		factory.Discovery().V1().EndpointSlices().Informer(),
	} {
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return nil, fmt.Errorf("proxy: watching: %w", err)
		}
		p.synced = append(p.synced, reg.HasSynced)
	}
	return p, nil
}

func (p *Proxier) kick() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// Run loads the rules once the informers have synced, reloads them after every change
// (the first change after a quiet period at once, then at most once per MinSyncPeriod),
// and deletes the table when ctx ends. It returns nil on a clean shutdown, or the error
// of the final delete.
func (p *Proxier) Run(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), p.synced...) {
		return p.cleanup()
	}
	p.kick()
	var (
		last    time.Time
		timer   *time.Timer
		timerC  <-chan time.Time
		pending bool
		backoff = p.opts.MinSyncPeriod
	)
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return p.cleanup()
		case <-p.changed:
			pending = true
		case <-timerC:
			timerC = nil
		}
		if !pending || timerC != nil {
			continue
		}
		if wait := p.opts.MinSyncPeriod - time.Since(last); wait > 0 {
			timer, timerC = newTimer(wait)
			continue
		}
		pending = false
		last = time.Now()
		if err := p.syncRules(ctx); err != nil {
			if ctx.Err() != nil {
				continue
			}
			slog.Error("proxy: loading service rules; retrying", "err", err, "after", backoff)
			pending = true
			timer, timerC = newTimer(backoff)
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = p.opts.MinSyncPeriod
	}
}

func newTimer(d time.Duration) (*time.Timer, <-chan time.Time) {
	t := time.NewTimer(d)
	return t, t.C
}

// syncRules renders the rules from the listers and loads what differs from the rules
// loaded last: only the changed pieces when the table's content is known (partialScript),
// else the whole table.
func (p *Proxier) syncRules(ctx context.Context) error {
	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		return err
	}
	slices, err := p.slices.List(labels.Everything())
	if err != nil {
		return err
	}
	rs := build(svcs, slices, p.opts)
	p.mu.Lock()
	loaded := p.loaded
	p.mu.Unlock()
	script, ok := "", false
	if loaded != nil {
		script, ok = partialScript(loaded, rs, p.opts.Table)
	}
	if !ok {
		script = rs.script(p.opts.Table)
	}
	if script != "" {
		if err := loadScript(ctx, p.opts.Nft, script); err != nil {
			// The transaction did not apply, but make the next attempt a full load in
			// case the table is not what we think (someone else changed it).
			p.mu.Lock()
			p.loaded, p.script = nil, ""
			p.mu.Unlock()
			return err
		}
	}
	p.mu.Lock()
	if script != "" {
		p.loaded, p.script = rs, ""
	}
	p.lastSync = time.Now()
	p.mu.Unlock()
	return nil
}

// LastSync returns when the rules were last loaded (or found current), and the full script
// for them; zero before the first load. Benchmarks use it to time endpoint changes to rule
// changes.
func (p *Proxier) LastSync() (time.Time, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loaded != nil && p.script == "" {
		p.script = p.loaded.script(p.opts.Table)
	}
	return p.lastSync, p.script
}

// cleanup deletes the table with a fresh context: the caller's has ended.
func (p *Proxier) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := loadScript(ctx, p.opts.Nft, DeleteScript(p.opts.Table)); err != nil {
		return errors.Join(errors.New("proxy: removing table"), err)
	}
	return nil
}
