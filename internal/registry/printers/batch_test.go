package printers

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestJobColumns(t *testing.T) {
	assertHeaders(t, &batchv1.Job{},
		"Name", "Status", "Completions", "Duration", "Age", "Containers+", "Images+", "Selector+")
}

func TestJobRow(t *testing.T) {
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", CreationTimestamp: ago(10 * time.Minute)},
		Spec: batchv1.JobSpec{
			Completions: ptr(int32(5)),
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "abc"}},
			Template:    corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "pi", Image: "perl:5.34"}}}},
		},
		Status: batchv1.JobStatus{
			Succeeded:      5,
			StartTime:      agoPtr(9 * time.Minute),
			CompletionTime: agoPtr(6*time.Minute + 30*time.Second),
			Conditions:     []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}},
		},
	}
	assertCells(t, job, "pi", "Complete", "5/5", "2m30s", "10m", "pi", "perl:5.34", "batch.kubernetes.io/controller-uid=abc")
}

func TestJobStatus(t *testing.T) {
	cond := func(t batchv1.JobConditionType, s corev1.ConditionStatus) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: s}
	}
	for _, tc := range []struct {
		name       string
		conditions []batchv1.JobCondition
		deleted    bool
		want       string
	}{
		{"running", nil, false, "Running"},
		{"complete", []batchv1.JobCondition{cond(batchv1.JobComplete, corev1.ConditionTrue)}, false, "Complete"},
		{"complete wins over deletion", []batchv1.JobCondition{cond(batchv1.JobComplete, corev1.ConditionTrue)}, true, "Complete"},
		{"failed", []batchv1.JobCondition{cond(batchv1.JobFailureTarget, corev1.ConditionTrue), cond(batchv1.JobFailed, corev1.ConditionTrue)}, false, "Failed"},
		{"terminating", []batchv1.JobCondition{cond(batchv1.JobSuspended, corev1.ConditionTrue)}, true, "Terminating"},
		{"suspended", []batchv1.JobCondition{cond(batchv1.JobSuspended, corev1.ConditionTrue)}, false, "Suspended"},
		{"resumed", []batchv1.JobCondition{cond(batchv1.JobSuspended, corev1.ConditionFalse)}, false, "Running"},
		{"failure target", []batchv1.JobCondition{cond(batchv1.JobFailureTarget, corev1.ConditionTrue)}, false, "FailureTarget"},
		// 1.32's printer has no SuccessCriteriaMet status (added upstream in 1.34).
		{"success criteria met", []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue)}, false, "Running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := &batchv1.Job{Status: batchv1.JobStatus{Conditions: tc.conditions}}
			if tc.deleted {
				job.DeletionTimestamp = agoPtr(0)
			}
			if got := cellsOf(t, job)[1]; got != tc.want {
				t.Errorf("status %q, want %q", got, tc.want)
			}
		})
	}
}

func TestJobCompletionsAndDuration(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		spec                  batchv1.JobSpec
		status                batchv1.JobStatus
		completions, duration string
	}{
		{"not started", batchv1.JobSpec{}, batchv1.JobStatus{}, "0/1", ""},
		{"work queue with parallelism", batchv1.JobSpec{Parallelism: ptr(int32(3))}, batchv1.JobStatus{Succeeded: 1, StartTime: agoPtr(3 * time.Hour)}, "1/1 of 3", "3h"},
		{"parallelism one", batchv1.JobSpec{Parallelism: ptr(int32(1))}, batchv1.JobStatus{StartTime: agoPtr(30 * time.Second)}, "0/1", "30s"},
		{"fixed completions", batchv1.JobSpec{Completions: ptr(int32(3)), Parallelism: ptr(int32(3))}, batchv1.JobStatus{Succeeded: 2}, "2/3", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := cellsOf(t, &batchv1.Job{Spec: tc.spec, Status: tc.status})
			if cells[2] != tc.completions || cells[3] != tc.duration {
				t.Errorf("completions %q duration %q, want %q %q", cells[2], cells[3], tc.completions, tc.duration)
			}
		})
	}
}

func TestCronJobRow(t *testing.T) {
	assertHeaders(t, &batchv1.CronJob{},
		"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers+", "Images+", "Selector+")
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "backup", CreationTimestamp: ago(9 * 24 * time.Hour)},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/5 * * * *",
			TimeZone: ptr("Europe/Paris"),
			Suspend:  ptr(false),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "dump", Image: "postgres:17"}}}},
			}},
		},
		Status: batchv1.CronJobStatus{
			Active:           []corev1.ObjectReference{{Name: "backup-29000"}},
			LastScheduleTime: agoPtr(4 * time.Minute),
		},
	}
	assertCells(t, cj, "backup", "*/5 * * * *", "Europe/Paris", "False", int64(1), "4m", "9d", "dump", "postgres:17", "<none>")
	assertCells(t, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "new"}, Spec: batchv1.CronJobSpec{Schedule: "@daily", Suspend: ptr(true)}},
		"new", "@daily", "<none>", "True", int64(0), "<none>", "<unknown>", "", "", "<none>")
	if s := cellsOf(t, &batchv1.CronJob{})[3]; s != "<unset>" {
		t.Errorf("unset suspend %q", s)
	}
}
