package endpointslice

import (
	"context"
	"errors"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// leaderAnnotation marks Endpoints used as leader-election locks by old components; they
// are not endpoints of anything and are never mirrored.
const leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"

// MirroringController mirrors the Endpoints of Services without a selector into
// EndpointSlices, so that slice consumers see hand-made endpoints too.
type MirroringController struct {
	client    kubernetes.Interface
	services  corelisters.ServiceLister
	endpoints corelisters.EndpointsLister
	slices    discoverylisters.EndpointSliceLister
	synced    []cache.InformerSynced
	tracker   *sliceTracker
	queue     workqueue.TypedRateLimitingInterface[string]
}

// NewMirroring builds the mirroring controller on the factory's Service, Endpoints and
// EndpointSlice informers; call it before the factory starts.
func NewMirroring(client kubernetes.Interface, factory informers.SharedInformerFactory) (*MirroringController, error) {
	c := &MirroringController{
		client:    client,
		services:  factory.Core().V1().Services().Lister(),
		endpoints: factory.Core().V1().Endpoints().Lister(),
		slices:    factory.Discovery().V1().EndpointSlices().Lister(),
		tracker:   newSliceTracker(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint_slice_mirroring"}),
	}
	svcInf := factory.Core().V1().Services().Informer()
	epInf := factory.Core().V1().Endpoints().Informer()
	sliceInf := factory.Discovery().V1().EndpointSlices().Informer()
	c.synced = []cache.InformerSynced{svcInf.HasSynced, epInf.HasSynced, sliceInf.HasSynced}
	byKey := cache.ResourceEventHandlerFuncs{AddFunc: c.enqueueObject, UpdateFunc: func(_, cur any) { c.enqueueObject(cur) }, DeleteFunc: c.enqueueObject}
	if _, err := svcInf.AddEventHandler(byKey); err != nil {
		return nil, err
	}
	if _, err := epInf.AddEventHandler(byKey); err != nil {
		return nil, err
	}
	if _, err := sliceInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.onSlice,
		UpdateFunc: func(_, cur any) { c.onSlice(cur) },
		DeleteFunc: c.onSliceDelete,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Run waits for the caches and mirrors with workers goroutines until ctx ends.
func (c *MirroringController) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processNext(ctx) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

func (c *MirroringController) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key); err != nil {
		level := slog.LevelWarn
		if errors.Is(err, errStaleCache) || apierrors.IsConflict(err) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "endpointslice mirroring failed", "endpoints", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *MirroringController) enqueueObject(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *MirroringController) onSlice(obj any) {
	s, ok := obj.(*discovery.EndpointSlice)
	if ok && s.Labels[discovery.LabelManagedBy] == MirroringControllerName && c.tracker.shouldSync(s) {
		c.queue.AddAfter(serviceKeyOf(s), sliceChangeMinSyncDelay)
	}
}

func (c *MirroringController) onSliceDelete(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	s, ok := obj.(*discovery.EndpointSlice)
	if ok && s.Labels[discovery.LabelManagedBy] == MirroringControllerName && !c.tracker.observedDeletion(s) {
		c.queue.AddAfter(serviceKeyOf(s), sliceChangeMinSyncDelay)
	}
}

// sync mirrors the Endpoints ns/name, or removes its mirrored slices when it should not be
// mirrored (no such Service, a Service with a selector, no Endpoints, or opted out).
func (c *MirroringController) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	existing, err := c.slices.EndpointSlices(ns).List(labels.Set{
		discovery.LabelServiceName: name,
		discovery.LabelManagedBy:   MirroringControllerName,
	}.AsSelectorPreValidated())
	if err != nil {
		return err
	}
	existing = dropDeleting(existing)
	if c.tracker.stale(key, existing) {
		return errStaleCache
	}
	ep, mirror := c.toMirror(ns, name)
	var plan slicePlan
	if mirror {
		plan = planMirroredSlices(ep, existing, MaxEndpointsPerSlice)
	} else {
		plan.delete = existing
	}
	return writeSlices(ctx, c.client, c.tracker, ns, "Endpoints "+key, plan)
}

// toMirror returns the Endpoints ns/name if it is to be mirrored.
func (c *MirroringController) toMirror(ns, name string) (*v1.Endpoints, bool) {
	svc, err := c.services.Services(ns).Get(name)
	if err != nil || len(svc.Spec.Selector) > 0 {
		return nil, false
	}
	ep, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil {
		return nil, false
	}
	if ep.Labels[discovery.LabelSkipMirror] == "true" {
		return nil, false
	}
	if _, ok := ep.Annotations[leaderAnnotation]; ok {
		return nil, false
	}
	return ep, true
}
