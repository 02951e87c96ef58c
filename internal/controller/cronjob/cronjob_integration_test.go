package cronjob_test

import (
	"context"
	"fmt"
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

	"ordinal.dev/ordinal/internal/controller/cronjob"
	"ordinal.dev/ordinal/internal/controlplane"
)

func poll(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last: %v)", what, err, last)
	}
}

// TestCronJobOnAFakeClock runs the CronJob controller alone on a fake clock; the test
// finishes the Jobs itself (no Job controller runs).
func TestCronJobOnAFakeClock(t *testing.T) {
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		// This test runs its own controller, on a fake clock.
		DisableControllers: []string{"cronjob"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	clk := clocktesting.NewFakeClock(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := cronjob.New(client, factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), cronjob.Options{Clock: clk})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })

	const ns = "default"
	cj, err := client.BatchV1().CronJobs(ns).Create(context.Background(), &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "tick"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   "* * * * *",
			TimeZone:                   ptr.To("UTC"),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := cj.CreationTimestamp.Time.Truncate(time.Minute).Add(time.Minute)
	name := func(t time.Time) string { return fmt.Sprintf("tick-%d", t.Unix()/60) }
	getJob := func(n string) (*batchv1.Job, error) {
		return client.BatchV1().Jobs(ns).Get(context.Background(), n, metav1.GetOptions{})
	}
	getCJ := func() *batchv1.CronJob {
		cj, err := client.BatchV1().CronJobs(ns).Get(context.Background(), "tick", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cj
	}
	hasEvent := func(reason string) (bool, error) {
		events, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range events.Items {
			if e.Reason == reason && e.InvolvedObject.Name == "tick" {
				return true, nil
			}
		}
		return false, fmt.Errorf("no %s event", reason)
	}

	// Nothing before the first scheduled time.
	clk.SetTime(first.Add(-2 * time.Second))
	if _, err := getJob(name(first)); !apierrors.IsNotFound(err) {
		t.Fatalf("job before its time: %v", err)
	}
	// The first minute: a Job named after it.
	clk.SetTime(first.Add(time.Second))
	var job1 *batchv1.Job
	poll(t, "the first job", func() (bool, error) {
		job1, err = getJob(name(first))
		return err == nil, err
	})
	if job1.Labels["team"] != "a" || job1.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] != first.UTC().Format(time.RFC3339) {
		t.Fatalf("job metadata %+v", job1.ObjectMeta)
	}
	if ref := metav1.GetControllerOf(job1); ref == nil || ref.Kind != "CronJob" || ref.UID != cj.UID {
		t.Fatalf("job owner %+v", ref)
	}
	poll(t, "the job in status.active", func() (bool, error) {
		st := getCJ().Status
		return len(st.Active) == 1 && st.Active[0].Name == job1.Name && st.LastScheduleTime != nil && st.LastScheduleTime.Time.Equal(first), fmt.Errorf("status %+v", st)
	})
	poll(t, "a SuccessfulCreate event", func() (bool, error) { return hasEvent("SuccessfulCreate") })

	// Forbid: the next minute passes without a second Job while the first runs.
	second := first.Add(time.Minute)
	clk.SetTime(second.Add(time.Second))
	poll(t, "JobAlreadyActive", func() (bool, error) { return hasEvent("JobAlreadyActive") })
	if _, err := getJob(name(second)); !apierrors.IsNotFound(err) {
		t.Fatalf("forbidden job created: %v", err)
	}

	// The first Job completes: it leaves status.active, sets lastSuccessfulTime, and the
	// skipped run starts late (no startingDeadlineSeconds), under its own minute's name.
	complete(t, client, job1, second.Add(10*time.Second))
	poll(t, "the completed job seen and the skipped run started", func() (bool, error) {
		st := getCJ().Status
		return len(st.Active) == 1 && st.Active[0].Name == name(second) && st.LastSuccessfulTime != nil &&
			st.LastSuccessfulTime.Time.Equal(second.Add(10*time.Second)), fmt.Errorf("status %+v", st)
	})
	poll(t, "a SawCompletedJob event", func() (bool, error) { return hasEvent("SawCompletedJob") })

	// Once the second Job completes too, the history limit of one successful Job removes
	// the first, and the next minute runs again.
	job2, err := getJob(name(second))
	if err != nil {
		t.Fatal(err)
	}
	complete(t, client, job2, second.Add(20*time.Second))
	poll(t, "the first job cleaned up", func() (bool, error) {
		j, err := getJob(job1.Name)
		return apierrors.IsNotFound(err) || (err == nil && j.DeletionTimestamp != nil), err
	})
	poll(t, "a SuccessfulDelete event", func() (bool, error) { return hasEvent("SuccessfulDelete") })
	if _, err := getJob(job2.Name); err != nil {
		t.Fatalf("the latest job is kept: %v", err)
	}
	third := second.Add(time.Minute)
	clk.SetTime(third.Add(time.Second))
	poll(t, "the third job", func() (bool, error) {
		_, err := getJob(name(third))
		return err == nil, err
	})
}

// complete writes what the Job controller would for a Job that succeeded at end.
func complete(t *testing.T, client kubernetes.Interface, job *batchv1.Job, end time.Time) {
	t.Helper()
	j, err := client.BatchV1().Jobs(job.Namespace).Get(context.Background(), job.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := metav1.NewTime(end)
	start := metav1.NewTime(end.Add(-5 * time.Second))
	j.Status.StartTime = &start
	j.Status.CompletionTime = &ts
	j.Status.Succeeded = 1
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: ts, LastProbeTime: ts, Reason: "CompletionsReached"},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: ts, LastProbeTime: ts, Reason: "CompletionsReached"},
	}
	if _, err := client.BatchV1().Jobs(job.Namespace).UpdateStatus(context.Background(), j, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("completing job %s: %v", job.Name, err)
	}
}
