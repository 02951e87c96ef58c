package statefulset

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
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
)

// Controller runs StatefulSets: it keeps each set's pods, claims, revisions and status as
// the set's spec says.
type Controller struct {
	client      kubernetes.Interface
	om          *apiObjectManager
	control     *statefulSetControl
	recent      *recentWrites
	broadcaster record.EventBroadcaster

	setLister      appslisters.StatefulSetLister
	podLister      corelisters.PodLister
	claimLister    corelisters.PersistentVolumeClaimLister
	revisionLister appslisters.ControllerRevisionLister
	synced         []cache.InformerSynced

	queue workqueue.TypedRateLimitingInterface[string]
	now   func() time.Time
}

// New builds the controller on shared informers for StatefulSets, Pods,
// PersistentVolumeClaims and ControllerRevisions. Start the informer factory and call Run.
func New(client kubernetes.Interface, setInformer appsinformers.StatefulSetInformer, podInformer coreinformers.PodInformer,
	claimInformer coreinformers.PersistentVolumeClaimInformer, revisionInformer appsinformers.ControllerRevisionInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "statefulset-controller"})
	recent := newRecentWrites()
	om := &apiObjectManager{client: client, recent: recent}
	c := &Controller{
		client:         client,
		om:             om,
		control:        newStatefulSetControl(om, recorder),
		recent:         recent,
		broadcaster:    broadcaster,
		setLister:      setInformer.Lister(),
		podLister:      podInformer.Lister(),
		claimLister:    claimInformer.Lister(),
		revisionLister: revisionInformer.Lister(),
		synced: []cache.InformerSynced{setInformer.Informer().HasSynced, podInformer.Informer().HasSynced,
			claimInformer.Informer().HasSynced, revisionInformer.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "statefulset"}),
		now: time.Now,
	}
	setInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.observed(resourceSets, obj, false); c.enqueue(obj) },
		UpdateFunc: func(_, obj any) {
			c.observed(resourceSets, obj, false)
			c.enqueue(obj)
		},
		DeleteFunc: func(obj any) { c.observed(resourceSets, obj, true); c.enqueue(obj) },
	})
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addPod,
		UpdateFunc: c.updatePod,
		DeleteFunc: c.deletePod,
	})
	claimInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observed(resourceClaims, obj, false) },
		UpdateFunc: c.updateClaim,
		DeleteFunc: c.deleteClaim,
	})
	revisionInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observed(resourceRevisions, obj, false) },
		UpdateFunc: func(_, obj any) { c.observed(resourceRevisions, obj, false) },
		DeleteFunc: func(obj any) { c.observed(resourceRevisions, obj, true) },
	})
	return c
}

// Run syncs StatefulSets with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	after, err := c.sync(ctx, key)
	if err != nil {
		// A first failure is usually a cache a moment behind (AlreadyExists, Conflict) and
		// clears on the retry; one that keeps coming back is worth the user's attention.
		level := slog.LevelDebug
		if c.queue.NumRequeues(key) >= 3 {
			level = slog.LevelWarn
		}
		slog.Log(ctx, level, "statefulset controller: sync failed, retrying", "statefulset", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if after > 0 {
		c.queue.AddAfter(key, after)
	}
	return true
}

// sync brings the set named by key one step closer to its spec and returns when to look
// again (0: when something changes).
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	set, err := c.setLister.StatefulSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	set = freshest(c.recent, resourceSets, set)
	selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil || set.Spec.Replicas == nil {
		// Validation prevents this; retrying cannot fix it.
		utilruntime.HandleError(fmt.Errorf("StatefulSet %s has an invalid spec: selector error %v", key, err))
		return 0, nil
	}

	revisions, err := c.revisionLister.ControllerRevisions(namespace).List(selector)
	if err != nil {
		return 0, err
	}
	revisions = mergeRecent(c.recent, resourceRevisions, namespace, revisions, dropDeleted[*apps.ControllerRevision])
	pods, err := c.podLister.Pods(namespace).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	pods = mergeRecent(c.recent, resourcePods, namespace, pods, markTerminating)
	claims, err := c.claimLister.PersistentVolumeClaims(namespace).List(labels.Everything())
	if err != nil {
		return 0, err
	}
	claims = mergeRecent(c.recent, resourceClaims, namespace, claims, dropDeleted[*v1.PersistentVolumeClaim])
	return c.control.syncStatefulSet(ctx, set, selector, revisions, pods, claims, c.now())
}

// markTerminating lists a pod this controller deleted, that the cache still shows alive, as
// terminating: the replacement must wait until it is gone.
func markTerminating(pod *v1.Pod, at time.Time) (*v1.Pod, bool) {
	pod = pod.DeepCopy()
	ts := metav1.NewTime(at)
	pod.DeletionTimestamp = &ts
	return pod, true
}

// dropDeleted leaves an object this controller deleted out of a listing.
func dropDeleted[T any](obj T, _ time.Time) (T, bool) { return obj, false }

// observed tells recentWrites what the cache now holds.
func (c *Controller) observed(resource string, obj any, gone bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if o, ok := obj.(metav1.Object); ok {
		c.recent.observed(resource, o, gone)
	}
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
}

// resolveControllerRef returns the set ref names, if it exists with that UID.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *apps.StatefulSet {
	if ref.Kind != controllerKind.Kind || ref.APIVersion != controllerKind.GroupVersion().String() {
		return nil
	}
	set, err := c.setLister.StatefulSets(namespace).Get(ref.Name)
	if err != nil || set.UID != ref.UID {
		return nil
	}
	return set
}

// enqueueSetsForLabels enqueues the sets of namespace whose selector matches the labels, the
// candidates to adopt an orphan.
func (c *Controller) enqueueSetsForLabels(namespace string, objLabels map[string]string) {
	if len(objLabels) == 0 {
		return
	}
	sets, err := c.setLister.StatefulSets(namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, set := range sets {
		selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
		if err != nil || selector.Empty() || !selector.Matches(labels.Set(objLabels)) {
			continue
		}
		c.enqueue(set)
	}
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*v1.Pod)
	c.recent.observed(resourcePods, pod, false)
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if set := c.resolveControllerRef(pod.Namespace, ref); set != nil {
			c.enqueue(set)
		}
		return
	}
	if pod.DeletionTimestamp == nil {
		c.enqueueSetsForLabels(pod.Namespace, pod.Labels)
	}
}

func (c *Controller) updatePod(old, cur any) {
	oldPod, curPod := old.(*v1.Pod), cur.(*v1.Pod)
	if oldPod.ResourceVersion == curPod.ResourceVersion {
		return
	}
	c.recent.observed(resourcePods, curPod, false)
	curRef, oldRef := metav1.GetControllerOfNoCopy(curPod), metav1.GetControllerOfNoCopy(oldPod)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if set := c.resolveControllerRef(oldPod.Namespace, oldRef); set != nil {
			c.enqueue(set)
		}
	}
	if curRef != nil {
		if set := c.resolveControllerRef(curPod.Namespace, curRef); set != nil {
			c.enqueue(set)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(oldPod.Labels, curPod.Labels) {
		c.enqueueSetsForLabels(curPod.Namespace, curPod.Labels)
	}
}

func (c *Controller) deletePod(obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	c.recent.observed(resourcePods, pod, true)
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if set := c.resolveControllerRef(pod.Namespace, ref); set != nil {
			c.enqueue(set)
		}
	}
}

// updateClaim wakes the sets a claim belongs to when it starts being deleted: a pod waits for
// a terminating claim to go, and a Pending pod has its missing claim recreated.
func (c *Controller) updateClaim(old, cur any) {
	oldClaim, curClaim := old.(*v1.PersistentVolumeClaim), cur.(*v1.PersistentVolumeClaim)
	c.recent.observed(resourceClaims, curClaim, false)
	if oldClaim.DeletionTimestamp == nil && curClaim.DeletionTimestamp != nil {
		c.enqueueSetsForLabels(curClaim.Namespace, curClaim.Labels)
	}
}

func (c *Controller) deleteClaim(obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	claim, ok := obj.(*v1.PersistentVolumeClaim)
	if !ok {
		return
	}
	c.recent.observed(resourceClaims, claim, true)
	c.enqueueSetsForLabels(claim.Namespace, claim.Labels)
}
