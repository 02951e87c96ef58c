package job_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/job"
	"ordinal.dev/ordinal/internal/controlplane"
)

type cluster struct {
	client kubernetes.Interface
	clock  *clocktesting.FakeClock
}

// startCluster runs a control plane and a Job controller on a fake clock. The test plays
// the scheduler and the kubelet (run).
func startCluster(t *testing.T) *cluster {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		// This test runs its own controller, on a fake clock.
		DisableControllers: []string{"job"}})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	clk := clocktesting.NewFakeClock(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := job.New(client, factory.Batch().V1().Jobs(), factory.Core().V1().Pods(), job.Options{Clock: clk})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return &cluster{client: client, clock: clk}
}

func (c *cluster) namespace(t *testing.T, name string) {
	t.Helper()
	if _, err := c.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// kubelet binds pods to node-1, runs them, ends them as outcome says (exit code, or -1 to
// keep running) and finishes deleted pods; maxRunning records the most pods seen at once.
type kubelet struct {
	c          *cluster
	ns         string
	outcome    func(pod *corev1.Pod) int32
	maxRunning atomic.Int32
}

func (c *cluster) kubelet(t *testing.T, ns string, outcome func(pod *corev1.Pod) int32) *kubelet {
	k := &kubelet{c: c, ns: ns, outcome: outcome}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if pods, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
				running := int32(0)
				for i := range pods.Items {
					p := &pods.Items[i]
					if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
						running++
					}
					k.tick(ctx, p)
				}
				if running > k.maxRunning.Load() {
					k.maxRunning.Store(running)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return k
}

func (k *kubelet) tick(ctx context.Context, pod *corev1.Pod) {
	pods := k.c.client.CoreV1().Pods(pod.Namespace)
	now := metav1.NewTime(k.c.clock.Now())
	terminate := func(code int32) {
		phase := corev1.PodSucceeded
		if code != 0 {
			phase = corev1.PodFailed
		}
		pod.Status.Phase = phase
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: now}}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: code, StartedAt: now, FinishedAt: now}}}}
		pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	}
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed:
		terminate(137)
	case pod.DeletionTimestamp != nil:
		if pod.DeletionGracePeriodSeconds == nil || *pod.DeletionGracePeriodSeconds != 0 {
			pods.Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		}
	case pod.Spec.NodeName == "":
		pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID}, Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}}, metav1.CreateOptions{})
	case pod.Status.Phase == corev1.PodPending:
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}
		pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	case pod.Status.Phase == corev1.PodRunning:
		if code := k.outcome(pod); code >= 0 {
			terminate(code)
		}
	}
}

func newJob(ns, name string, parallelism, completions int32, mutate ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			Parallelism: ptr.To(parallelism),
			Completions: ptr.To(completions),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
			}},
		},
	}
	for _, m := range mutate {
		m(j)
	}
	return j
}

func (c *cluster) create(t *testing.T, j *batchv1.Job) {
	t.Helper()
	if _, err := c.client.BatchV1().Jobs(j.Namespace).Create(context.Background(), j, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitJob polls until cond holds for the Job; step advances the fake clock on every try.
func (c *cluster) waitJob(t *testing.T, ns, name string, step time.Duration, cond func(*batchv1.Job) bool) *batchv1.Job {
	t.Helper()
	var last *batchv1.Job
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		if step > 0 {
			c.clock.Step(step)
		}
		j, err := c.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = j
		return cond(j), nil
	})
	if err != nil {
		t.Fatalf("waiting for job %s/%s: %v; last status %+v", ns, name, err, last.Status)
	}
	return last
}

func trueConditions(j *batchv1.Job) []string {
	var out []string
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue {
			out = append(out, string(c.Type)+"/"+c.Reason)
		}
	}
	return out
}

// waitEvents polls the namespace's events (recorded asynchronously) until want holds for
// the count of each reason.
func (c *cluster) waitEvents(t *testing.T, ns string, want func(map[string]int) bool) {
	t.Helper()
	var last map[string]int
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		events, err := c.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		last = map[string]int{}
		for _, e := range events.Items {
			last[e.Reason]++
		}
		return want(last), nil
	})
	if err != nil {
		t.Fatalf("events %v", last)
	}
}

func (c *cluster) pods(t *testing.T, ns string) []corev1.Pod {
	list, err := c.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func finished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func TestJobRunsToCompletion(t *testing.T) {
	c := startCluster(t)
	c.namespace(t, "complete")
	k := c.kubelet(t, "complete", func(*corev1.Pod) int32 { return 0 })
	c.create(t, newJob("complete", "pi", 2, 4, func(j *batchv1.Job) { j.Spec.TTLSecondsAfterFinished = ptr.To[int32](60) }))
	j := c.waitJob(t, "complete", "pi", 0, finished)
	if got := trueConditions(j); !reflect.DeepEqual(got, []string{"SuccessCriteriaMet/CompletionsReached", "Complete/CompletionsReached"}) {
		t.Fatalf("conditions %v", got)
	}
	st := j.Status
	if st.Succeeded != 4 || st.Failed != 0 || st.Active != 0 || *st.Ready != 0 || *st.Terminating != 0 || st.StartTime == nil || st.CompletionTime == nil {
		t.Fatalf("status %+v", st)
	}
	if k.maxRunning.Load() > 2 {
		t.Fatalf("%d pods ran at once, parallelism is 2", k.maxRunning.Load())
	}
	pods := c.pods(t, "complete")
	if len(pods) != 4 {
		t.Fatalf("%d pods", len(pods))
	}
	for _, p := range pods {
		if len(p.Finalizers) != 0 || !strings.HasPrefix(p.Name, "pi-") || p.Labels["batch.kubernetes.io/job-name"] != "pi" || p.Labels["job-name"] != "pi" {
			t.Fatalf("pod %s: finalizers %v labels %v", p.Name, p.Finalizers, p.Labels)
		}
	}
	c.waitEvents(t, "complete", func(r map[string]int) bool { return r["SuccessfulCreate"] == 4 && r["Completed"] == 1 })
	// ttlSecondsAfterFinished: deleted (foreground) once the TTL has passed.
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		c.clock.Step(10 * time.Second)
		j, err := c.client.BatchV1().Jobs("complete").Get(ctx, "pi", metav1.GetOptions{})
		return apierrors.IsNotFound(err) || (err == nil && j.DeletionTimestamp != nil), nil
	})
	if err != nil {
		t.Fatalf("the finished job was not deleted after its TTL: %v", err)
	}
}

func TestIndexedJob(t *testing.T) {
	c := startCluster(t)
	c.namespace(t, "indexed")
	// Index 1 fails once, then succeeds.
	var failedOnce atomic.Bool
	c.kubelet(t, "indexed", func(p *corev1.Pod) int32 {
		if p.Annotations["batch.kubernetes.io/job-completion-index"] == "1" && failedOnce.CompareAndSwap(false, true) {
			return 1
		}
		return 0
	})
	c.create(t, newJob("indexed", "idx", 3, 3, func(j *batchv1.Job) { j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion) }))
	j := c.waitJob(t, "indexed", "idx", 5*time.Second, finished)
	if j.Status.CompletedIndexes != "0-2" || j.Status.Succeeded != 3 || j.Status.Failed != 1 {
		t.Fatalf("status %+v", j.Status)
	}
	seen := map[string]bool{}
	for _, p := range c.pods(t, "indexed") {
		ix := p.Annotations["batch.kubernetes.io/job-completion-index"]
		if p.Labels["batch.kubernetes.io/job-completion-index"] != ix || p.Spec.Hostname != "idx-"+ix || !strings.HasPrefix(p.Name, "idx-"+ix+"-") {
			t.Fatalf("pod %s: index %q labels %v hostname %q", p.Name, ix, p.Labels, p.Spec.Hostname)
		}
		if env := p.Spec.Containers[0].Env; len(env) != 1 || env[0].Name != "JOB_COMPLETION_INDEX" {
			t.Fatalf("env %+v", env)
		}
		seen[ix] = true
	}
	if len(seen) != 3 {
		t.Fatalf("indexes %v", seen)
	}
}

func TestJobExceedsBackoffLimit(t *testing.T) {
	c := startCluster(t)
	c.namespace(t, "backoff")
	c.kubelet(t, "backoff", func(*corev1.Pod) int32 { return 1 })
	c.create(t, newJob("backoff", "fail", 1, 1, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](1) }))
	// The first failure is counted; the replacement waits for the 10s back-off.
	c.waitJob(t, "backoff", "fail", 0, func(j *batchv1.Job) bool { return j.Status.Failed == 1 && j.Status.Active == 0 })
	if n := len(c.pods(t, "backoff")); n != 1 {
		t.Fatalf("%d pods before the back-off passed", n)
	}
	j := c.waitJob(t, "backoff", "fail", 2*time.Second, finished)
	if got := trueConditions(j); !reflect.DeepEqual(got, []string{"FailureTarget/BackoffLimitExceeded", "Failed/BackoffLimitExceeded"}) {
		t.Fatalf("conditions %v", got)
	}
	if j.Status.Failed != 2 || j.Status.Succeeded != 0 || j.Status.CompletionTime != nil {
		t.Fatalf("status %+v", j.Status)
	}
	c.waitEvents(t, "backoff", func(r map[string]int) bool { return r["BackoffLimitExceeded"] == 1 && r["SuccessfulCreate"] == 2 })
}

func TestJobDeadlineAndSuspend(t *testing.T) {
	c := startCluster(t)
	c.namespace(t, "deadline")
	c.kubelet(t, "deadline", func(*corev1.Pod) int32 { return -1 })
	c.create(t, newJob("deadline", "slow", 2, 2, func(j *batchv1.Job) {
		j.Spec.ActiveDeadlineSeconds = ptr.To[int64](30)
		j.Spec.Suspend = ptr.To(true)
	}))
	j := c.waitJob(t, "deadline", "slow", 0, func(j *batchv1.Job) bool { return len(trueConditions(j)) == 1 })
	if got := trueConditions(j); got[0] != "Suspended/JobSuspended" || j.Status.StartTime != nil || len(c.pods(t, "deadline")) != 0 {
		t.Fatalf("suspended: conditions %v status %+v", got, j.Status)
	}
	// Time spent suspended does not count toward the deadline.
	c.clock.Step(time.Minute)
	if _, err := c.client.BatchV1().Jobs("deadline").Patch(context.Background(), "slow", "application/merge-patch+json", []byte(`{"spec":{"suspend":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitJob(t, "deadline", "slow", 0, func(j *batchv1.Job) bool { return j.Status.Ready != nil && *j.Status.Ready == 2 })
	j = c.waitJob(t, "deadline", "slow", 5*time.Second, finished)
	if got := trueConditions(j); !reflect.DeepEqual(got, []string{"FailureTarget/DeadlineExceeded", "Failed/DeadlineExceeded"}) {
		t.Fatalf("conditions %v", got)
	}
	if j.Status.Failed != 2 || j.Status.Active != 0 || *j.Status.Terminating != 0 {
		t.Fatalf("status %+v", j.Status)
	}
	c.waitEvents(t, "deadline", func(r map[string]int) bool {
		return r["DeadlineExceeded"] == 1 && r["Suspended"] == 1 && r["Resumed"] == 1
	})
	if n := len(c.pods(t, "deadline")); n != 0 {
		t.Fatalf("%d pods left", n)
	}
}
