package cronjob

import (
	"errors"
	"fmt"
	"sort"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("CronJob")

type event struct{ Type, Reason, Message string }

// reconcileResult is the first half of a sync: the CronJob's view of its Jobs brought up to
// date, and the finished Jobs beyond the history limits.
type reconcileResult struct {
	Status batchv1.CronJobStatus
	Events []event
	// HistoryDeletes are finished Jobs to delete, oldest first.
	HistoryDeletes []*batchv1.Job
	// Unexpected are unfinished Jobs it controls that status.active does not list.
	Unexpected []string
}

// reconcile compares status.active with the Jobs the CronJob controls: finished ones leave
// the list (SawCompletedJob), vanished ones too (MissingJob; gone holds the UIDs the API
// confirmed missing), successes move lastSuccessfulTime.
func reconcile(cj *batchv1.CronJob, jobs []*batchv1.Job, gone map[types.UID]bool) reconcileResult {
	r := reconcileResult{Status: *cj.Status.DeepCopy()}
	st := &r.Status
	children := map[types.UID]bool{}
	for _, j := range jobs {
		children[j.UID] = true
		active := inActiveList(st, j.UID)
		done, cond := finishedCondition(j)
		switch {
		case !active && !done:
			r.Unexpected = append(r.Unexpected, j.Name)
		case active && done:
			removeFromActive(st, j.UID)
			r.Events = append(r.Events, event{corev1.EventTypeNormal, "SawCompletedJob", fmt.Sprintf("Saw completed job: %s, condition: %v", j.Name, cond)})
		}
		if cond == batchv1.JobComplete && j.Status.CompletionTime != nil {
			if st.LastSuccessfulTime == nil || j.Status.CompletionTime.After(st.LastSuccessfulTime.Time) {
				t := *j.Status.CompletionTime
				st.LastSuccessfulTime = &t
			}
		}
	}
	for _, ref := range append([]corev1.ObjectReference(nil), st.Active...) {
		if !children[ref.UID] && gone[ref.UID] {
			removeFromActive(st, ref.UID)
			r.Events = append(r.Events, event{corev1.EventTypeNormal, "MissingJob", fmt.Sprintf("Active job went missing: %v", ref.Name)})
		}
	}
	r.HistoryDeletes = historyDeletes(cj, jobs)
	return r
}

// historyDeletes picks the oldest finished Jobs beyond successfulJobsHistoryLimit and
// failedJobsHistoryLimit.
func historyDeletes(cj *batchv1.CronJob, jobs []*batchv1.Job) []*batchv1.Job {
	var succeeded, failed []*batchv1.Job
	for _, j := range jobs {
		switch _, c := finishedCondition(j); c {
		case batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	var out []*batchv1.Job
	oldest := func(list []*batchv1.Job, limit *int32) {
		if limit == nil || len(list) <= int(*limit) {
			return
		}
		sort.SliceStable(list, func(a, b int) bool { return startedBefore(list[a], list[b]) })
		out = append(out, list[:len(list)-int(*limit)]...)
	}
	oldest(succeeded, cj.Spec.SuccessfulJobsHistoryLimit)
	oldest(failed, cj.Spec.FailedJobsHistoryLimit)
	return out
}

// startedBefore orders Jobs by start time, those never started last, then by name.
func startedBefore(a, b *batchv1.Job) bool {
	sa, sb := a.Status.StartTime, b.Status.StartTime
	switch {
	case sa == nil && sb != nil:
		return false
	case sa != nil && sb == nil:
		return true
	case sa == nil && sb == nil, sa.Equal(sb):
		return a.Name < b.Name
	}
	return sa.Before(sb)
}

// scheduleResult is the second half of a sync: what to do about the scheduled times.
type scheduleResult struct {
	Events []event
	// Replace lists active Jobs to delete before creating (concurrencyPolicy Replace).
	Replace []corev1.ObjectReference
	// Create is the Job to create for Scheduled.
	Create    *batchv1.Job
	Scheduled time.Time
	// RequeueAfter is when to look again (nil: only on a change of the CronJob).
	RequeueAfter *time.Duration
}

// schedule decides, for a CronJob whose status is up to date, whether a Job starts now.
func schedule(cj *batchv1.CronJob, now time.Time) scheduleResult {
	var r scheduleResult
	warn := func(reason, format string, args ...any) {
		r.Events = append(r.Events, event{corev1.EventTypeWarning, reason, fmt.Sprintf(format, args...)})
	}
	if cj.DeletionTimestamp != nil {
		return r
	}
	s, err := parseSchedule(cj)
	switch {
	case errors.Is(err, errUnknownTimeZone):
		warn("UnknownTimeZone", "invalid timeZone: %q: %s", *cj.Spec.TimeZone, err)
		return r
	case err != nil:
		warn("UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return r
	}
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		return r
	}
	next := func() *time.Duration {
		d := nextScheduleTimeDuration(cj, now, s)
		return &d
	}
	_, scheduled, missed, err := mostRecentScheduleTime(cj, now, s, true)
	if err != nil {
		warn("InvalidSchedule", "invalid schedule: %s : %s", cj.Spec.Schedule, err)
		return r
	}
	if scheduled == nil {
		r.RequeueAfter = next()
		return r
	}
	if missed > tooManyMissed {
		warn("TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		warn("MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		r.RequeueAfter = next()
		return r
	}
	name := jobName(cj, *scheduled)
	for _, ref := range cj.Status.Active {
		if ref.Name == name {
			r.RequeueAfter = next()
			return r
		}
	}
	if cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(*scheduled) {
		r.RequeueAfter = next()
		return r
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			r.Events = append(r.Events, event{corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid"})
			r.RequeueAfter = next()
			return r
		}
	case batchv1.ReplaceConcurrent:
		r.Replace = append(r.Replace, cj.Status.Active...)
	}
	job, err := jobFromTemplate(cj, *scheduled)
	if err != nil {
		warn("UnknownTimeZone", "invalid timeZone: %q: %s", *cj.Spec.TimeZone, err)
		return r
	}
	r.Create, r.Scheduled = job, *scheduled
	// The next run is computed as if this one were recorded.
	recorded := cj.DeepCopy()
	recorded.Status.LastScheduleTime = &metav1.Time{Time: *scheduled}
	d := nextScheduleTimeDuration(recorded, now, s)
	r.RequeueAfter = &d
	return r
}

func finishedCondition(j *batchv1.Job) (bool, batchv1.JobConditionType) {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true, c.Type
		}
	}
	return false, ""
}

func inActiveList(st *batchv1.CronJobStatus, uid types.UID) bool {
	for _, ref := range st.Active {
		if ref.UID == uid {
			return true
		}
	}
	return false
}

func removeFromActive(st *batchv1.CronJobStatus, uid types.UID) {
	var out []corev1.ObjectReference
	for _, ref := range st.Active {
		if ref.UID != uid {
			out = append(out, ref)
		}
	}
	st.Active = out
}
