package replicaset

import (
	"context"
	"errors"
	"log/slog"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// Controller keeps the pods of ReplicaSets (New) or of ReplicationControllers
// (NewReplicationManager) at their spec.replicas.
type Controller struct {
	kind          *kind
	client        kubernetes.Interface
	podIndexer    cache.Indexer
	podsSynced    cache.InformerSynced
	podControl    podControl
	expectations  *expectations
	queue         workqueue.TypedRateLimitingInterface[string]
	broadcaster   record.EventBroadcaster
	recorder      record.EventRecorder
	burstReplicas int
	now           func() time.Time
}

// New builds the ReplicaSet controller. It adds an index to the pod informer, so it must
// be called before the informer factory starts.
func New(client kubernetes.Interface, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer) (*Controller, error) {
	return newController(client, replicaSetKind(client, rsInformer), podInformer)
}

// NewReplicationManager builds the controller of v1 ReplicationControllers, the same
// logic as New's. It adds an index to the pod informer, so it must be called before the
// informer factory starts.
func NewReplicationManager(client kubernetes.Interface, rcInformer coreinformers.ReplicationControllerInformer, podInformer coreinformers.PodInformer) (*Controller, error) {
	return newController(client, replicationControllerKind(client, rcInformer), podInformer)
}

func newController(client kubernetes.Interface, k *kind, podInformer coreinformers.PodInformer) (*Controller, error) {
	if err := addPodControllerUIDIndex(podInformer.Informer()); err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster()
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: k.component})
	c := &Controller{
		kind:          k,
		client:        client,
		podIndexer:    podInformer.Informer().GetIndexer(),
		podsSynced:    podInformer.Informer().HasSynced,
		podControl:    realPodControl{client: client, recorder: recorder},
		expectations:  newExpectations(),
		broadcaster:   broadcaster,
		recorder:      recorder,
		burstReplicas: BurstReplicas,
		now:           time.Now,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: k.name}),
	}
	if _, err := k.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addOwner, UpdateFunc: c.updateOwner, DeleteFunc: c.deleteOwner,
	}); err != nil {
		return nil, err
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Run records events, waits for the caches and syncs owners with workers goroutines
// until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.podsSynced, c.kind.informer.HasSynced) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key); err != nil {
		// A conflict only means the cache had not caught up with a write yet.
		level := slog.LevelWarn
		if apierrors.IsConflict(err) || apierrors.IsConflict(errors.Unwrap(err)) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, c.kind.name+" sync failed", "key", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) enqueue(rs *apps.ReplicaSet) {
	c.queue.Add(rs.Namespace + "/" + rs.Name)
}

func (c *Controller) enqueueAfter(rs *apps.ReplicaSet, d time.Duration) {
	c.queue.AddAfter(rs.Namespace+"/"+rs.Name, d)
}
