package endpoints

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"ordinal.dev/ordinal/internal/controller/endpointslice"
)

// Event reasons, as upstream.
const (
	reasonFailedToCreateEndpoint = "FailedToCreateEndpoint"
	reasonFailedToUpdateEndpoint = "FailedToUpdateEndpoint"
)

// leaderAnnotation marks Endpoints used as leader-election locks; they have no Service and
// must survive the leftover check.
const leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"

// Controller keeps the v1 Endpoints of Services with selectors.
type Controller struct {
	client      kubernetes.Interface
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	endpoints   corelisters.EndpointsLister
	synced      []cache.InformerSynced
	triggers    *endpointslice.TriggerTimeTracker
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
}

// New builds the Endpoints controller on the factory's Service, Pod and Endpoints
// informers; call it before the factory starts.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:      client,
		services:    factory.Core().V1().Services().Lister(),
		pods:        factory.Core().V1().Pods().Lister(),
		endpoints:   factory.Core().V1().Endpoints().Lister(),
		triggers:    endpointslice.NewTriggerTimeTracker(),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "endpoint-controller"}),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "endpoint"}),
	}
	svcInf := factory.Core().V1().Services().Informer()
	podInf := factory.Core().V1().Pods().Informer()
	epInf := factory.Core().V1().Endpoints().Informer()
	c.synced = []cache.InformerSynced{svcInf.HasSynced, podInf.HasSynced, epInf.HasSynced}
	if _, err := svcInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueObject, UpdateFunc: func(_, cur any) { c.enqueueObject(cur) }, DeleteFunc: c.enqueueObject,
	}); err != nil {
		return nil, err
	}
	if _, err := podInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
	}); err != nil {
		return nil, err
	}
	// A deleted Endpoints of a live Service is recreated.
	if _, err := epInf.AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.enqueueObject}); err != nil {
		return nil, err
	}
	return c, nil
}

// Run records events, waits for the caches, looks for Endpoints left without a Service and
// syncs Services with workers goroutines (5 upstream) until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.checkLeftoverEndpoints()
	for range workers {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processNext(ctx) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

// checkLeftoverEndpoints queues every Endpoints object, so that those whose Service was
// deleted while the controller was down are deleted too.
func (c *Controller) checkLeftoverEndpoints() {
	all, err := c.endpoints.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ep := range all {
		if _, ok := ep.Annotations[leaderAnnotation]; ok {
			continue
		}
		c.queue.Add(ep.Namespace + "/" + ep.Name)
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
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsConflict(errors.Unwrap(err)) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "endpoints sync failed", "service", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) enqueueObject(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) addPod(obj any) {
	if pod, ok := obj.(*v1.Pod); ok {
		for _, key := range endpointslice.ServicesSelecting(c.services, pod.Namespace, pod.Labels) {
			c.queue.Add(key)
		}
	}
}

func (c *Controller) updatePod(old, cur any) {
	for _, key := range endpointslice.ServicesToUpdateOnPodChange(c.services, old.(*v1.Pod), cur.(*v1.Pod)) {
		c.queue.Add(key)
	}
}

func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	c.addPod(obj)
}

// sync brings the Endpoints ns/name in line with its Service's pods.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.triggers.Forget(ns, name)
		if _, err := c.endpoints.Endpoints(ns).Get(name); apierrors.IsNotFound(err) {
			return nil
		}
		err := c.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	if svc.Spec.Type == v1.ServiceTypeExternalName || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	current, err := c.endpoints.Endpoints(ns).Get(name)
	if apierrors.IsNotFound(err) {
		current = nil
	} else if err != nil {
		return err
	}
	pods = sortedPods(pods)
	triggerTime := c.triggers.Compute(svc, pods)
	want, op := planEndpoints(svc, pods, current, triggerTime)
	switch op {
	case opCreate:
		if svc.DeletionTimestamp != nil {
			return nil
		}
		_, err = c.client.CoreV1().Endpoints(ns).Create(ctx, want, metav1.CreateOptions{})
		if apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause) {
			return nil
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			c.recorder.Eventf(want, v1.EventTypeWarning, reasonFailedToCreateEndpoint, "Failed to create endpoint for service %v/%v: %v", ns, name, err)
		}
	case opUpdate:
		_, err = c.client.CoreV1().Endpoints(ns).Update(ctx, want, metav1.UpdateOptions{})
		if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			c.recorder.Eventf(want, v1.EventTypeWarning, reasonFailedToUpdateEndpoint, "Failed to update endpoint %v/%v: %v", ns, name, err)
		}
	}
	if err != nil {
		return fmt.Errorf("endpoints %s: %w", key, err)
	}
	return nil
}
