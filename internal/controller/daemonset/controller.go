package daemonset

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
	"k8s.io/utils/clock"

	"ordinal.dev/ordinal/internal/controller/wakeup"
)

// Options tune the controller; the zero value is production.
type Options struct {
	// Clock measures minReadySeconds and failed-pod back-off; tests pass a fake one.
	Clock clock.WithDelayedExecution
}

// Controller runs DaemonSets.
type Controller struct {
	client      kubernetes.Interface
	dsLister    appslisters.DaemonSetLister
	revLister   appslisters.ControllerRevisionLister
	podLister   corelisters.PodLister
	nodeLister  corelisters.NodeLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	clock       clock.WithDelayedExecution
	exp         *expectations
	backoff     *failedPodBackoff
	wake        *wakeup.Wakeups
}

// New builds the controller on shared informers for DaemonSets, ControllerRevisions, pods
// and nodes. Start the informers, then Run.
func New(client kubernetes.Interface, dsInformer appsinformers.DaemonSetInformer, revInformer appsinformers.ControllerRevisionInformer,
	podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer, opts Options) *Controller {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:      client,
		dsLister:    dsInformer.Lister(),
		revLister:   revInformer.Lister(),
		podLister:   podInformer.Lister(),
		nodeLister:  nodeInformer.Lister(),
		synced:      []cache.InformerSynced{dsInformer.Informer().HasSynced, revInformer.Informer().HasSynced, podInformer.Informer().HasSynced, nodeInformer.Informer().HasSynced},
		queue:       workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "daemonset"}),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "daemonset-controller"}),
		clock:       opts.Clock,
		exp:         newExpectations(),
		backoff:     newFailedPodBackoff(),
	}
	c.wake = wakeup.New(c.clock, c.queue.Add)

	dsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: func(obj any) {
			if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
				c.exp.forget(key)
				c.queue.Add(key)
			}
		},
	})
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.podChanged,
		UpdateFunc: func(old, cur any) {
			if old.(*corev1.Pod).ResourceVersion == cur.(*corev1.Pod).ResourceVersion {
				return
			}
			c.podChanged(old)
			c.podChanged(cur)
		},
		DeleteFunc: c.podChanged,
	})
	revInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.revisionChanged,
		UpdateFunc: func(_, cur any) { c.revisionChanged(cur) },
		DeleteFunc: c.revisionChanged,
	})
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.enqueueAll() },
		UpdateFunc: func(old, cur any) {
			c.nodeChanged(old.(*corev1.Node), cur.(*corev1.Node))
		},
		DeleteFunc: func(any) { c.enqueueAll() },
	})
	return c
}

// Run syncs DaemonSets with workers goroutines until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	go wait.Until(func() { c.backoff.gc(c.clock.Now()) }, time.Minute, ctx.Done())
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
		slog.Warn("daemonset controller", "daemonset", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	all, _ := c.dsLister.List(labels.Everything())
	for _, ds := range all {
		c.enqueue(ds)
	}
}

// podChanged enqueues the pod's DaemonSet, or, for an orphan, every DaemonSet that selects
// it (one may adopt it).
func (c *Controller) podChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ref.Kind != controllerKind.Kind {
			return
		}
		if ds, err := c.dsLister.DaemonSets(pod.Namespace).Get(ref.Name); err == nil && ds.UID == ref.UID {
			c.enqueue(ds)
		}
		return
	}
	if pod.DeletionTimestamp != nil {
		return
	}
	sets, _ := c.dsLister.DaemonSets(pod.Namespace).List(labels.Everything())
	for _, ds := range sets {
		sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			c.enqueue(ds)
		}
	}
}

func (c *Controller) revisionChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	rev, ok := obj.(*appsv1.ControllerRevision)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rev); ref != nil && ref.Kind == controllerKind.Kind {
		if ds, err := c.dsLister.DaemonSets(rev.Namespace).Get(ref.Name); err == nil && ds.UID == ref.UID {
			c.enqueue(ds)
		}
	}
}

// nodeChanged enqueues the DaemonSets whose verdict on the node changed.
func (c *Controller) nodeChanged(old, cur *corev1.Node) {
	if reflect.DeepEqual(old.Labels, cur.Labels) && reflect.DeepEqual(old.Spec.Taints, cur.Spec.Taints) {
		return
	}
	all, _ := c.dsLister.List(labels.Everything())
	for _, ds := range all {
		r1, c1 := nodeShouldRunDaemonPod(old, ds)
		r2, c2 := nodeShouldRunDaemonPod(cur, ds)
		if r1 != r2 || c1 != c2 {
			c.enqueue(ds)
		}
	}
}

// sync brings one DaemonSet's pods, revisions and status up to date.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	ds, err := c.dsLister.DaemonSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	if ds.Spec.Selector == nil || (len(ds.Spec.Selector.MatchLabels) == 0 && len(ds.Spec.Selector.MatchExpressions) == 0) {
		c.recorder.Event(ds, corev1.EventTypeWarning, reasonSelectingAll, "This daemon set is selecting all pods. A non-empty selector is required.")
		return nil
	}
	// Its revisions may be going away with it: status cannot be trusted, leave it alone.
	if ds.DeletionTimestamp != nil {
		return nil
	}
	nodes, err := c.nodeLister.List(labels.Everything())
	if err != nil {
		return err
	}
	cur, old, err := c.constructHistory(ctx, ds)
	if err != nil {
		return fmt.Errorf("revisions of DaemonSet %s: %w", key, err)
	}
	hash := cur.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	pods, err := c.daemonPods(ctx, ds)
	if err != nil {
		return err
	}
	in := syncInput{DS: ds, Nodes: nodes, NodeToPods: nodeToPods(pods), Hash: hash, Now: c.clock.Now(), Backoff: map[string]backoffEntry{}}
	for _, n := range nodes {
		if e, ok := c.backoff.get(backoffKey(ds, n.Name)); ok {
			in.Backoff[n.Name] = e
		}
	}

	satisfied := c.exp.satisfied(key, func(name string) (*corev1.Pod, bool) {
		p, err := c.podLister.Pods(ns).Get(name)
		return p, err == nil
	})
	var syncErr error
	var p syncPlan
	if satisfied {
		p = plan(in)
		syncErr = c.apply(ctx, key, ds, hash, p)
		if syncErr == nil {
			if err := c.cleanupHistory(ctx, ds, old, pods); err != nil {
				syncErr = fmt.Errorf("cleaning up revisions of DaemonSet %s: %w", key, err)
			}
		}
	}
	st := computeStatus(in)
	if !satisfied {
		// This sync did not act on the current spec.
		st.ObservedGeneration = ds.Status.ObservedGeneration
	}
	if err := c.updateStatus(ctx, ds, st); err != nil && syncErr == nil {
		syncErr = err
	}
	if p.RequeueAfter > 0 {
		c.wake.After(key, p.RequeueAfter)
	}
	return syncErr
}

// daemonPods lists the pods the DaemonSet controls, adopting and releasing as needed.
// Deleted pods that already finished are left out: only their finalizers keep them.
func (c *Controller) daemonPods(ctx context.Context, ds *appsv1.DaemonSet) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, err
	}
	all, err := c.podLister.Pods(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	cl := &claimer{
		owner: ds, kind: controllerKind, selector: sel,
		fresh: func(ctx context.Context) (metav1.Object, error) {
			return c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
		},
		patch: func(ctx context.Context, name string, data []byte) error {
			_, err := c.client.CoreV1().Pods(ds.Namespace).Patch(ctx, name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
			return err
		},
	}
	return claim(ctx, cl, all)
}

// nodeToPods groups pods by their target node.
func nodeToPods(pods []*corev1.Pod) map[string][]*corev1.Pod {
	out := map[string][]*corev1.Pod{}
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil && isPodTerminal(pod) {
			continue
		}
		node, err := targetNodeName(pod)
		if err != nil {
			continue
		}
		out[node] = append(out[node], pod)
	}
	return out
}

func backoffKey(ds *appsv1.DaemonSet, node string) string {
	return fmt.Sprintf("%s/%d/%s", ds.UID, ds.Status.ObservedGeneration, node)
}
