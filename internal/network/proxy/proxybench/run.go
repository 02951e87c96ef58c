package proxybench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// MinSyncPeriod is the proxier's least time between two rule loads in every run (the
// proxy's default).
const MinSyncPeriod = 100 * time.Millisecond

// inPeriodGap is how soon after a load the in-period series changes the slice again.
const inPeriodGap = 20 * time.Millisecond

// Config sizes a run; zero values take the defaults.
type Config struct {
	Changes        int           // endpoint changes per series (50)
	ScaleServices  int           // services in the at-scale runs (1,000)
	ScaleEndpoints int           // endpoints per service there (10)
	RPSTime        time.Duration // per target and connection mode (5 s)
	RPSWorkers     int           // concurrent clients (4)
	APIServer      bool          // also time changes through a real apiserver
	Progress       io.Writer     // one line per step (nil: none)
}

func (c Config) withDefaults() Config {
	if c.Changes <= 0 {
		c.Changes = 50
	}
	if c.ScaleServices <= 0 {
		c.ScaleServices = 1000
	}
	if c.ScaleEndpoints <= 0 {
		c.ScaleEndpoints = 10
	}
	if c.RPSTime <= 0 {
		c.RPSTime = 5 * time.Second
	}
	if c.RPSWorkers <= 0 {
		c.RPSWorkers = 4
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// Report holds every figure of a run.
type Report struct {
	Config        Config
	MinSyncPeriod time.Duration
	// Single: one change at a time, each more than MinSyncPeriod after the previous load
	// (fake clientset, two services).
	Single ChangeResult
	// InPeriod: each change 20 ms after the previous load, which MinSyncPeriod holds back.
	InPeriodGap time.Duration
	InPeriod    ChangeResult
	// APIServer: single changes written through a real apiserver (when Config.APIServer).
	APIServer *ChangeResult
	// AtScale: single changes with ScaleServices × ScaleEndpoints loaded as well.
	AtScale ChangeResult
	// FirstLoadAtScale is from starting the proxier at scale to its first rules loaded.
	FirstLoadAtScale time.Duration
	// FullLoad is the cost of one full load at scale.
	FullLoad LoadResult
	// NewConns and KeepAlive compare request rates (two services loaded); NewConnsAtScale
	// is NewConns with the at-scale table loaded.
	NewConns, KeepAlive, NewConnsAtScale RPSResult
}

// ErrNotRoot is returned when the run cannot make namespaces and nftables tables.
var ErrNotRoot = errors.New("the service proxy benchmark needs root (network namespaces and nftables)")

// Run measures the proxy as the package comment describes. Everything it creates is removed
// before it returns, on error too.
func Run(ctx context.Context, cfg Config) (_ *Report, err error) {
	cfg = cfg.withDefaults()
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	for _, bin := range []string{"ip", "nft", "sysctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("service proxy benchmark: %w", err)
		}
	}
	if cfg.ScaleServices*cfg.ScaleEndpoints > 250*250 || cfg.ScaleServices > 250*150 {
		return nil, fmt.Errorf("service proxy benchmark: %d services × %d endpoints do not fit the address plan", cfg.ScaleServices, cfg.ScaleEndpoints)
	}
	rep := &Report{Config: cfg, MinSyncPeriod: MinSyncPeriod, InPeriodGap: inPeriodGap}
	say := func(format string, args ...any) { fmt.Fprintf(cfg.Progress, "proxybench: "+format+"\n", args...) }

	topo, err := newTopology()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, topo.close()) }()
	for _, p := range []struct{ ns, name, ip string }{{topo.a, "a", podA}, {topo.b, "b", podB}} {
		b, err := startBackend(p.ns, p.name, p.ip)
		if err != nil {
			return nil, err
		}
		defer b.close()
	}
	pr, err := startProber(topo)
	if err != nil {
		return nil, err
	}
	defer pr.close()
	single := MinSyncPeriod + 50*time.Millisecond

	say("endpoint changes, fake clientset")
	err = withProxy(ctx, topo, basicObjects(), func(rp *runningProxy, f *flipper) error {
		if err := topo.shortConntrack(); err != nil {
			return err
		}
		var err error
		if rep.Single, err = measureChanges(ctx, rp, pr, f, cfg.Changes, single); err != nil {
			return fmt.Errorf("single changes: %w", err)
		}
		if rep.InPeriod, err = measureChanges(ctx, rp, pr, f, cfg.Changes, inPeriodGap); err != nil {
			return fmt.Errorf("changes within MinSyncPeriod: %w", err)
		}
		say("requests per second")
		if rep.NewConns, err = measureRPS(ctx, topo, false, cfg.RPSWorkers, 5, cfg.RPSTime); err != nil {
			return err
		}
		rep.KeepAlive, err = measureRPS(ctx, topo, true, cfg.RPSWorkers, 5, cfg.RPSTime)
		return err
	})
	if err != nil {
		return nil, err
	}

	say("endpoint changes with %d services × %d endpoints loaded", cfg.ScaleServices, cfg.ScaleEndpoints)
	objs := basicObjects()
	svcs, slices := scaleObjects(cfg.ScaleServices, cfg.ScaleEndpoints)
	for _, s := range svcs {
		objs = append(objs, s)
	}
	for _, s := range slices {
		objs = append(objs, s)
	}
	err = withProxy(ctx, topo, objs, func(rp *runningProxy, f *flipper) error {
		rep.FirstLoadAtScale = rp.firstLoad
		var err error
		if rep.AtScale, err = measureChanges(ctx, rp, pr, f, cfg.Changes, single); err != nil {
			return fmt.Errorf("changes at scale: %w", err)
		}
		rep.NewConnsAtScale, err = measureRPS(ctx, topo, false, cfg.RPSWorkers, 5, cfg.RPSTime)
		return err
	})
	if err != nil {
		return nil, err
	}

	say("full load of %d services × %d endpoints", cfg.ScaleServices, cfg.ScaleEndpoints)
	if rep.FullLoad, err = measureFullLoad(ctx, topo, cfg.ScaleServices, cfg.ScaleEndpoints, 5); err != nil {
		return nil, err
	}

	if cfg.APIServer {
		say("endpoint changes through a real apiserver")
		res, err := apiServerChanges(ctx, topo, pr, cfg.Changes, single)
		if err != nil {
			return nil, err
		}
		rep.APIServer = &res
	}
	return rep, nil
}

// basicObjects are the flip and rps services, and the rps service's slice (pod a).
func basicObjects() []runtime.Object {
	return []runtime.Object{
		service(flipService, flipIP),
		service(rpsService, rpsIP),
		endpointSlice(rpsService, []string{podA}, []bool{true}),
	}
}

// withProxy runs fn with a proxier on a fake clientset holding objs, and the flip service's
// slice created (traffic on pod a).
func withProxy(ctx context.Context, topo *topology, objs []runtime.Object, fn func(*runningProxy, *flipper) error) (err error) {
	client := fake.NewSimpleClientset(objs...)
	rp, err := startProxy(ctx, topo, client, MinSyncPeriod)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, rp.stop()) }()
	f, err := newFlipper(ctx, client)
	if err != nil {
		return err
	}
	return fn(rp, f)
}

func apiServerChanges(ctx context.Context, topo *topology, pr *prober, n int, gap time.Duration) (_ ChangeResult, err error) {
	dir, err := os.MkdirTemp("", "ordinal-proxybench-")
	if err != nil {
		return ChangeResult{}, err
	}
	defer os.RemoveAll(dir)
	cp, client, err := startAPIServer(ctx, dir)
	if err != nil {
		return ChangeResult{}, err
	}
	defer cp.Stop()
	rp, err := startProxy(ctx, topo, client, MinSyncPeriod)
	if err != nil {
		return ChangeResult{}, err
	}
	defer func() { err = errors.Join(err, rp.stop()) }()
	f, err := newFlipper(ctx, client)
	if err != nil {
		return ChangeResult{}, err
	}
	return measureChanges(ctx, rp, pr, f, n, gap)
}
