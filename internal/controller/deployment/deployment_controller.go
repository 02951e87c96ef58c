package deployment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"ordinal.dev/ordinal/internal/controller/replicaset"
)

// controllerKind is the kind of the controller references on ReplicaSets.
var controllerKind = apps.SchemeGroupVersion.WithKind("Deployment")

// Controller rolls Deployments out through their ReplicaSets.
type Controller struct {
	client      kubernetes.Interface
	dLister     appslisters.DeploymentLister
	rsLister    appslisters.ReplicaSetLister
	podLister   corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	now         func() time.Time
}

// New builds the Deployment controller on shared informers of Deployments, ReplicaSets
// and pods.
func New(client kubernetes.Interface, dInformer appsinformers.DeploymentInformer, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer) (*Controller, error) {
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:      client,
		dLister:     dInformer.Lister(),
		rsLister:    rsInformer.Lister(),
		podLister:   podInformer.Lister(),
		synced:      []cache.InformerSynced{dInformer.Informer().HasSynced, rsInformer.Informer().HasSynced, podInformer.Informer().HasSynced},
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "deployment-controller"}),
		now:         time.Now,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "deployment"}),
	}
	handlers := []struct {
		informer cache.SharedIndexInformer
		funcs    cache.ResourceEventHandlerFuncs
	}{
		{dInformer.Informer(), cache.ResourceEventHandlerFuncs{AddFunc: c.addDeployment, UpdateFunc: c.updateDeployment, DeleteFunc: c.deleteDeployment}},
		{rsInformer.Informer(), cache.ResourceEventHandlerFuncs{AddFunc: c.addReplicaSet, UpdateFunc: c.updateReplicaSet, DeleteFunc: c.deleteReplicaSet}},
		{podInformer.Informer(), cache.ResourceEventHandlerFuncs{DeleteFunc: c.deletePod}},
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.funcs); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Run records events, waits for the caches and syncs Deployments with workers
// goroutines until ctx ends.
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
	p, err := c.sync(ctx, key)
	switch {
	case errors.Is(err, errResyncNow):
		c.queue.Forget(key)
		c.queue.Add(key)
	case err != nil:
		// A conflict only means the cache had not caught up with a write yet.
		level := slog.LevelWarn
		if apierrors.IsConflict(err) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "deployment sync failed", "key", key, "err", err)
		c.queue.AddRateLimited(key)
	default:
		c.queue.Forget(key)
		if p.requeueRateLimited {
			c.queue.AddRateLimited(key)
		} else if p.requeueAfter > 0 {
			c.queue.AddAfter(key, p.requeueAfter)
		}
	}
	return true
}

// sync reads the Deployment ns/name and what it controls, plans one step and executes
// it. An error means "retry with backoff".
func (c *Controller) sync(ctx context.Context, key string) (plan, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return plan{}, nil
	}
	d, err := c.dLister.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return plan{}, nil
	}
	if err != nil {
		return plan{}, err
	}
	in := input{deployment: d, now: c.now()}
	// An empty selector would claim every ReplicaSet of the namespace.
	if !isSelectingAll(d) {
		if in.rsList, err = c.getReplicaSetsForDeployment(ctx, d); err != nil {
			return plan{}, err
		}
		if in.podMap, err = c.getPodMapForDeployment(d, in.rsList); err != nil {
			return plan{}, err
		}
	}
	p := planSync(in)
	if err := c.execute(ctx, d, p.actions); err != nil {
		return p, err
	}
	return p, p.err
}

// getReplicaSetsForDeployment claims the ReplicaSets d selects: adopting orphans,
// releasing its own that no longer match.
func (c *Controller) getReplicaSetsForDeployment(ctx context.Context, d *apps.Deployment) ([]*apps.ReplicaSet, error) {
	all, err := c.rsLister.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s has invalid label selector: %w", d.Namespace, d.Name, err)
	}
	claimer := &replicaset.Claimer[*apps.ReplicaSet]{
		Owner:    d,
		OwnerRef: *metav1.NewControllerRef(d, controllerKind),
		Kind:     "ReplicaSet",
		Match:    func(rs *apps.ReplicaSet) bool { return selector.Matches(labels.Set(rs.Labels)) },
		CanAdopt: replicaset.RecheckOwner("Deployment", d, func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
		}),
		Patch: func(ctx context.Context, rs *apps.ReplicaSet, patch []byte) error {
			_, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
	}
	return claimer.Claim(ctx, all)
}

// getPodMapForDeployment groups the pods d selects by the ReplicaSet that controls
// them. Terminating and terminal pods are kept: Recreate waits for old pods to stop.
func (c *Controller) getPodMapForDeployment(d *apps.Deployment, rsList []*apps.ReplicaSet) (map[types.UID][]*v1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	pods, err := c.podLister.Pods(d.Namespace).List(selector)
	if err != nil {
		return nil, err
	}
	podMap := make(map[types.UID][]*v1.Pod, len(rsList))
	for _, rs := range rsList {
		podMap[rs.UID] = []*v1.Pod{}
	}
	for _, pod := range pods {
		ref := metav1.GetControllerOfNoCopy(pod)
		if ref == nil {
			continue
		}
		if _, ok := podMap[ref.UID]; ok {
			podMap[ref.UID] = append(podMap[ref.UID], pod)
		}
	}
	return podMap, nil
}

func (c *Controller) enqueue(d *apps.Deployment) {
	c.queue.Add(d.Namespace + "/" + d.Name)
}
