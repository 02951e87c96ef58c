package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
)

// DefaultSchedulerName is the spec.schedulerName this scheduler serves by default (pods with
// an empty name are served too).
const DefaultSchedulerName = corev1.DefaultSchedulerName

// fieldManager names the scheduler's writes.
const fieldManager = "default-scheduler"

// Upstream's queue timings: a failed pod waits 1 s, doubling up to 10 s (podMaxBackoff).
const (
	defaultInitialBackoff = time.Second
	defaultMaxBackoff     = 10 * time.Second
	// flushInterval is how often the queue looks for pods whose wait is over.
	flushInterval = 100 * time.Millisecond
	// defaultBindConcurrency bounds the writes in flight (binds, status patches): enough to
	// keep the apiserver busy, few enough that a burst does not swamp it.
	defaultBindConcurrency = 32
)

// Options configure a Scheduler. The zero value is upstream's defaults.
type Options struct {
	// SchedulerName is the spec.schedulerName served, and the events' source
	// (default "default-scheduler").
	SchedulerName string
	// Seed seeds the choice among equally good nodes; 0 seeds from the clock. Given a seed
	// and the same cluster, decisions repeat.
	Seed uint64
	// Clock drives backoff and condition times (default: the real clock).
	Clock clock.WithTicker
	// BindConcurrency bounds the binds and status writes in flight (default 32).
	BindConcurrency int
	// InitialBackoff and MaxBackoff bound the wait of a pod after a failed attempt
	// (default 1 s and 10 s).
	InitialBackoff, MaxBackoff time.Duration
	// UnschedulableRetry is how long a pod that fits nowhere waits for a cluster event before
	// it is tried again anyway (default MaxBackoff; upstream waits 5 minutes).
	UnschedulableRetry time.Duration
}

// Scheduler binds pending pods to nodes. New wires it to the informers; Run schedules.
type Scheduler struct {
	opts      Options
	client    kubernetes.Interface
	control   podControl
	podLister corelisters.PodLister
	synced    []cache.InformerSynced

	cache     *schedulerCache
	queue     *schedulingQueue
	nominator *nominator
	claims    *assumedClaims
	storage   storageLister

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	// rnd breaks ties; only the scheduling loop uses it.
	rnd *rand.Rand
	// slots bounds the writes in flight; writes tracks them for shutdown.
	slots  chan struct{}
	writes sync.WaitGroup
}

// New builds a scheduler on the factory's pods, nodes, namespaces, persistentvolumeclaims,
// persistentvolumes and storageclasses informers (it registers them; start the factory after
// New).
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Scheduler {
	if opts.SchedulerName == "" {
		opts.SchedulerName = DefaultSchedulerName
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(opts.Clock.Now().UnixNano())
	}
	if opts.BindConcurrency <= 0 {
		opts.BindConcurrency = defaultBindConcurrency
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = defaultInitialBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = defaultMaxBackoff
	}
	if opts.UnschedulableRetry <= 0 {
		opts.UnschedulableRetry = opts.MaxBackoff
	}
	pods := factory.Core().V1().Pods()
	nodes := factory.Core().V1().Nodes()
	namespaces := factory.Core().V1().Namespaces()
	claimInformer := factory.Core().V1().PersistentVolumeClaims()
	volumes := factory.Core().V1().PersistentVolumes()
	classes := factory.Storage().V1().StorageClasses()

	s := &Scheduler{
		opts:      opts,
		client:    client,
		control:   clientControl{client: client},
		podLister: pods.Lister(),
		cache:     newSchedulerCache(),
		queue:     newSchedulingQueue(opts.Clock, opts.InitialBackoff, opts.MaxBackoff, opts.UnschedulableRetry),
		nominator: newNominator(),
		claims:    newAssumedClaims(),
		rnd:       randFromSeed(opts.Seed),
		slots:     make(chan struct{}, opts.BindConcurrency),
	}
	s.storage = &informerStorage{
		claims: claimInformer.Lister(), volumes: volumes.Lister(), classes: classes.Lister(),
		namespaces: namespaces.Lister(), assumed: s.claims,
	}
	s.broadcaster = record.NewBroadcaster()
	s.recorder = s.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: opts.SchedulerName})
	s.synced = []cache.InformerSynced{
		pods.Informer().HasSynced, nodes.Informer().HasSynced, namespaces.Informer().HasSynced,
		claimInformer.Informer().HasSynced, volumes.Informer().HasSynced, classes.Informer().HasSynced,
	}
	s.addEventHandlers(pods.Informer(), nodes.Informer(), claimInformer.Informer(), volumes.Informer(), classes.Informer())
	return s
}

// Run schedules pods until ctx ends, then waits for the writes in flight.
func (s *Scheduler) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	sink := s.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: s.client.CoreV1().Events("")})
	defer s.broadcaster.Shutdown()
	defer sink.Stop()
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	go s.queue.run(s.opts.Clock, flushInterval, ctx.Done())
	go func() {
		<-ctx.Done()
		s.queue.close()
	}()
	slog.Debug("scheduler started", "name", s.opts.SchedulerName)
	for s.scheduleOne(ctx) {
	}
	s.writes.Wait()
}

// randFromSeed is the tie-breaking source for a seed.
func randFromSeed(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// responsibleFor: the pod names this scheduler (or none).
func (s *Scheduler) responsibleFor(pod *corev1.Pod) bool {
	return pod.Spec.SchedulerName == s.opts.SchedulerName || pod.Spec.SchedulerName == ""
}

// snapshot is the cluster for one cycle: node infos from the cache, storage from the
// informers, nominations from the nominator. It reads no API.
func (s *Scheduler) snapshot() *clusterSnapshot {
	return newSnapshot(s.cache.nodeInfos(), s.storage, s.nominator.list())
}

// write runs f in the bounded pool of writers; it blocks while the pool is full, which slows
// the scheduling loop down to what the apiserver absorbs.
func (s *Scheduler) write(f func()) {
	s.slots <- struct{}{}
	s.writes.Add(1)
	go func() {
		defer func() {
			<-s.slots
			s.writes.Done()
		}()
		f()
	}()
}
