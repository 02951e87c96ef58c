package nodeipam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// Event reasons, as upstream's range allocator records them.
const (
	reasonCIDRNotAvailable     = "CIDRNotAvailable"
	reasonCIDRAssignmentFailed = "CIDRAssignmentFailed"
)

// Options configure the controller.
type Options struct {
	// ClusterCIDR is the range node subnets come from (default 10.42.0.0/16).
	ClusterCIDR string
	// NodeMaskSize is the size of each node's subnet (default 24).
	NodeMaskSize int
}

// Controller assigns pod CIDRs to nodes.
type Controller struct {
	client kubernetes.Interface
	lister corelisters.NodeLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	opts   Options

	// reserved holds CIDRs this controller assigned that the cache may not show yet, by
	// node name, so two nodes arriving together never get the same subnet.
	mu       sync.Mutex
	reserved map[string]string

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
}

// New builds the controller; the options are checked here so a bad flag fails at start.
func New(client kubernetes.Interface, informer coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if opts.ClusterCIDR == "" {
		opts.ClusterCIDR = DefaultClusterCIDR
	}
	if opts.NodeMaskSize == 0 {
		opts.NodeMaskSize = DefaultNodeMaskSize
	}
	if _, err := newSubnets(opts.ClusterCIDR, opts.NodeMaskSize); err != nil {
		return nil, err
	}
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client: client, lister: informer.Lister(), synced: informer.Informer().HasSynced, opts: opts,
		queue:       workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeipam"}),
		reserved:    map[string]string{},
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "cidrAllocator"}),
	}
	enqueue := func(obj any) {
		if node, ok := obj.(*corev1.Node); ok {
			c.queue.Add(node.Name)
		}
	}
	_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if node, ok := obj.(*corev1.Node); ok {
				c.mu.Lock()
				delete(c.reserved, node.Name)
				c.mu.Unlock()
			}
		},
	})
	return c, nil
}

// Run assigns CIDRs until ctx ends. One worker: allocation is sequential by design.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.processNext(ctx) {
		}
	}, time.Second)
	<-ctx.Done()
}

func (c *Controller) processNext(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	if err := c.sync(ctx, name); err != nil {
		slog.Warn("nodeipam", "node", name, "err", err)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if node.Spec.PodCIDR != "" {
		c.mu.Lock()
		delete(c.reserved, name) // the cache shows it now
		c.mu.Unlock()
		return nil
	}
	nodes, err := c.lister.List(labels.Everything())
	if err != nil {
		return err
	}
	used := usedCIDRs(nodes)
	c.mu.Lock()
	if cidr, ok := c.reserved[name]; ok {
		// Assigned already; the cache has not caught up. Assigning again would be refused
		// ("may not change once set") or, worse, hand out a second subnet.
		c.mu.Unlock()
		return c.patch(ctx, node, cidr)
	}
	for n, cidr := range c.reserved {
		if n != name {
			used[cidr] = true
		}
	}
	c.mu.Unlock()

	cidr, err := Plan(node, used, c.opts.ClusterCIDR, c.opts.NodeMaskSize)
	if errors.Is(err, ErrCIDRExhausted) {
		c.recorder.Eventf(nodeRef(node), corev1.EventTypeNormal, reasonCIDRNotAvailable, "Node %s status is now: %s", node.Name, reasonCIDRNotAvailable)
		return err
	}
	if err != nil || cidr == "" {
		return err
	}
	c.mu.Lock()
	c.reserved[name] = cidr
	c.mu.Unlock()
	return c.patch(ctx, node, cidr)
}

func (c *Controller) patch(ctx context.Context, node *corev1.Node, cidr string) error {
	patch, _ := json.Marshal(map[string]any{
		"spec": map[string]any{"podCIDR": cidr, "podCIDRs": []string{cidr}},
	})
	_, err := c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "nodeipam"})
	if apierrors.IsNotFound(err) {
		c.mu.Lock()
		delete(c.reserved, node.Name)
		c.mu.Unlock()
		return nil
	}
	if err != nil {
		c.recorder.Eventf(nodeRef(node), corev1.EventTypeWarning, reasonCIDRAssignmentFailed, "Node %s status is now: %s", node.Name, reasonCIDRAssignmentFailed)
		return fmt.Errorf("assigning pod CIDR %s to node %s: %w", cidr, node.Name, err)
	}
	slog.Debug("nodeipam: assigned pod CIDR", "node", node.Name, "cidr", cidr)
	return nil
}

// nodeRef is how upstream refers to nodes in events: the UID is the node's name.
func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: node.Name, UID: types.UID(node.Name)}
}
