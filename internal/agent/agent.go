package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/runtime"
)

// Config configures a node agent. NodeName, Client and Runtime are required; zero values of
// the rest mean upstream kubelet's defaults.
type Config struct {
	// NodeName is the Node the agent registers and whose pods it runs.
	NodeName string
	// Client talks to the API; the agent is not throttled (rest.Config QPS -1).
	Client kubernetes.Interface
	// Runtime runs the pods: the process runtime or sim.
	Runtime runtime.Runtime
	// Machine describes the node (nil: SimMachine(NodeName, 1)).
	Machine *Machine
	// Labels are added to the node's well-known labels.
	Labels map[string]string
	// Clock drives heartbeats, back-offs and probes (nil: the real clock).
	Clock clock.WithTicker

	// NodeStatusUpdateFrequency is how often node status is computed and, if it changed,
	// written (default 10s).
	NodeStatusUpdateFrequency time.Duration
	// NodeStatusReportFrequency is how often node status is written even if nothing
	// changed, to refresh the conditions' lastHeartbeatTime (default 1m).
	NodeStatusReportFrequency time.Duration
	// LeaseDurationSeconds is the node Lease's duration; it is renewed every quarter of it
	// (default 40, renewed every 10s).
	LeaseDurationSeconds int32
	// RelistPeriod is how often the runtime is listed to notice containers that changed
	// state on their own (default 1s).
	RelistPeriod time.Duration
	// VolumeRefreshPeriod is how often the configMap, secret, projected and downwardAPI
	// volumes of running pods are refreshed from the API (default 1m, as upstream's sync).
	VolumeRefreshPeriod time.Duration
	// BackOff and MaxBackOff bound the crash-loop back-off (default 10s and 5m).
	BackOff, MaxBackOff time.Duration
	// KubeletPort is reported as status.daemonEndpoints.kubeletEndpoint (default 10250).
	KubeletPort int32
	// Streaming, when set, is where the agent registers its logs/exec/attach/port-forward
	// server for an apiserver in the same process.
	Streaming *streaming.LocalNodes
	// FencingPeriod: once the node Lease has not been renewed for this long, every
	// container is stopped and none starts until a renewal succeeds (fencing.go). Unlike
	// the fields above, 0 is not a default but turns fencing off (an agent in the same
	// process as its apiserver cannot be cut off from it); `ordinal agent` runs with
	// DefaultFencingPeriod. It must hold at least two renewals (LeaseDurationSeconds/2).
	FencingPeriod time.Duration
	// LeaseRenewed, when set, is called after each successful renewal of the node Lease
	// (`ordinal agent` rewrites the heartbeat file its containers' shims watch, so that they
	// fence themselves when the agent itself is gone).
	LeaseRenewed func()
}

// Agent is the node agent: it registers its Node, keeps it and its Lease fresh, and runs
// the pods bound to it through its runtime.
type Agent struct {
	cfg      Config
	nodeName string
	client   kubernetes.Interface
	runtime  runtime.Runtime
	clock    clock.WithTicker
	machine  Machine

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder // source kubelet
	adRecorder  record.EventRecorder // source attachdetach-controller, for Multi-Attach

	podInformer cache.SharedIndexInformer
	podLister   corelisters.PodLister
	nodeLister  corelisters.NodeLister
	nodeSynced  cache.InformerSynced

	version runtime.VersionInfo
	ctx     context.Context // Run's; pod workers live in it

	mu       sync.Mutex
	workers  map[types.UID]*podWorker
	finished map[types.UID]time.Time // pods whose worker ended, so late events do not revive them
	podCIDR  string                  // applied to the runtime
	wg       sync.WaitGroup

	networkChanged chan struct{}
	statusNow      chan struct{}

	fence *fence
}

// New checks cfg and builds an agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	switch {
	case cfg.NodeName == "":
		return nil, errors.New("agent: NodeName is required")
	case cfg.Client == nil:
		return nil, errors.New("agent: Client is required")
	case cfg.Runtime == nil:
		return nil, errors.New("agent: Runtime is required")
	}
	if cfg.Machine == nil {
		m := SimMachine(cfg.NodeName, 1)
		cfg.Machine = &m
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	setDefault(&cfg.NodeStatusUpdateFrequency, 10*time.Second)
	setDefault(&cfg.NodeStatusReportFrequency, time.Minute)
	setDefault(&cfg.RelistPeriod, time.Second)
	setDefault(&cfg.VolumeRefreshPeriod, time.Minute)
	setDefault(&cfg.BackOff, DefaultBackOff)
	setDefault(&cfg.MaxBackOff, DefaultMaxBackOff)
	if cfg.LeaseDurationSeconds <= 0 {
		cfg.LeaseDurationSeconds = 40
	}
	if cfg.KubeletPort == 0 {
		cfg.KubeletPort = 10250
	}
	if err := checkFencingPeriod(cfg.FencingPeriod, cfg.LeaseDurationSeconds); err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster()
	a := &Agent{
		cfg: cfg, nodeName: cfg.NodeName, client: cfg.Client, runtime: cfg.Runtime, clock: cfg.Clock, machine: *cfg.Machine,
		broadcaster:    broadcaster,
		recorder:       broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: componentKubelet, Host: cfg.NodeName}),
		adRecorder:     broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: componentAttachDetach}),
		workers:        map[types.UID]*podWorker{},
		finished:       map[types.UID]time.Time{},
		networkChanged: make(chan struct{}, 1),
		statusNow:      make(chan struct{}, 1),
		fence:          newFence(cfg.FencingPeriod, cfg.Clock.Now()),
	}
	return a, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run registers the node and runs pods until ctx ends; call it once. Returning does not stop
// the pods: an agent started again over the same runtime adopts them.
func (a *Agent) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	version, err := a.waitForRuntime(ctx)
	if err != nil {
		return err
	}
	a.version = version
	a.ctx = ctx
	// Fencing runs from the start: an agent restarted into a partition must still stop
	// the containers it finds, even while it cannot register.
	a.goRun(ctx, a.fencingLoop)
	a.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.client.CoreV1().Events("")})
	defer a.broadcaster.Shutdown()
	a.recorder.Event(nodeRef(a.nodeName), corev1.EventTypeNormal, reasonStarting, messageStartingKubelet)
	if err := a.registerNode(ctx); err != nil {
		return err
	}
	if a.cfg.Streaming != nil {
		srv, err := streaming.NewServer(streaming.Config{NodeName: a.nodeName, Client: a.client, Runtime: a.runtime})
		if err != nil {
			return err
		}
		defer a.cfg.Streaming.Register(srv)()
	}

	podFactory := informers.NewSharedInformerFactoryWithOptions(a.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", a.nodeName).String()
	}))
	pods := podFactory.Core().V1().Pods()
	a.podInformer, a.podLister = pods.Informer(), pods.Lister()
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(a.client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", a.nodeName).String()
	}))
	nodes := nodeFactory.Core().V1().Nodes()
	a.nodeLister, a.nodeSynced = nodes.Lister(), nodes.Informer().HasSynced
	if _, err := a.podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.podAdded,
		UpdateFunc: func(_, obj any) { a.podAdded(obj) },
		DeleteFunc: a.podDeleted,
	}); err != nil {
		return err
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { signal(a.networkChanged) },
		UpdateFunc: func(any, any) { signal(a.networkChanged) },
	}); err != nil {
		return err
	}

	// Re-adopt what the runtime runs before the API says anything: workers wait for the
	// pod cache, then match each runtime pod to its API object or clean it up.
	if err := a.relist(ctx); err != nil {
		slog.Warn("agent: listing runtime pods", "node", a.nodeName, "err", err)
	}
	podFactory.Start(ctx.Done())
	nodeFactory.Start(ctx.Done())

	a.goRun(ctx, a.networkLoop)
	a.goRun(ctx, a.nodeStatusLoop)
	a.goRun(ctx, a.leaseLoop)
	a.goRun(ctx, a.relistLoop)
	<-ctx.Done()
	// Informer handlers start workers: stop them first, so that nothing adds to the wait
	// group while it is waited on.
	podFactory.Shutdown()
	nodeFactory.Shutdown()
	a.wg.Wait()
	return nil
}

func (a *Agent) goRun(ctx context.Context, f func(context.Context)) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer utilruntime.HandleCrash()
		f(ctx)
	}()
}

// waitForRuntime asks the runtime for its version until it answers.
func (a *Agent) waitForRuntime(ctx context.Context) (runtime.VersionInfo, error) {
	for {
		v, err := a.runtime.Version(ctx)
		if err == nil {
			return v, nil
		}
		slog.Warn("agent: container runtime not ready", "node", a.nodeName, "err", err)
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("agent %s: container runtime not ready: %w", a.nodeName, err)
		case <-a.clock.After(time.Second):
		}
	}
}

// podAdded hands the latest version of a bound pod to its worker, starting one if needed.
func (a *Agent) podAdded(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName != a.nodeName {
		return
	}
	w := a.worker(pod.UID, true)
	if w != nil {
		w.update(pod)
	}
}

// podDeleted tells a pod's worker that the pod left the API (deleted by the agent itself
// after termination, or force-deleted by someone).
func (a *Agent) podDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if w := a.worker(pod.UID, false); w != nil {
		w.update(pod)
		w.markGone()
	}
}

// worker returns the pod's worker, creating and starting it if asked to. Pods whose
// worker has finished are not revived by late events.
func (a *Agent) worker(uid types.UID, create bool) *podWorker {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w := a.workers[uid]; w != nil || !create || a.ctx.Err() != nil {
		return w
	}
	if _, done := a.finished[uid]; done {
		return nil
	}
	w := newPodWorker(a, uid)
	w.gone = a.isGone(uid) // failed over or deleted while fenced: only clean up
	a.workers[uid] = w
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer utilruntime.HandleCrash()
		w.run(a.ctx)
	}()
	return w
}

// workerDone forgets a worker whose pod is gone from both the API and the runtime.
func (a *Agent) workerDone(w *podWorker, cleaned bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workers[w.uid] == w {
		delete(a.workers, w.uid)
	}
	if cleaned {
		a.finished[w.uid] = a.clock.Now()
	}
}

// signal wakes a loop without blocking; one pending wake-up is enough.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
