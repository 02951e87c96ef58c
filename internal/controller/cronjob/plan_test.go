package cronjob

import (
	"reflect"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// created is the CronJobs' creation time: 10:00:30 UTC.
var created = time.Date(2025, 3, 10, 10, 0, 30, 0, time.UTC)

func newCronJob(schedule string, mutate ...func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "tick", Namespace: "ns", UID: "cj-uid", CreationTimestamp: metav1.NewTime(created)},
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			TimeZone:                   ptr.To("UTC"),
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"note": "x"}},
				Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever}}},
			},
		},
	}
	for _, m := range mutate {
		m(cj)
	}
	return cj
}

func at(h, m, s int) time.Time { return time.Date(2025, 3, 10, h, m, s, 0, time.UTC) }

func lastScheduled(t time.Time) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) { cj.Status.LastScheduleTime = &metav1.Time{Time: t} }
}

func activeJob(name string) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) {
		cj.Status.Active = append(cj.Status.Active, corev1.ObjectReference{Kind: "Job", Namespace: "ns", Name: name, UID: types.UID(name)})
	}
}

func TestMostRecentScheduleTime(t *testing.T) {
	tests := []struct {
		name     string
		cj       *batchv1.CronJob
		now      time.Time
		want     *time.Time
		missed   int64
		deadline bool
	}{
		{"before the first run", newCronJob("*/5 * * * *"), at(10, 4, 0), nil, 0, false},
		{"first run due", newCronJob("*/5 * * * *"), at(10, 5, 10), ptr.To(at(10, 5, 0)), 1, false},
		{"three missed: the latest", newCronJob("*/5 * * * *"), at(10, 17, 0), ptr.To(at(10, 15, 0)), 3, false},
		{"from the last schedule", newCronJob("*/5 * * * *", lastScheduled(at(10, 15, 0))), at(10, 17, 0), nil, 0, false},
		{"irregular schedule", newCronJob("59 23 * * *"), time.Date(2025, 3, 13, 0, 30, 0, 0, time.UTC), ptr.To(time.Date(2025, 3, 12, 23, 59, 0, 0, time.UTC)), 3, false},
		{"more than 100 missed", newCronJob("* * * * *"), at(13, 0, 0), ptr.To(at(13, 0, 0)), 180, false},
		{"the deadline bounds the search", newCronJob("* * * * *", func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptr.To[int64](200) }),
			at(13, 0, 0), ptr.To(at(13, 0, 0)), 4, true},
		{"time zone", newCronJob("0 9 * * *", func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("America/New_York") }),
			at(13, 30, 0), ptr.To(at(13, 0, 0)), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSchedule(tt.cj)
			if err != nil {
				t.Fatal(err)
			}
			_, got, missed, err := mostRecentScheduleTime(tt.cj, tt.now, s, tt.deadline)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) || missed != tt.missed {
				t.Fatalf("got %v missed %d, want %v missed %d", got, missed, tt.want, tt.missed)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	tests := []struct {
		name    string
		cj      *batchv1.CronJob
		now     time.Time
		create  string
		replace []string
		events  []string
		requeue time.Duration
	}{
		{"nothing due: wait for the first run", newCronJob("*/5 * * * *"), at(10, 3, 0), "", nil, nil, 2*time.Minute + nextScheduleDelta},
		{"due: create", newCronJob("*/5 * * * *"), at(10, 5, 2), "tick-29026685", nil, nil, 5*time.Minute - 2*time.Second + nextScheduleDelta},
		{"missed runs: only the latest", newCronJob("*/5 * * * *"), at(10, 16, 0), "tick-29026695", nil, nil, 4*time.Minute + nextScheduleDelta},
		{"already scheduled", newCronJob("*/5 * * * *", lastScheduled(at(10, 5, 0))), at(10, 5, 30), "", nil, nil, 4*time.Minute + 30*time.Second + nextScheduleDelta},
		{"Allow runs beside an active job", newCronJob("*/5 * * * *", lastScheduled(at(10, 5, 0)), activeJob("tick-29026685")), at(10, 10, 0), "tick-29026690", nil, nil, 5*time.Minute + nextScheduleDelta},
		{"Forbid skips while a job is active", newCronJob("*/5 * * * *", lastScheduled(at(10, 5, 0)), activeJob("tick-29026685"),
			func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent }), at(10, 10, 0), "", nil, []string{"JobAlreadyActive"}, 5*time.Minute + nextScheduleDelta},
		{"Forbid runs when nothing is active", newCronJob("*/5 * * * *", lastScheduled(at(10, 5, 0)),
			func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent }), at(10, 10, 0), "tick-29026690", nil, nil, 5*time.Minute + nextScheduleDelta},
		{"Replace deletes the active job", newCronJob("*/5 * * * *", lastScheduled(at(10, 5, 0)), activeJob("tick-29026685"),
			func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.ReplaceConcurrent }), at(10, 10, 0), "tick-29026690", []string{"tick-29026685"}, nil, 5*time.Minute + nextScheduleDelta},
		{"within startingDeadlineSeconds", newCronJob("*/5 * * * *", func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptr.To[int64](60) }),
			at(10, 5, 50), "tick-29026685", nil, nil, 4*time.Minute + 10*time.Second + nextScheduleDelta},
		{"past startingDeadlineSeconds", newCronJob("*/5 * * * *", func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptr.To[int64](10) }),
			at(10, 5, 50), "", nil, nil, 4*time.Minute + 10*time.Second + nextScheduleDelta},
		{"too many missed: warn, run the latest", newCronJob("* * * * *"), at(13, 0, 10), "tick-29026860", nil, []string{"TooManyMissedTimes"}, 50*time.Second + nextScheduleDelta},
		{"suspended", newCronJob("* * * * *", func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) }), at(10, 5, 0), "", nil, nil, 0},
		{"unknown time zone", newCronJob("* * * * *", func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Mars/Olympus") }), at(10, 5, 0), "", nil, []string{"UnknownTimeZone"}, 0},
		{"unparseable schedule", newCronJob("61 * * * *"), at(10, 5, 0), "", nil, []string{"UnparseableSchedule"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := schedule(tt.cj, tt.now)
			name := ""
			if r.Create != nil {
				name = r.Create.Name
			}
			var replace, events []string
			for _, ref := range r.Replace {
				replace = append(replace, ref.Name)
			}
			for _, e := range r.Events {
				events = append(events, e.Reason)
			}
			var requeue time.Duration
			if r.RequeueAfter != nil {
				requeue = *r.RequeueAfter
			}
			if name != tt.create || !reflect.DeepEqual(replace, tt.replace) || !reflect.DeepEqual(events, tt.events) || requeue != tt.requeue {
				t.Fatalf("create %q replace %v events %v requeue %v; want %q %v %v %v", name, replace, events, requeue, tt.create, tt.replace, tt.events, tt.requeue)
			}
		})
	}
}

func TestJobFromTemplate(t *testing.T) {
	cj := newCronJob("0 9 * * *", func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Europe/Paris") })
	job, err := jobFromTemplate(cj, at(8, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if job.Name != "tick-29026560" || job.Labels["team"] != "a" || job.Annotations["note"] != "x" {
		t.Fatalf("job %+v", job.ObjectMeta)
	}
	if got := job.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]; got != "2025-03-10T09:00:00+01:00" {
		t.Fatalf("scheduled timestamp %q", got)
	}
	if ref := metav1.GetControllerOf(job); ref == nil || ref.Kind != "CronJob" || ref.UID != "cj-uid" {
		t.Fatalf("owner %+v", ref)
	}
	// The template is copied, not shared.
	job.Labels["team"] = "b"
	if cj.Spec.JobTemplate.Labels["team"] != "a" {
		t.Fatal("template changed")
	}
	utc, _ := jobFromTemplate(newCronJob("* * * * *", func(cj *batchv1.CronJob) { cj.Spec.TimeZone = nil }), at(8, 0, 0))
	if got := utc.Annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]; got != "2025-03-10T08:00:00Z" {
		t.Fatalf("scheduled timestamp without a zone %q", got)
	}
}

func job(name string, cond batchv1.JobConditionType, started, finished time.Time) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name)}}
	if !started.IsZero() {
		j.Status.StartTime = &metav1.Time{Time: started}
	}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
		if cond == batchv1.JobComplete {
			j.Status.CompletionTime = &metav1.Time{Time: finished}
		}
	}
	return j
}

func TestReconcile(t *testing.T) {
	cj := newCronJob("* * * * *", activeJob("a"), activeJob("b"), activeJob("gone"), activeJob("lagging"),
		func(cj *batchv1.CronJob) { cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](2) })
	jobs := []*batchv1.Job{
		job("a", batchv1.JobComplete, at(10, 1, 0), at(10, 1, 30)),
		job("b", "", at(10, 2, 0), time.Time{}),
		job("old-1", batchv1.JobComplete, at(9, 1, 0), at(9, 1, 30)),
		job("old-2", batchv1.JobComplete, at(9, 2, 0), at(9, 2, 30)),
		job("failed-1", batchv1.JobFailed, at(9, 3, 0), time.Time{}),
		job("failed-2", batchv1.JobFailed, at(9, 4, 0), time.Time{}),
		job("stray", "", at(9, 5, 0), time.Time{}),
	}
	r := reconcile(cj, jobs, map[types.UID]bool{"gone": true})
	var active, events, deletes []string
	for _, ref := range r.Status.Active {
		active = append(active, ref.Name)
	}
	for _, e := range r.Events {
		events = append(events, e.Reason+": "+e.Message)
	}
	for _, j := range r.HistoryDeletes {
		deletes = append(deletes, j.Name)
	}
	if !reflect.DeepEqual(active, []string{"b", "lagging"}) {
		t.Fatalf("active %v", active)
	}
	if !reflect.DeepEqual(events, []string{"SawCompletedJob: Saw completed job: a, condition: Complete", "MissingJob: Active job went missing: gone"}) {
		t.Fatalf("events %v", events)
	}
	if !reflect.DeepEqual(deletes, []string{"old-1", "failed-1"}) {
		t.Fatalf("history deletes %v", deletes)
	}
	if !reflect.DeepEqual(r.Unexpected, []string{"stray"}) || !r.Status.LastSuccessfulTime.Time.Equal(at(10, 1, 30)) {
		t.Fatalf("unexpected %v last success %v", r.Unexpected, r.Status.LastSuccessfulTime)
	}
}
