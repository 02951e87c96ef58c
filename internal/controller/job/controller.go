package job

import (
	"context"
	"log/slog"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"ordinal.dev/ordinal/internal/controller/wakeup"
)

// syncBatchPeriod delays syncs caused by pod events, so that a burst of pod changes costs
// one status write (upstream: 1s).
const syncBatchPeriod = time.Second

// Options tune the controller; the zero value is production.
type Options struct {
	// Clock drives back-off, activeDeadlineSeconds and ttlSecondsAfterFinished; tests pass a
	// fake one.
	Clock clock.WithDelayedExecution
}

// Controller runs Jobs.
type Controller struct {
	client      kubernetes.Interface
	jobLister   batchlisters.JobLister
	podLister   corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	orphans     workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	clock       clock.WithDelayedExecution
	exp         *expectations
	backoff     *backoffStore
	wake        *wakeup.Wakeups
}

// New builds the controller on shared Job and pod informers. Start the informers, then Run.
func New(client kubernetes.Interface, jobInformer batchinformers.JobInformer, podInformer coreinformers.PodInformer, opts Options) *Controller {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	broadcaster := record.NewBroadcaster()
	rl := func() workqueue.TypedRateLimiter[string] {
		// Upstream's Job API back-off: 1s doubling to a minute.
		return workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Second, time.Minute)
	}
	c := &Controller{
		client:      client,
		jobLister:   jobInformer.Lister(),
		podLister:   podInformer.Lister(),
		synced:      []cache.InformerSynced{jobInformer.Informer().HasSynced, podInformer.Informer().HasSynced},
		queue:       workqueue.NewTypedRateLimitingQueueWithConfig(rl(), workqueue.TypedRateLimitingQueueConfig[string]{Name: "job"}),
		orphans:     workqueue.NewTypedRateLimitingQueueWithConfig(rl(), workqueue.TypedRateLimitingQueueConfig[string]{Name: "job_orphan_pod"}),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "job-controller"}),
		clock:       opts.Clock,
		exp:         newExpectations(),
		backoff:     newBackoffStore(),
	}
	c.wake = wakeup.New(c.clock, c.queue.Add)
	jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.enqueue(obj, 0) },
		UpdateFunc: func(old, cur any) {
			o, n := old.(*batchv1.Job), cur.(*batchv1.Job)
			if o.Generation != n.Generation {
				c.enqueue(n, 0)
			} else {
				c.enqueue(n, syncBatchPeriod)
			}
			if isJobFinished(n) {
				c.cleanupPodFinalizers(n)
			}
		},
		DeleteFunc: func(obj any) {
			c.enqueue(obj, 0)
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if job, ok := obj.(*batchv1.Job); ok {
				c.cleanupPodFinalizers(job)
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
	return c
}

// Run syncs Jobs with workers goroutines until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	defer c.orphans.ShutDown()
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processNext(ctx, c.queue, c.sync) {
			}
		}, time.Second)
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for c.processNext(ctx, c.orphans, c.syncOrphanPod) {
		}
	}, time.Second)
	<-ctx.Done()
}

func (c *Controller) processNext(ctx context.Context, q workqueue.TypedRateLimitingInterface[string], sync func(context.Context, string) error) bool {
	key, quit := q.Get()
	if quit {
		return false
	}
	defer q.Done(key)
	if err := sync(ctx, key); err != nil {
		slog.Warn("job controller", "key", key, "err", err)
		q.AddRateLimited(key)
		return true
	}
	q.Forget(key)
	return true
}

func (c *Controller) enqueue(obj any, after time.Duration) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	if after > 0 {
		c.queue.AddAfter(key, after)
	} else {
		c.queue.Add(key)
	}
}

// podChanged enqueues the pod's Job (batched), or every Job selecting an orphan; a pod
// whose finalizer no Job will remove goes to the orphan queue.
func (c *Controller) podChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ref.Kind != controllerKind.Kind || ref.APIVersion != batchv1.SchemeGroupVersion.String() {
			return
		}
		job := c.resolve(pod.Namespace, ref)
		if job == nil || isJobFinished(job) {
			c.enqueueOrphan(pod)
			return
		}
		c.enqueue(job, syncBatchPeriod)
		return
	}
	c.enqueueOrphan(pod)
	if pod.DeletionTimestamp != nil {
		return
	}
	jobs, _ := c.jobLister.Jobs(pod.Namespace).List(labels.Everything())
	for _, job := range jobs {
		sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(pod.Labels)) {
			c.enqueue(job, syncBatchPeriod)
		}
	}
}

func (c *Controller) resolve(ns string, ref *metav1.OwnerReference) *batchv1.Job {
	job, err := c.jobLister.Jobs(ns).Get(ref.Name)
	if err != nil || job.UID != ref.UID {
		return nil
	}
	return job
}

func (c *Controller) enqueueOrphan(pod *corev1.Pod) {
	if !hasTrackingFinalizer(pod) {
		return
	}
	if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
		c.orphans.Add(key)
	}
}

// cleanupPodFinalizers sends the pods of a finished or deleted Job that still carry the
// finalizer to the orphan queue.
func (c *Controller) cleanupPodFinalizers(job *batchv1.Job) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return
	}
	pods, _ := c.podLister.Pods(job.Namespace).List(sel)
	for _, pod := range pods {
		if metav1.IsControlledBy(pod, job) {
			c.enqueueOrphan(pod)
		}
	}
}

// syncOrphanPod removes the tracking finalizer from a pod no running Job tracks.
func (c *Controller) syncOrphanPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.podLister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !hasTrackingFinalizer(pod) {
		return nil
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ref.Kind != controllerKind.Kind || ref.APIVersion != batchv1.SchemeGroupVersion.String() {
			return nil
		}
		if job := c.resolve(ns, ref); job != nil && !isJobFinished(job) {
			return nil
		}
	}
	_, err = c.client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
