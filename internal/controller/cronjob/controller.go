package cronjob

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/tools/reference"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"ordinal.dev/ordinal/internal/controller/wakeup"
)

// Options tune the controller; the zero value is production.
type Options struct {
	// Clock is the time schedules are evaluated at; tests pass a fake one and step it.
	Clock clock.WithDelayedExecution
}

// Controller runs CronJobs.
type Controller struct {
	client      kubernetes.Interface
	cjLister    batchlisters.CronJobLister
	jobLister   batchlisters.JobLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	clock       clock.WithDelayedExecution
	wake        *wakeup.Wakeups
}

// New builds the controller on shared CronJob and Job informers. Start the informers, then
// Run.
func New(client kubernetes.Interface, cjInformer batchinformers.CronJobInformer, jobInformer batchinformers.JobInformer, opts Options) *Controller {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:      client,
		cjLister:    cjInformer.Lister(),
		jobLister:   jobInformer.Lister(),
		synced:      []cache.InformerSynced{cjInformer.Informer().HasSynced, jobInformer.Informer().HasSynced},
		queue:       workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "cronjob"}),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "cronjob-controller"}),
		clock:       opts.Clock,
	}
	c.wake = wakeup.New(c.clock, c.queue.Add)
	cjInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		UpdateFunc: func(old, cur any) {
			o, n := old.(*batchv1.CronJob), cur.(*batchv1.CronJob)
			if o.Spec.Schedule != n.Spec.Schedule || !equality.Semantic.DeepEqual(o.Spec.TimeZone, n.Spec.TimeZone) {
				// A new schedule: wake at its next time (sooner ones win in the wake-ups).
				if s, err := parseSchedule(n); err == nil {
					if key, err := cache.MetaNamespaceKeyFunc(n); err == nil {
						c.wake.After(key, nextScheduleTimeDuration(n, c.clock.Now(), s))
					}
					return
				}
			}
			c.enqueue(cur)
		},
	})
	jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.jobChanged,
		UpdateFunc: func(_, cur any) { c.jobChanged(cur) },
		DeleteFunc: c.jobChanged,
	})
	return c
}

// Run syncs CronJobs with workers goroutines until ctx ends.
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
	requeue, err := c.sync(ctx, key)
	switch {
	case err != nil:
		slog.Warn("cronjob controller", "cronjob", key, "err", err)
		c.queue.AddRateLimited(key)
	default:
		c.queue.Forget(key)
	}
	if requeue != nil {
		c.wake.After(key, *requeue)
	}
	return true
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// jobChanged enqueues the CronJob controlling a Job.
func (c *Controller) jobChanged(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(job)
	if ref == nil || ref.Kind != controllerKind.Kind {
		return
	}
	if cj, err := c.cjLister.CronJobs(job.Namespace).Get(ref.Name); err == nil && cj.UID == ref.UID {
		c.enqueue(cj)
	}
}

// sync brings one CronJob up to date and returns when to look at it again.
func (c *Controller) sync(ctx context.Context, key string) (*time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil, nil
	}
	shared, err := c.cjLister.CronJobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cj := shared.DeepCopy()
	jobs, err := c.controlledJobs(cj)
	if err != nil {
		return nil, err
	}
	gone, err := c.goneActiveJobs(ctx, cj, jobs)
	if err != nil {
		return nil, err
	}
	rec := reconcile(cj, jobs, gone)
	if len(rec.Unexpected) > 0 {
		// The cache may lag behind our own status write: ask the API before complaining.
		if fresh, err := c.client.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{}); err == nil && fresh.UID == cj.UID {
			cj = fresh
			rec = reconcile(cj, jobs, gone)
		}
		for _, j := range rec.Unexpected {
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j)
		}
	}
	c.record(cj, rec.Events)
	cj.Status = rec.Status
	for _, j := range rec.HistoryDeletes {
		if c.deleteJob(ctx, cj, j.Name, j.UID) {
			removeFromActive(&cj.Status, j.UID)
		}
	}

	now := c.clock.Now()
	sch := schedule(cj, now)
	c.record(cj, sch.Events)
	var syncErr error
	for _, ref := range sch.Replace {
		if !c.deleteJob(ctx, cj, ref.Name, ref.UID) {
			syncErr = fmt.Errorf("could not replace job %s/%s", ref.Namespace, ref.Name)
			break
		}
		removeFromActive(&cj.Status, ref.UID)
	}
	if sch.Create != nil && syncErr == nil {
		syncErr = c.createJob(ctx, cj, sch.Create, sch.Scheduled)
	}
	if !equality.Semantic.DeepEqual(cj.Status, shared.Status) {
		if _, err := c.client.BatchV1().CronJobs(ns).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	if syncErr != nil {
		return nil, syncErr
	}
	return sch.RequeueAfter, nil
}

// createJob creates the Job of a scheduled time and records it as active. A Job already
// there under that name is ours only if we control it: then a lost status write is redone.
func (c *Controller) createJob(ctx context.Context, cj *batchv1.CronJob, job *batchv1.Job, scheduled time.Time) error {
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, job, metav1.CreateOptions{})
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return err
	case apierrors.IsAlreadyExists(err):
		existing, err := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !metav1.IsControlledBy(existing, cj) || inActiveList(&cj.Status, existing.UID) {
			return nil
		}
		created = existing
	case err != nil:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return err
	default:
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	}
	ref, err := reference.GetReference(scheme.Scheme, created)
	if err != nil {
		return fmt.Errorf("reference to job %s/%s: %w", created.Namespace, created.Name, err)
	}
	cj.Status.Active = append(cj.Status.Active, *ref)
	cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
	return nil
}

// deleteJob deletes a Job in the background (its pods follow through the garbage collector).
func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, name string, uid types.UID) bool {
	background := metav1.DeletePropagationBackground
	err := c.client.BatchV1().Jobs(cj.Namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &background, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return false
	}
	c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", name)
	return true
}

// controlledJobs lists the namespace's Jobs whose controller is cj.
func (c *Controller) controlledJobs(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	all, err := c.jobLister.Jobs(cj.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var out []*batchv1.Job
	for _, j := range all {
		if metav1.IsControlledBy(j, cj) {
			out = append(out, j)
		}
	}
	return out, nil
}

// goneActiveJobs asks the API about active Jobs the cache does not show: a slow watch must
// not make a running Job look missing.
func (c *Controller) goneActiveJobs(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) (map[types.UID]bool, error) {
	seen := map[types.UID]bool{}
	for _, j := range jobs {
		seen[j.UID] = true
	}
	gone := map[types.UID]bool{}
	for _, ref := range cj.Status.Active {
		if seen[ref.UID] {
			continue
		}
		j, err := c.client.BatchV1().Jobs(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			gone[ref.UID] = true
		case err != nil:
			return nil, err
		case j.UID != ref.UID:
			gone[ref.UID] = true
		}
	}
	return gone, nil
}

func (c *Controller) record(cj *batchv1.CronJob, events []event) {
	for _, e := range events {
		c.recorder.Event(cj, e.Type, e.Reason, e.Message)
	}
}
