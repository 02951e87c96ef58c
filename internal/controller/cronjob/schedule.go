package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/registry/validation"
)

// nextScheduleDelta is added to requeue delays so that the sync lands just after the
// scheduled time, not just before it (upstream: 100ms).
const nextScheduleDelta = 100 * time.Millisecond

// tooManyMissed: beyond this many missed start times only the latest is considered and a
// warning is raised (upstream's arbitrary 100: more than a long weekend of hourly runs).
const tooManyMissed = 100

// cronSchedule is a CronJob's parsed schedule in its time zone.
type cronSchedule struct {
	sched validation.Schedule
	loc   *time.Location
}

// Next is the first activation strictly after t, in the schedule's zone.
func (s cronSchedule) Next(t time.Time) time.Time { return s.sched.Next(t.In(s.loc)) }

var errUnknownTimeZone = errors.New("unknown time zone")

// parseSchedule reads spec.schedule in spec.timeZone; without a time zone the controller's
// local zone applies, as upstream.
func parseSchedule(cj *batchv1.CronJob) (cronSchedule, error) {
	loc := time.Local
	if tz := cj.Spec.TimeZone; tz != nil && !strings.Contains(cj.Spec.Schedule, "TZ") {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			return cronSchedule{}, fmt.Errorf("%w: %v", errUnknownTimeZone, err)
		}
		loc = l
	}
	sched, err := validation.ParseCronSchedule(cj.Spec.Schedule)
	if err != nil {
		return cronSchedule{}, err
	}
	return cronSchedule{sched: sched, loc: loc}, nil
}

// mostRecentScheduleTime returns the earliest time the CronJob may be scheduled from (its
// last schedule, else its creation, or with the deadline the oldest start still allowed),
// the latest scheduled time not after now (nil if none), and how many were missed.
func mostRecentScheduleTime(cj *batchv1.CronJob, now time.Time, s cronSchedule, withDeadline bool) (time.Time, *time.Time, int64, error) {
	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if withDeadline && cj.Spec.StartingDeadlineSeconds != nil {
		if d := now.Add(-time.Duration(*cj.Spec.StartingDeadlineSeconds) * time.Second); d.After(earliest) {
			earliest = d
		}
	}
	t1 := s.Next(earliest)
	t2 := s.Next(t1)
	if now.Before(t1) {
		return earliest, nil, 0, nil
	}
	if now.Before(t2) {
		return earliest, &t1, 1, nil
	}
	// Count missed times by the spacing of the first two, then walk the last stretch exactly
	// (schedules such as "59 23 * * *" are not evenly spaced).
	between := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if between < 1 {
		return earliest, nil, 0, errors.New("time difference between two schedules is less than 1 second")
	}
	missed := int64(now.Sub(t1).Seconds())/between + 1
	var latest time.Time
	from := t1.Add(time.Duration((missed-2)*between) * time.Second)
	for t := s.Next(from); !t.After(now); t = s.Next(t) {
		latest = t
	}
	if latest.IsZero() {
		return earliest, nil, missed, nil
	}
	return earliest, &latest, missed, nil
}

// nextScheduleTimeDuration is how long until the sync after now's: just past the next
// scheduled time.
func nextScheduleTimeDuration(cj *batchv1.CronJob, now time.Time, s cronSchedule) time.Duration {
	earliest, latest, _, err := mostRecentScheduleTime(cj, now, s, false)
	from := earliest
	switch {
	case err != nil:
		from = now
	case latest != nil:
		from = *latest
	}
	return s.Next(from).Add(nextScheduleDelta).Sub(now)
}

// jobName is <cronjob>-<scheduled time in minutes since the epoch>: deterministic, so a
// scheduled time never gets two Jobs even if status writes are lost.
func jobName(cj *batchv1.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}

// jobFromTemplate builds the Job for a scheduled time: jobTemplate's labels, annotations
// and spec, the scheduled-timestamp annotation (RFC3339 in the CronJob's zone, UTC without
// one), and the CronJob as controller.
func jobFromTemplate(cj *batchv1.CronJob, scheduled time.Time) (*batchv1.Job, error) {
	labels := map[string]string{}
	for k, v := range cj.Spec.JobTemplate.Labels {
		labels[k] = v
	}
	annotations := map[string]string{}
	for k, v := range cj.Spec.JobTemplate.Annotations {
		annotations[k] = v
	}
	tz := ""
	if cj.Spec.TimeZone != nil {
		tz = *cj.Spec.TimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, err
	}
	annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduled.In(loc).Format(time.RFC3339)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            jobName(cj, scheduled),
			Namespace:       cj.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, controllerKind)},
		},
	}
	cj.Spec.JobTemplate.Spec.DeepCopyInto(&job.Spec)
	return job, nil
}
