// Package job is the Job controller, as upstream Kubernetes 1.32: it runs pods until
// enough succeed (completions, parallelism, Indexed completion), recreates failed ones
// with back-off up to backoffLimit, applies podFailurePolicy, successPolicy,
// activeDeadlineSeconds and suspend, tracks finished pods through the
// batch.kubernetes.io/job-tracking finalizer and status.uncountedTerminatedPods, and
// deletes finished Jobs after ttlSecondsAfterFinished.
//
// Counting finished pods exactly once (upstream's "tracking with finalizers"):
//  1. a finished pod that still has the finalizer is added to uncountedTerminatedPods
//     (its UID) or, for Indexed Jobs, to completedIndexes, and the status is written;
//  2. its finalizer is removed;
//  3. UIDs whose pods no longer carry the finalizer move from uncountedTerminatedPods into
//     the succeeded/failed counters, and the status is written again.
//
// A crash between any two steps converges on the next sync.
//
// Terminal conditions follow 1.31+: SuccessCriteriaMet or FailureTarget first, then
// Complete or Failed once no pod is terminating.
package job
