package endpointslice

import (
	"context"
	"errors"
	"fmt"
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
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// Event reasons, as upstream.
const (
	reasonFailedToUpdateEndpointSlices = "FailedToUpdateEndpointSlices"
)

// sliceChangeMinSyncDelay delays the sync that a change made by someone else to one of our
// slices triggers, as upstream's endpointSliceChangeMinSyncDelay: such changes come in
// bursts (a user deleting all slices) and one sync repairs them all.
const sliceChangeMinSyncDelay = time.Second

// errStaleCache means the slice cache is behind this controller's own writes; the sync is
// retried once it catches up.
var errStaleCache = errors.New("endpointslice: EndpointSlice informer cache is out of date")

// Controller keeps the EndpointSlices of Services with selectors.
type Controller struct {
	client      kubernetes.Interface
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	nodes       corelisters.NodeLister
	slices      discoverylisters.EndpointSliceLister
	synced      []cache.InformerSynced
	tracker     *sliceTracker
	triggers    *TriggerTimeTracker
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	maxPerSlice int
}

// New builds the EndpointSlice controller on the factory's Service, Pod, Node and
// EndpointSlice informers; call it before the factory starts.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:      client,
		services:    factory.Core().V1().Services().Lister(),
		pods:        factory.Core().V1().Pods().Lister(),
		nodes:       factory.Core().V1().Nodes().Lister(),
		slices:      factory.Discovery().V1().EndpointSlices().Lister(),
		tracker:     newSliceTracker(),
		triggers:    NewTriggerTimeTracker(),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "endpointslice-controller"}),
		maxPerSlice: MaxEndpointsPerSlice,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint_slice"}),
	}
	svcInf := factory.Core().V1().Services().Informer()
	podInf := factory.Core().V1().Pods().Informer()
	sliceInf := factory.Discovery().V1().EndpointSlices().Informer()
	nodeInf := factory.Core().V1().Nodes().Informer()
	c.synced = []cache.InformerSynced{svcInf.HasSynced, podInf.HasSynced, sliceInf.HasSynced, nodeInf.HasSynced}
	handlers := []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandler
	}{
		{svcInf, cache.ResourceEventHandlerFuncs{AddFunc: c.enqueueObject, UpdateFunc: func(_, cur any) { c.enqueueObject(cur) }, DeleteFunc: c.enqueueObject}},
		{podInf, cache.ResourceEventHandlerFuncs{AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod}},
		{sliceInf, cache.ResourceEventHandlerFuncs{AddFunc: c.addSlice, UpdateFunc: c.updateSlice, DeleteFunc: c.deleteSlice}},
	}
	for _, x := range handlers {
		if _, err := x.inf.AddEventHandler(x.h); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Run records events, waits for the caches and syncs Services with workers goroutines (5
// upstream) until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
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
		level := slog.LevelWarn
		if errors.Is(err, errStaleCache) || apierrors.IsConflict(err) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "endpointslice sync failed", "service", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

// sync brings the slices of the Service ns/name in line with its pods.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		// The garbage collector deletes the slices through their owner references.
		c.triggers.Forget(ns, name)
		c.tracker.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	// ExternalName Services have no endpoints (https://issues.k8s.io/105986); Services
	// without a selector get theirs from whoever manages them.
	if svc.Spec.Type == v1.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	existing, err := c.slices.EndpointSlices(ns).List(labels.Set{
		discovery.LabelServiceName: name,
		discovery.LabelManagedBy:   ControllerName,
	}.AsSelectorPreValidated())
	if err != nil {
		return err
	}
	existing = dropDeleting(existing)
	if c.tracker.stale(key, existing) {
		c.tracker.wait(key)
		return errStaleCache
	}
	triggerTime := c.triggers.Compute(svc, pods)
	plan := planSlices(svc, pods, c.nodeZone, existing, c.maxPerSlice, triggerTime)
	if err := c.apply(ctx, svc, plan); err != nil {
		c.recorder.Eventf(svc, v1.EventTypeWarning, reasonFailedToUpdateEndpointSlices,
			"Error updating Endpoint Slices for Service %s/%s: %v", ns, name, err)
		return err
	}
	if len(plan.missingNodes) > 0 {
		return fmt.Errorf("pods of Service %s/%s left out: node(s) %v not found", ns, name, plan.missingNodes)
	}
	return nil
}

// apply writes a plan: creations, then updates, then deletions, so that an endpoint moving
// between slices is never absent in between.
func (c *Controller) apply(ctx context.Context, svc *v1.Service, plan slicePlan) error {
	return writeSlices(ctx, c.client, c.tracker, svc.Namespace, "Service "+svc.Namespace+"/"+svc.Name, plan)
}

// nodeZone reads a node's zone label from the cache.
func (c *Controller) nodeZone(name string) (string, bool) {
	node, err := c.nodes.Get(name)
	if err != nil {
		return "", false
	}
	return node.Labels[v1.LabelTopologyZone], true
}

func dropDeleting(in []*discovery.EndpointSlice) []*discovery.EndpointSlice {
	out := make([]*discovery.EndpointSlice, 0, len(in))
	for _, s := range in {
		if s.DeletionTimestamp == nil {
			out = append(out, s)
		}
	}
	return out
}
