package volume

import (
	"context"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// resyncPeriod is how often every claim and volume is looked at again even when nothing
// changed, as upstream: it retries what waits on the world (an external provisioner, a
// volume created by hand) and keeps waiting claims' events fresh.
const resyncPeriod = 15 * time.Second

// Options configure the controller.
type Options struct {
	// LocalPathRoot is the directory, the same on every node, under which local-path volumes
	// are made (<data-dir>/volumes for `ordinal up`); "" turns the provisioner off.
	LocalPathRoot string
	// SharedVolumeDirs are directories mounted at the same path on this machine and on every
	// node (absolute, other than /); the shared-path provisioner makes and reclaims volume
	// directories below them, and only there. None turns the provisioner off.
	SharedVolumeDirs []string
}

// Controller binds claims and volumes, provisions local-path and shared-path volumes,
// reclaims shared-path volumes, and runs the pvc- and pv-protection finalizers.
type Controller struct {
	client     kubernetes.Interface
	root       string
	sharedDirs []string
	now        func() time.Time

	volumes corelisters.PersistentVolumeLister
	claims  corelisters.PersistentVolumeClaimLister
	classes storagelisters.StorageClassLister
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	synced  []cache.InformerSynced

	// One worker per queue, as upstream: two claim syncs at once could offer one volume to
	// two claims. The API's resourceVersion checks would catch it, at the cost of retries.
	claimQueue  workqueue.TypedRateLimitingInterface[string]
	volumeQueue workqueue.TypedRateLimitingInterface[string]
	// reclaimQueue holds shared-path volumes whose directories may need reclaiming. It has a
	// worker of its own so that removing a large directory never holds up binding.
	reclaimQueue workqueue.TypedRateLimitingInterface[string]

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	// provisionerRecorder and sharedRecorder sign the local-path and shared-path
	// provisioners' events with their own names, as external provisioners do.
	provisionerRecorder record.EventRecorder
	sharedRecorder      record.EventRecorder
}

// New builds the controller on factory's informers for PersistentVolumes,
// PersistentVolumeClaims, StorageClasses, Pods and Nodes. Start the factory after New.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Controller {
	pvInformer := factory.Core().V1().PersistentVolumes()
	pvcInformer := factory.Core().V1().PersistentVolumeClaims()
	classInformer := factory.Storage().V1().StorageClasses()
	podInformer := factory.Core().V1().Pods()
	nodeInformer := factory.Core().V1().Nodes()
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:     client,
		root:       opts.LocalPathRoot,
		sharedDirs: append([]string(nil), opts.SharedVolumeDirs...),
		now:        time.Now,
		volumes:    pvInformer.Lister(),
		claims:     pvcInformer.Lister(),
		classes:    classInformer.Lister(),
		pods:       podInformer.Lister(),
		nodes:      nodeInformer.Lister(),
		synced: []cache.InformerSynced{
			pvInformer.Informer().HasSynced, pvcInformer.Informer().HasSynced, classInformer.Informer().HasSynced,
			podInformer.Informer().HasSynced, nodeInformer.Informer().HasSynced,
		},
		claimQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "claims"}),
		volumeQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "volumes"}),
		reclaimQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "shared-path-reclaim"}),
		broadcaster:         broadcaster,
		recorder:            broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: controllerComponent}),
		provisionerRecorder: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Provisioner}),
		sharedRecorder:      broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: SharedPathProvisioner}),
	}
	pvcInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueClaim,
		UpdateFunc: func(_, obj any) { c.enqueueClaim(obj) },
		DeleteFunc: c.claimDeleted,
	})
	pvInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.volumeChanged,
		UpdateFunc: func(old, obj any) {
			c.volumeChanged(obj)
			c.volumeFreed(old, obj)
		},
		DeleteFunc: c.volumeChanged,
	})
	classInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.enqueueUnboundClaims() },
		UpdateFunc: func(any, any) { c.enqueueUnboundClaims() },
	})
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { c.podChanged(obj) },
		DeleteFunc: c.podChanged,
	})
	return c
}

// Run syncs claims and volumes until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.claimQueue.ShutDown()
	defer c.volumeQueue.ShutDown()
	defer c.reclaimQueue.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.process(ctx, c.claimQueue, c.syncClaim) {
		}
	}, time.Second)
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.process(ctx, c.volumeQueue, c.syncVolume) {
		}
	}, time.Second)
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.process(ctx, c.reclaimQueue, c.syncSharedReclaim) {
		}
	}, time.Second)
	go wait.UntilWithContext(ctx, func(context.Context) { c.resync() }, resyncPeriod)
	<-ctx.Done()
}

func (c *Controller) process(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], sync func(context.Context, string) error) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	if err := sync(ctx, key); err != nil {
		// A conflict only means our cache was behind our own last write: retry quietly.
		level := slog.LevelWarn
		if apierrors.IsConflict(err) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "persistentvolume controller", "key", key, "err", err)
		queue.AddRateLimited(key)
		return true
	}
	queue.Forget(key)
	return true
}

// resync queues every claim and volume.
func (c *Controller) resync() {
	claims, _ := c.claims.List(labels.Everything())
	for _, claim := range claims {
		c.enqueueClaim(claim)
	}
	volumes, _ := c.volumes.List(labels.Everything())
	for _, pv := range volumes {
		c.volumeQueue.Add(pv.Name)
		if IsSharedVolume(pv) {
			c.reclaimQueue.Add(pv.Name)
		}
	}
}

// recorderFor is the recorder that signs events as provisioner ("" or another's name: the
// controller).
func (c *Controller) recorderFor(provisioner string) record.EventRecorder {
	switch provisioner {
	case Provisioner:
		return c.provisionerRecorder
	case SharedPathProvisioner:
		return c.sharedRecorder
	}
	return c.recorder
}

func (c *Controller) enqueueClaim(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.claimQueue.Add(key)
	}
}

// claimDeleted syncs the volume of a claim that is gone: it is now Released.
func (c *Controller) claimDeleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if claim, ok := obj.(*corev1.PersistentVolumeClaim); ok && claim.Spec.VolumeName != "" {
		c.volumeQueue.Add(claim.Spec.VolumeName)
	}
}

// volumeChanged syncs the volume and the claim it points at: a provisioned volume appears
// pre-bound, and its claim's sync completes the binding; a vanished one makes its claim Lost.
func (c *Controller) volumeChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pv, ok := obj.(*corev1.PersistentVolume)
	if !ok {
		return
	}
	c.volumeQueue.Add(pv.Name)
	if IsSharedVolume(pv) {
		c.reclaimQueue.Add(pv.Name)
	}
	if ref := pv.Spec.ClaimRef; ref != nil {
		c.claimQueue.Add(ref.Namespace + "/" + ref.Name)
	}
}

// volumeFreed looks again at waiting claims when a volume becomes Available to them, rather
// than leaving them to the next resync as upstream does.
func (c *Controller) volumeFreed(old, obj any) {
	before, ok1 := old.(*corev1.PersistentVolume)
	after, ok2 := obj.(*corev1.PersistentVolume)
	if ok1 && ok2 && after.Status.Phase == corev1.VolumeAvailable && before.Status.Phase != corev1.VolumeAvailable {
		c.enqueueUnboundClaims()
	}
}

// enqueueUnboundClaims looks again at claims waiting for a class: one just created, or a
// new default for claims without a class.
func (c *Controller) enqueueUnboundClaims() {
	claims, _ := c.claims.List(labels.Everything())
	for _, claim := range claims {
		if _, done := claim.Annotations[AnnBindCompleted]; !done {
			c.enqueueClaim(claim)
		}
	}
}

// podChanged lets a claim waiting on pvc-protection go once its last pod finishes or goes.
func (c *Controller) podChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	for _, name := range podClaimNames(pod) {
		claim, err := c.claims.PersistentVolumeClaims(pod.Namespace).Get(name)
		if err == nil && claim.DeletionTimestamp != nil {
			c.claimQueue.Add(pod.Namespace + "/" + name)
		}
	}
}
