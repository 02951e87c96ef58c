// Package cronjob is the CronJob controller, as upstream Kubernetes 1.32 (its "v2"
// controller): at each scheduled time it creates a Job named <cronjob>-<minutes since the
// epoch>, honouring concurrencyPolicy, startingDeadlineSeconds, suspend and spec.timeZone,
// keeps status.active, lastScheduleTime and lastSuccessfulTime, and deletes finished Jobs
// beyond the history limits. It wakes up exactly at the next scheduled time, on a clock
// tests can replace.
package cronjob
