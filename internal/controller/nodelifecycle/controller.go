package nodelifecycle

import (
	"context"
	"log/slog"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"ordinal.dev/ordinal/internal/controller/wakeup"
)

// passKey is the queue's only key: every pass looks at the whole cluster, because zone
// disruption is a property of all nodes together.
const passKey = "pass"

// Controller is the node lifecycle controller (with upstream's taint eviction controller
// and ordinal's StatefulSet failover).
type Controller struct {
	client      kubernetes.Interface
	opts        Options
	nodeLister  corelisters.NodeLister
	leaseLister coordinationlisters.LeaseLister
	podLister   corelisters.PodLister
	synced      []cache.InformerSynced

	queue       workqueue.TypedRateLimitingInterface[string]
	wake        *wakeup.Wakeups
	broadcaster record.EventBroadcaster
	recorders   map[string]record.EventRecorder // by event source

	// memory is only touched by the single worker.
	memory memory
}

// New builds the controller on the factory's Node, Lease and Pod informers (it registers
// them; start the factory after New), then Run it.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) *Controller {
	opts = opts.withDefaults()
	nodes := factory.Core().V1().Nodes()
	leases := factory.Coordination().V1().Leases()
	pods := factory.Core().V1().Pods()
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client: client, opts: opts,
		nodeLister: nodes.Lister(), leaseLister: leases.Lister(), podLister: pods.Lister(),
		synced: []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced, pods.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodelifecycle"}),
		broadcaster: broadcaster,
		recorders: map[string]record.EventRecorder{
			sourceNodeController: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: sourceNodeController}),
			sourceTaintEviction:  broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: sourceTaintEviction}),
		},
		memory: newMemory(),
	}
	c.wake = wakeup.New(opts.Clock, c.queue.Add)
	enqueue := func(any) { c.queue.Add(passKey) }

	// A heartbeat is observed when the pass runs, so passes follow node and lease changes
	// at once rather than waiting for the monitor period.
	nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, DeleteFunc: enqueue,
		UpdateFunc: func(old, cur any) {
			if old.(*corev1.Node).ResourceVersion != cur.(*corev1.Node).ResourceVersion {
				c.queue.Add(passKey)
			}
		},
	})
	leases.Informer().AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: isNodeLease,
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: enqueue, DeleteFunc: enqueue,
			UpdateFunc: func(old, cur any) {
				if old.(*coordinationv1.Lease).ResourceVersion != cur.(*coordinationv1.Lease).ResourceVersion {
					c.queue.Add(passKey)
				}
			},
		},
	})
	pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
				c.queue.Add(passKey)
			}
		},
		UpdateFunc: func(old, cur any) {
			if c.podMatters(old.(*corev1.Pod), cur.(*corev1.Pod)) {
				c.queue.Add(passKey)
			}
		},
		DeleteFunc: enqueue,
	})
	return c
}

// isNodeLease keeps the Leases of kube-node-lease (the factory watches every namespace).
func isNodeLease(obj any) bool {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	l, ok := obj.(*coordinationv1.Lease)
	return ok && l.Namespace == corev1.NamespaceNodeLease
}

// podMatters tells the pod updates a pass must follow from status churn: binding, a
// deletion starting, tolerations, or any change on a node that is not Ready.
func (c *Controller) podMatters(old, cur *corev1.Pod) bool {
	switch {
	case cur.Spec.NodeName == "":
		return false
	case old.Spec.NodeName != cur.Spec.NodeName, (old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil),
		!apiequality.Semantic.DeepEqual(old.Spec.Tolerations, cur.Spec.Tolerations):
		return true
	}
	node, err := c.nodeLister.Get(cur.Spec.NodeName)
	return err != nil || readyStatus(node) != corev1.ConditionTrue
}

// Run passes over the cluster whenever something changed, when a deadline falls due, and
// every NodeMonitorPeriod, until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	go c.worker(ctx)
	ticker := c.opts.Clock.NewTicker(c.opts.NodeMonitorPeriod)
	defer ticker.Stop()
	c.queue.Add(passKey)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
			c.queue.Add(passKey)
		}
	}
}

// worker is the only goroutine that passes: passes never overlap.
func (c *Controller) worker(ctx context.Context) {
	for {
		key, quit := c.queue.Get()
		if quit {
			return
		}
		if err := c.pass(ctx); err != nil {
			slog.Warn("node lifecycle controller", "err", err)
			c.queue.AddRateLimited(key)
		} else {
			c.queue.Forget(key)
		}
		c.queue.Done(key)
	}
}

// pass reads the informers, plans and applies. The memory moves on even when a write
// fails: observations are facts, and the writes are re-derived from the next pass.
func (c *Controller) pass(ctx context.Context) error {
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return err
	}
	leaseList, err := c.leaseLister.Leases(corev1.NamespaceNodeLease).List(labels.Everything())
	if err != nil {
		return err
	}
	leases := make(map[string]*coordinationv1.Lease, len(leaseList))
	for _, l := range leaseList {
		leases[l.Name] = l
	}
	podList, err := c.podLister.List(labels.Everything())
	if err != nil {
		return err
	}
	pods := map[string][]*corev1.Pod{}
	for _, p := range podList {
		if p.Spec.NodeName != "" {
			pods[p.Spec.NodeName] = append(pods[p.Spec.NodeName], p)
		}
	}
	acts := plan(input{Now: c.opts.Clock.Now(), Nodes: nodes, Leases: leases, Pods: pods, Memory: c.memory, Opts: c.opts})
	c.memory = acts.Memory
	err = c.apply(ctx, acts)
	if acts.RequeueAfter > 0 {
		c.wake.After(passKey, acts.RequeueAfter)
	}
	return err
}
