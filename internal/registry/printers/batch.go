package printers

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

var jobColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Status", "string", "Status of the job."),
	column("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
	column("Duration", "string", "Time required to complete the job."),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
	wideColumn("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
}

func printJob(job *batchv1.Job, now time.Time) (metav1.TableRow, error) {
	names, images := containerCells(job.Spec.Template.Spec.Containers)
	return newRow(job,
		job.Name,
		jobStatus(job),
		jobCompletions(job),
		jobDuration(job, now),
		age(job.CreationTimestamp, now),
		names,
		images,
		metav1.FormatLabelSelector(job.Spec.Selector),
	), nil
}

// jobStatus is the Status cell, in 1.32's order of precedence: a finished job
// says so even while being deleted; otherwise deletion, suspension and a
// pending failure (FailureTarget) come before Running.
func jobStatus(job *batchv1.Job) string {
	switch {
	case jobConditionTrue(job, batchv1.JobComplete):
		return "Complete"
	case jobConditionTrue(job, batchv1.JobFailed):
		return "Failed"
	case job.DeletionTimestamp != nil:
		return "Terminating"
	case jobConditionTrue(job, batchv1.JobSuspended):
		return "Suspended"
	case jobConditionTrue(job, batchv1.JobFailureTarget):
		return "FailureTarget"
	default:
		return "Running"
	}
}

// jobConditionTrue reports whether the job's first condition of type t is True.
func jobConditionTrue(job *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// jobCompletions is "succeeded/completions"; a work-queue job (no
// completions) needs one success, and shows its parallelism when above one.
func jobCompletions(job *batchv1.Job) string {
	if job.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", job.Status.Succeeded, *job.Spec.Completions)
	}
	if p := job.Spec.Parallelism; p != nil && *p > 1 {
		return fmt.Sprintf("%d/1 of %d", job.Status.Succeeded, *p)
	}
	return fmt.Sprintf("%d/1", job.Status.Succeeded)
}

// jobDuration is how long the job ran, or has been running; blank before it starts.
func jobDuration(job *batchv1.Job, now time.Time) string {
	switch {
	case job.Status.StartTime == nil:
		return ""
	case job.Status.CompletionTime == nil:
		return duration.HumanDuration(now.Sub(job.Status.StartTime.Time))
	default:
		return duration.HumanDuration(job.Status.CompletionTime.Sub(job.Status.StartTime.Time))
	}
}

// Upstream describes CronJob columns with the batch/v1beta1 docs; we keep its text.
var (
	cronJobSpecDoc   = batchv1beta1.CronJobSpec{}.SwaggerDoc()
	cronJobStatusDoc = batchv1beta1.CronJobStatus{}.SwaggerDoc()
)

var cronJobColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Schedule", "string", cronJobSpecDoc["schedule"]),
	column("Timezone", "string", cronJobSpecDoc["timeZone"]),
	column("Suspend", "boolean", cronJobSpecDoc["suspend"]),
	column("Active", "integer", cronJobStatusDoc["active"]),
	column("Last Schedule", "string", cronJobStatusDoc["lastScheduleTime"]),
	ageColumn(),
	containersColumn(),
	imagesColumn(),
	wideColumn("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
}

func printCronJob(cj *batchv1.CronJob, now time.Time) (metav1.TableRow, error) {
	lastSchedule := none
	if cj.Status.LastScheduleTime != nil {
		lastSchedule = age(*cj.Status.LastScheduleTime, now)
	}
	timeZone := none
	if cj.Spec.TimeZone != nil {
		timeZone = *cj.Spec.TimeZone
	}
	jobSpec := cj.Spec.JobTemplate.Spec
	names, images := containerCells(jobSpec.Template.Spec.Containers)
	return newRow(cj,
		cj.Name,
		cj.Spec.Schedule,
		timeZone,
		boolPtrCell(cj.Spec.Suspend), // a string despite the column's "boolean" type, as upstream
		int64(len(cj.Status.Active)),
		lastSchedule,
		age(cj.CreationTimestamp, now),
		names,
		images,
		metav1.FormatLabelSelector(jobSpec.Selector),
	), nil
}
