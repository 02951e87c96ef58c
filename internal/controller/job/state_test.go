package job

import (
	"reflect"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
)

func pods(spec ...any) []*corev1.Pod {
	var out []*corev1.Pod
	for i := 0; i < len(spec); i += 2 {
		for n := 0; n < spec[i+1].(int); n++ {
			out = append(out, jobPod(spec[i].(corev1.PodPhase), -1))
		}
	}
	return out
}

func TestManageArithmetic(t *testing.T) {
	const (
		run  = corev1.PodRunning
		succ = corev1.PodSucceeded
		fail = corev1.PodFailed
	)
	tests := []struct {
		name           string
		job            *batchv1.Job
		pods           []*corev1.Pod
		succeeded      int32
		create, delete int
		active         int32
		conditions     []string
	}{
		{"new job starts parallelism pods", newJob(2, 4), nil, 0, 2, 0, 2, nil},
		{"never more than the remaining completions", newJob(5, 3), nil, 0, 3, 0, 3, nil},
		{"one done, one running: one more", newJob(2, 4), pods(run, 1, succ, 1), 0, 1, 0, 2, nil},
		{"counted successes count", newJob(2, 4), pods(run, 1), 2, 1, 0, 2, nil},
		{"last pods running: none more", newJob(2, 4), pods(run, 1), 3, 0, 0, 1, nil},
		{"too many running: the excess goes", newJob(1, 4), pods(run, 3), 0, 0, 2, 1, nil},
		{"parallelism 0 stops all", newJob(0, 4), pods(run, 2), 0, 0, 2, 0, nil},
		{"completions reached: done", newJob(2, 4), pods(succ, 2), 2, 0, 0, 0, []string{"SuccessCriteriaMet", "Complete"}},
		{"work queue: parallelism pods", newJob(3, -1), nil, 0, 3, 0, 3, nil},
		{"work queue: after a success no new pods", newJob(3, -1), pods(run, 1, succ, 1), 0, 0, 0, 1, nil},
		{"work queue: done when one succeeded and none run", newJob(3, -1), pods(succ, 1), 0, 0, 0, 0, []string{"SuccessCriteriaMet", "Complete"}},
		{"failed pod replaced when no back-off is due", newJob(1, 1), pods(fail, 1), 0, 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.Status.Succeeded = tt.succeeded
			s, act, _ := runSync(syncInput{Job: tt.job, Pods: tt.pods, Satisfied: true})
			if len(act.Create) != tt.create || len(act.Delete) != tt.delete || s.job.Status.Active != tt.active {
				t.Fatalf("create %d delete %d active %d", len(act.Create), len(act.Delete), s.job.Status.Active)
			}
			if got := conditionTypes(s.job); !reflect.DeepEqual(got, tt.conditions) {
				t.Fatalf("conditions %v, want %v", got, tt.conditions)
			}
		})
	}
}

func TestUnsatisfiedExpectationsCreateNothing(t *testing.T) {
	_, act, _ := runSync(syncInput{Job: newJob(2, 4), Satisfied: false})
	if len(act.Create) != 0 || act.Managed {
		t.Fatalf("%+v", act)
	}
}

func TestTrackingProtocol(t *testing.T) {
	job := newJob(2, 3)
	done := jobPod(corev1.PodSucceeded, -1)
	running := jobPod(corev1.PodRunning, -1)
	// Step 1: the finished pod is parked in uncountedTerminatedPods, its finalizer removed.
	s := newJobSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{done, running}, Satisfied: true, Now: t0})
	act := s.manage()
	changed := s.afterManage(act, 0, 0, int32(len(act.Create)))
	tp := s.track(changed)
	if !tp.NeedsFlush || !reflect.DeepEqual(s.job.Status.UncountedTerminatedPods.Succeeded, []types.UID{done.UID}) || s.job.Status.Succeeded != 0 {
		t.Fatalf("first write: %+v", s.job.Status)
	}
	if !reflect.DeepEqual(names(tp.RemoveFinalizer), []string{done.Name}) {
		t.Fatalf("remove finalizer of %v", names(tp.RemoveFinalizer))
	}
	// Step 2: once the finalizer is gone the UID moves to the counter.
	changed, finished := s.finish(tp, sets.New(string(done.UID)))
	if !changed || finished || s.job.Status.Succeeded != 1 || len(s.job.Status.UncountedTerminatedPods.Succeeded) != 0 {
		t.Fatalf("second write: %+v", s.job.Status)
	}
	// A crash after step 1: the UID stays uncounted while the pod keeps its finalizer, and
	// is counted once the pod is gone.
	parked := job.DeepCopy()
	parked.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{Succeeded: []types.UID{done.UID}}
	s, _, _ = runSync(syncInput{Job: parked, Pods: []*corev1.Pod{running}, Satisfied: true})
	if s.job.Status.Succeeded != 1 || len(s.job.Status.UncountedTerminatedPods.Succeeded) != 0 {
		t.Fatalf("recovery: %+v", s.job.Status)
	}
}

func TestBackoffLimit(t *testing.T) {
	job := newJob(1, 1, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](1) })
	// One failure is within the limit, and the replacement waits 10s after it.
	s, act, _ := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodFailed, -1)}, Satisfied: true})
	if s.job.Status.Failed != 1 || len(act.Create) != 0 || s.requeueAfter != 5*time.Second || conditionTypes(s.job) != nil {
		t.Fatalf("first failure: create %d requeue %v status %+v", len(act.Create), s.requeueAfter, s.job.Status)
	}
	s, act, _ = runSync(syncInput{Job: s.job.DeepCopy(), Backoff: s.newBackoff, Satisfied: true, Now: t0.Add(5 * time.Second)})
	if len(act.Create) != 1 {
		t.Fatalf("after the back-off: create %d", len(act.Create))
	}
	// The second failure exceeds it: FailureTarget, then Failed (nothing is terminating).
	s, _, _ = runSync(syncInput{Job: s.job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodFailed, -1)}, Backoff: s.newBackoff, Satisfied: true, Now: t0.Add(30 * time.Second)})
	if got := conditionTypes(s.job); !reflect.DeepEqual(got, []string{"FailureTarget", "Failed"}) || s.job.Status.Failed != 2 {
		t.Fatalf("conditions %v status %+v", got, s.job.Status)
	}
	c := findCondition(s.job.Status.Conditions, batchv1.JobFailed)
	if c.Reason != "BackoffLimitExceeded" || c.Message != "Job has reached the specified backoff limit" {
		t.Fatalf("condition %+v", c)
	}
	if len(s.events) != 1 || s.events[0].Reason != "BackoffLimitExceeded" {
		t.Fatalf("events %+v", s.events)
	}
}

func TestBackoffDurations(t *testing.T) {
	last := t0
	for _, tt := range []struct {
		failures int32
		want     time.Duration
	}{{0, 0}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {6, 320 * time.Second}, {7, 600 * time.Second}, {20, 600 * time.Second}} {
		if got := backoffRemaining(tt.failures, &last, t0); got != tt.want {
			t.Errorf("%d failures: %v, want %v", tt.failures, got, tt.want)
		}
	}
	if got := backoffRemaining(2, &last, t0.Add(15*time.Second)); got != 5*time.Second {
		t.Errorf("elapsed time counts: %v", got)
	}
	// A success resets the record; failures before it do not count.
	f1, s1, f2 := jobPod(corev1.PodFailed, -1), jobPod(corev1.PodSucceeded, -1), jobPod(corev1.PodFailed, -1)
	f1.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(t0.Add(-30 * time.Second))
	f2.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(t0)
	rec := nextBackoffRecord(backoffRecord{failuresAfterLastSuccess: 4}, []*corev1.Pod{s1}, []*corev1.Pod{f1, f2})
	if rec.failuresAfterLastSuccess != 1 || !rec.lastFailureTime.Equal(t0) {
		t.Fatalf("record %+v", rec)
	}
}

func TestActiveDeadline(t *testing.T) {
	job := newJob(1, 1, func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](100) })
	running := jobPod(corev1.PodRunning, -1)
	s, _, _ := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{running}, Satisfied: true})
	if s.requeueAfter != 40*time.Second || conditionTypes(s.job) != nil {
		t.Fatalf("requeue %v conditions %v", s.requeueAfter, conditionTypes(s.job))
	}
	s, act, _ := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{running}, Satisfied: true, Now: t0.Add(40 * time.Second)})
	if !act.Finishing || len(act.Delete) != 1 {
		t.Fatalf("running pods are deleted: %+v", act)
	}
	// The pod is terminating now: FailureTarget only, Failed waits.
	if got := conditionTypes(s.job); !reflect.DeepEqual(got, []string{"FailureTarget"}) || *s.job.Status.Terminating != 1 {
		t.Fatalf("conditions %v terminating %v", got, *s.job.Status.Terminating)
	}
	c := findCondition(s.job.Status.Conditions, batchv1.JobFailureTarget)
	if c.Reason != "DeadlineExceeded" || c.Message != "Job was active longer than specified deadline" {
		t.Fatalf("condition %+v", c)
	}
	// The kubelet finished the pod: Failed.
	gone := running.DeepCopy()
	gone.Finalizers = nil
	gone.Status.Phase = corev1.PodFailed
	s, _, _ = runSync(syncInput{Job: s.job.DeepCopy(), Pods: []*corev1.Pod{gone}, Satisfied: true, Now: t0.Add(41 * time.Second)})
	if got := conditionTypes(s.job); !reflect.DeepEqual(got, []string{"FailureTarget", "Failed"}) || s.job.Status.Failed != 1 {
		t.Fatalf("conditions %v status %+v", got, s.job.Status)
	}
	// A suspended Job does not run out of time.
	suspended := job.DeepCopy()
	suspended.Spec.Suspend = ptr.To(true)
	if s := newJobSync(syncInput{Job: suspended, Now: t0.Add(time.Hour)}); s.finishedCondition != nil {
		t.Fatal("suspended job failed")
	}
}

func TestSuspend(t *testing.T) {
	job := newJob(2, 4, func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) })
	running := []*corev1.Pod{jobPod(corev1.PodRunning, -1), jobPod(corev1.PodRunning, -1)}
	s, act, _ := runSync(syncInput{Job: job, Pods: running, Satisfied: true})
	if len(act.Delete) != 2 || !act.RemoveFinalizerFirst || s.job.Status.Active != 0 || s.job.Status.Failed != 0 {
		t.Fatalf("act %+v status %+v", act, s.job.Status)
	}
	if c := findCondition(s.job.Status.Conditions, batchv1.JobSuspended); c == nil || c.Status != corev1.ConditionTrue || c.Reason != "JobSuspended" {
		t.Fatalf("conditions %+v", s.job.Status.Conditions)
	}
	resumed := s.job.DeepCopy()
	resumed.Spec.Suspend = ptr.To(false)
	s, act, _ = runSync(syncInput{Job: resumed, Satisfied: true, Now: t0.Add(time.Minute)})
	if len(act.Create) != 2 || !s.job.Status.StartTime.Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("resume: create %d start %v", len(act.Create), s.job.Status.StartTime)
	}
	if c := findCondition(s.job.Status.Conditions, batchv1.JobSuspended); c.Status != corev1.ConditionFalse || c.Reason != "JobResumed" {
		t.Fatalf("conditions %+v", s.job.Status.Conditions)
	}
	// A Job created suspended has no start time.
	if s := newJobSync(syncInput{Job: newJob(1, 1, func(j *batchv1.Job) { j.Status.StartTime = nil; j.Spec.Suspend = ptr.To(true) }), Now: t0}); s.job.Status.StartTime != nil {
		t.Fatal("start time set while suspended")
	}
}

func TestPodFailurePolicy(t *testing.T) {
	policy := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: ptr.To("c"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
		{Action: batchv1.PodFailurePolicyActionCount, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{3}}},
		{Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}},
	}}
	disrupted := func(p *corev1.Pod) *corev1.Pod {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue})
		return p
	}
	with := func(p *corev1.Pod, f func(*corev1.Pod)) *corev1.Pod { f(p); return p }
	tests := []struct {
		name    string
		pod     *corev1.Pod
		failJob bool
		count   bool
		action  string
	}{
		{"exit 42 fails the job", with(jobPod(corev1.PodFailed, -1), exitCode(42)), true, true, "FailJob"},
		{"disruption is ignored", disrupted(jobPod(corev1.PodFailed, -1)), false, false, "Ignore"},
		{"exit 1 counts", jobPod(corev1.PodFailed, -1), false, true, "Count"},
		{"exit 3 fails the index", with(jobPod(corev1.PodFailed, -1), exitCode(3)), false, true, "FailIndex"},
		{"exit 0 of a deleted pod matches nothing", with(jobPod(corev1.PodFailed, -1), exitCode(0)), false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, count, action := matchPodFailurePolicy(policy, tt.pod)
			got := ""
			if action != nil {
				got = string(*action)
			}
			if (msg != nil) != tt.failJob || count != tt.count || got != tt.action {
				t.Fatalf("msg %v count %v action %q", msg, count, got)
			}
		})
	}

	job := newJob(2, 4, func(j *batchv1.Job) { j.Spec.PodFailurePolicy = policy })
	s, _, _ := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{with(jobPod(corev1.PodFailed, -1), exitCode(42)), jobPod(corev1.PodRunning, -1)}, Satisfied: true})
	c := findCondition(s.job.Status.Conditions, batchv1.JobFailureTarget)
	if c == nil || c.Reason != "PodFailurePolicy" || c.Message != "Container c for pod ns/"+s.pods[0].Name+" failed with exit code 42 matching FailJob rule at index 0" {
		t.Fatalf("condition %+v", s.job.Status.Conditions)
	}
	// Ignored failures do not count toward backoffLimit (they still delay replacements).
	s, act, _ := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{disrupted(jobPod(corev1.PodFailed, -1)), disrupted(jobPod(corev1.PodFailed, -1))}, Satisfied: true, Now: t0.Add(time.Minute)})
	if s.job.Status.Failed != 0 || len(act.Create) != 2 {
		t.Fatalf("ignored failures: failed %d create %d", s.job.Status.Failed, len(act.Create))
	}
}

func TestIndexedJob(t *testing.T) {
	job := newJob(2, 5, indexed)
	s, act, _ := runSync(syncInput{Job: job.DeepCopy(), Satisfied: true})
	if !reflect.DeepEqual(act.Create, []int{0, 1}) {
		t.Fatalf("create %v", act.Create)
	}
	pod := s.newPodFor(3)
	if pod.GenerateName != "pi-3-" || pod.Spec.Hostname != "pi-3" || pod.Annotations[batchv1.JobCompletionIndexAnnotation] != "3" || pod.Labels[batchv1.JobCompletionIndexAnnotation] != "3" {
		t.Fatalf("pod %+v", pod.ObjectMeta)
	}
	if env := pod.Spec.Containers[0].Env; len(env) != 1 || env[0].Name != "JOB_COMPLETION_INDEX" || env[0].ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-completion-index']" {
		t.Fatalf("env %+v", env)
	}
	if pod.Finalizers[0] != batchv1.JobTrackingFinalizer {
		t.Fatal("no tracking finalizer")
	}
	// Index 0 and 2 succeeded, 1 runs: 3 starts; completedIndexes holds 0,2.
	s, act, _ = runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodSucceeded, 0), jobPod(corev1.PodRunning, 1), jobPod(corev1.PodSucceeded, 2)}, Satisfied: true})
	if !reflect.DeepEqual(act.Create, []int{3}) || s.job.Status.CompletedIndexes != "0,2" || s.job.Status.Succeeded != 2 {
		t.Fatalf("create %v status %+v", act.Create, s.job.Status)
	}
	// A duplicate of a running index is removed.
	_, act, _ = runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodRunning, 1), jobPod(corev1.PodPending, 1)}, Satisfied: true})
	if len(act.Delete) != 1 || act.Delete[0].Status.Phase != corev1.PodPending {
		t.Fatalf("delete %+v", act.Delete)
	}
	// All indexes done: Complete.
	done := job.DeepCopy()
	done.Status.CompletedIndexes = "0-3"
	done.Status.Succeeded = 4
	s, _, _ = runSync(syncInput{Job: done, Pods: []*corev1.Pod{jobPod(corev1.PodSucceeded, 4)}, Satisfied: true})
	if s.job.Status.CompletedIndexes != "0-4" || !reflect.DeepEqual(conditionTypes(s.job), []string{"SuccessCriteriaMet", "Complete"}) || s.job.Status.CompletionTime == nil {
		t.Fatalf("status %+v", s.job.Status)
	}
	c := findCondition(s.job.Status.Conditions, batchv1.JobComplete)
	if c.Reason != "CompletionsReached" || len(s.events) != 1 || s.events[0].Reason != "Completed" {
		t.Fatalf("condition %+v events %+v", c, s.events)
	}
}

func TestBackoffLimitPerIndex(t *testing.T) {
	job := newJob(2, 3, indexed, func(j *batchv1.Job) {
		j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
		j.Spec.BackoffLimit = nil
	})
	first := jobPod(corev1.PodFailed, 1)
	// First failure of index 1: its pod waits for a replacement that inherits the count.
	s, act, tp := runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodRunning, 0), first}, Satisfied: true, Now: t0.Add(10 * time.Second)})
	if !reflect.DeepEqual(act.Create, []int{1}) || len(tp.RemoveFinalizer) != 0 {
		t.Fatalf("create %v remove %v", act.Create, names(tp.RemoveFinalizer))
	}
	if got := s.newPodFor(1).Annotations[batchv1.JobIndexFailureCountAnnotation]; got != "1" {
		t.Fatalf("failure count annotation %q", got)
	}
	// The replacement fails too: the index has failed; the job fails once the others end.
	second := jobPod(corev1.PodFailed, 1)
	second.Annotations[batchv1.JobIndexFailureCountAnnotation] = "1"
	s, _, _ = runSync(syncInput{Job: job.DeepCopy(), Pods: []*corev1.Pod{jobPod(corev1.PodSucceeded, 0), untracked(first), second, jobPod(corev1.PodSucceeded, 2)}, Satisfied: true})
	if s.job.Status.FailedIndexes == nil || *s.job.Status.FailedIndexes != "1" || s.job.Status.CompletedIndexes != "0,2" {
		t.Fatalf("status %+v", s.job.Status)
	}
	if c := findCondition(s.job.Status.Conditions, batchv1.JobFailed); c == nil || c.Reason != "FailedIndexes" {
		t.Fatalf("conditions %+v", s.job.Status.Conditions)
	}
}

func TestSuccessPolicy(t *testing.T) {
	job := newJob(3, 5, indexed, func(j *batchv1.Job) {
		j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededIndexes: ptr.To("0,1"), SucceededCount: ptr.To[int32](1)}}}
	})
	s, act, _ := runSync(syncInput{Job: job, Pods: []*corev1.Pod{jobPod(corev1.PodSucceeded, 1), jobPod(corev1.PodRunning, 2)}, Satisfied: true})
	if !act.Finishing || len(act.Delete) != 1 {
		t.Fatalf("act %+v", act)
	}
	if got := conditionTypes(s.job); !reflect.DeepEqual(got, []string{"SuccessCriteriaMet"}) {
		t.Fatalf("conditions %v (the running pod is still terminating)", got)
	}
	if c := findCondition(s.job.Status.Conditions, batchv1.JobSuccessCriteriaMet); c.Reason != "SuccessPolicy" || c.Message != "Matched rules at index 0" {
		t.Fatalf("condition %+v", c)
	}
}

func TestTTL(t *testing.T) {
	job := newJob(1, 1, func(j *batchv1.Job) {
		j.Spec.TTLSecondsAfterFinished = ptr.To[int32](30)
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}}
	})
	if at, ok := expiresAt(job); !ok || !at.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("expires %v %v", at, ok)
	}
	job.Spec.TTLSecondsAfterFinished = nil
	if _, ok := expiresAt(job); ok {
		t.Fatal("no TTL, no expiry")
	}
}
