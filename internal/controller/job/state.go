package job

import (
	"math"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// Limits of one sync, as upstream: pods created or deleted, and UIDs parked in
// status.uncountedTerminatedPods (keeping the status object small).
const (
	maxPodCreateDeletePerSync = 500
	maxUncountedPods          = 500
)

// Event reasons and messages, as upstream.
const (
	reasonSuccessfulCreate = "SuccessfulCreate"
	reasonSuccessfulDelete = "SuccessfulDelete"
	reasonFailedCreate     = "FailedCreate"
	reasonFailedDelete     = "FailedDelete"
	reasonCompleted        = "Completed"
	reasonSuspended        = "Suspended"
	reasonResumed          = "Resumed"
	reasonTooManySucceeded = "TooManySucceededPods"
)

type event struct{ Type, Reason, Message string }

// syncInput is what one sync of a Job decides from. Job is a private copy: the sync edits
// its status in place.
type syncInput struct {
	Job  *batchv1.Job
	Pods []*corev1.Pod
	// Backoff is the Job's failure record from earlier syncs.
	Backoff backoffRecord
	// Satisfied: the informer shows every pod this controller created or deleted.
	Satisfied bool
	// ExpectedRmFinalizers are pods whose finalizer this controller removed but the informer
	// does not show yet: they are counted already.
	ExpectedRmFinalizers sets.Set[string]
	Now                  time.Time
}

// jobSync carries one sync through its phases: assess (newJobSync), manage, afterManage,
// track, finish. Each phase is pure; the controller does the API calls between them.
type jobSync struct {
	job                  *batchv1.Job
	pods, activePods     []*corev1.Pod
	now                  time.Time
	satisfied            bool
	expectedRmFinalizers sets.Set[string]

	uncountedSucceeded, uncountedFailed sets.Set[string]
	succeeded, failed                   int32
	active, ready, terminating          int32

	prevSucceededIndexes, succeededIndexes orderedIntervals
	failedIndexes                          *orderedIntervals
	delayedDeletionPerIndex                map[int]*corev1.Pod

	// newBackoff is the failure record including this sync's newly finished pods; it is
	// kept once the status carrying them is written.
	newBackoff backoffRecord
	// finishedCondition is the condition the Job is heading to, nil while it runs.
	finishedCondition *batchv1.JobCondition
	startTimeChanged  bool
	suspendChanged    bool

	requeueAfter time.Duration
	events       []event
}

func (s *jobSync) requeue(d time.Duration) {
	if d <= 0 {
		d = time.Millisecond
	}
	if s.requeueAfter == 0 || d < s.requeueAfter {
		s.requeueAfter = d
	}
}

func (s *jobSync) newCondition(t batchv1.JobConditionType, reason, message string) *batchv1.JobCondition {
	now := metav1.NewTime(s.now)
	return &batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastProbeTime: now, LastTransitionTime: now, Reason: reason, Message: message}
}

// newJobSync counts the pods and decides whether the Job has reached an end.
func newJobSync(in syncInput) *jobSync {
	job := in.Job
	if job.Status.UncountedTerminatedPods == nil {
		job.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	s := &jobSync{
		job: job, pods: in.Pods, activePods: activePods(in.Pods), now: in.Now,
		satisfied: in.Satisfied, expectedRmFinalizers: in.ExpectedRmFinalizers,
		uncountedSucceeded: uidSet(job.Status.UncountedTerminatedPods.Succeeded),
		uncountedFailed:    uidSet(job.Status.UncountedTerminatedPods.Failed),
	}
	if s.expectedRmFinalizers == nil {
		s.expectedRmFinalizers = sets.New[string]()
	}
	s.ready = countReady(s.activePods)
	s.terminating = int32(len(terminatingPods(in.Pods)))
	s.active = int32(len(s.activePods))

	newSucceeded := s.trackedPods(s.uncountedSucceeded, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	newFailed := s.trackedPods(s.uncountedFailed, func(p *corev1.Pod) bool { return isPodFailed(p, job) })
	s.succeeded = job.Status.Succeeded + int32(len(newSucceeded)) + int32(s.uncountedSucceeded.Len())
	s.failed = job.Status.Failed + int32(countedFailures(job, newFailed)) + int32(s.uncountedFailed.Len())

	if job.Status.StartTime == nil && !isSuspended(job) {
		now := metav1.NewTime(in.Now)
		job.Status.StartTime = &now
		s.startTimeChanged = true
	}
	s.newBackoff = nextBackoffRecord(in.Backoff, newSucceeded, newFailed)

	s.finishedCondition = successCriteriaMet(job)
	if s.finishedCondition == nil {
		if ft := findCondition(job.Status.Conditions, batchv1.JobFailureTarget); ft != nil && ft.Status == corev1.ConditionTrue {
			s.finishedCondition = s.newCondition(batchv1.JobFailed, ft.Reason, ft.Message)
		} else if msg := failJobMessage(job, in.Pods); msg != nil {
			s.finishedCondition = s.newCondition(batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, *msg)
		}
	}
	if s.finishedCondition == nil {
		switch {
		case s.failed > backoffLimit(job) || pastBackoffLimitOnFailure(job, in.Pods):
			s.finishedCondition = s.newCondition(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit")
		case s.pastActiveDeadline():
			s.finishedCondition = s.newCondition(batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, "Job was active longer than specified deadline")
		case job.Spec.ActiveDeadlineSeconds != nil && !isSuspended(job):
			s.requeue(time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second - in.Now.Sub(job.Status.StartTime.Time))
		}
	}

	if isIndexedJob(job) {
		completions := int(*job.Spec.Completions)
		s.prevSucceededIndexes = parseIndexes(job.Status.CompletedIndexes, completions)
		newIx := sets.New[int]()
		for _, p := range in.Pods {
			if ix := completionIndex(p); p.Status.Phase == corev1.PodSucceeded && ix != unknownCompletionIndex && ix < completions && hasTrackingFinalizer(p) {
				newIx.Insert(ix)
			}
		}
		s.succeededIndexes = s.prevSucceededIndexes.withOrderedIndexes(sets.List(newIx))
		s.succeeded = int32(s.succeededIndexes.total())
		if hasBackoffLimitPerIndex(job) {
			s.failedIndexes = s.calculateFailedIndexes()
			if s.finishedCondition == nil {
				switch {
				case job.Spec.MaxFailedIndexes != nil && s.failedIndexes.total() > int(*job.Spec.MaxFailedIndexes):
					s.finishedCondition = s.newCondition(batchv1.JobFailureTarget, batchv1.JobReasonMaxFailedIndexesExceeded, "Job has exceeded the specified maximal number of failed indexes")
				case s.failedIndexes.total() > 0 && s.failedIndexes.total()+s.succeededIndexes.total() >= completions:
					s.finishedCondition = s.newCondition(batchv1.JobFailureTarget, batchv1.JobReasonFailedIndexes, "Job has failed indexes")
				}
			}
			s.delayedDeletionPerIndex = s.podsWithDelayedDeletionPerIndex()
		}
		if s.finishedCondition == nil {
			if msg, ok := matchSuccessPolicy(job.Spec.SuccessPolicy, *job.Spec.Completions, s.succeededIndexes); ok {
				s.finishedCondition = s.newCondition(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonSuccessPolicy, msg)
			}
		}
	}
	return s
}

// trackedPods are the pods still carrying the tracking finalizer, not yet parked in
// uncounted, and (Indexed) with a valid index, that pass filter.
func (s *jobSync) trackedPods(uncounted sets.Set[string], filter func(*corev1.Pod) bool) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range s.pods {
		uid := string(p.UID)
		if !hasTrackingFinalizer(p) || uncounted.Has(uid) || s.expectedRmFinalizers.Has(uid) {
			continue
		}
		if isIndexedJob(s.job) {
			if ix := completionIndex(p); ix == unknownCompletionIndex || ix >= int(*s.job.Spec.Completions) {
				continue
			}
		}
		if filter(p) {
			out = append(out, p)
		}
	}
	return out
}

// countedFailures leaves out failures an Ignore rule of the podFailurePolicy matches.
func countedFailures(job *batchv1.Job, failed []*corev1.Pod) int {
	n := len(failed)
	if job.Spec.PodFailurePolicy != nil {
		for _, p := range failed {
			if _, count, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); !count {
				n--
			}
		}
	}
	return n
}

func backoffLimit(job *batchv1.Job) int32 {
	if job.Spec.BackoffLimit != nil {
		return *job.Spec.BackoffLimit
	}
	if hasBackoffLimitPerIndex(job) {
		return math.MaxInt32
	}
	return 6
}

// pastBackoffLimitOnFailure: with restartPolicy OnFailure, failures are container restarts
// of running pods, and they count toward backoffLimit.
func pastBackoffLimitOnFailure(job *batchv1.Job, pods []*corev1.Pod) bool {
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return false
	}
	var restarts int32
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending {
			for _, cs := range p.Status.InitContainerStatuses {
				restarts += cs.RestartCount
			}
			for _, cs := range p.Status.ContainerStatuses {
				restarts += cs.RestartCount
			}
		}
	}
	if limit := backoffLimit(job); limit == 0 {
		return restarts > 0
	} else {
		return restarts >= limit
	}
}

// pastActiveDeadline: the Job has been running (unsuspended) for activeDeadlineSeconds.
func (s *jobSync) pastActiveDeadline() bool {
	job := s.job
	if job.Spec.ActiveDeadlineSeconds == nil || job.Status.StartTime == nil || isSuspended(job) {
		return false
	}
	return s.now.Sub(job.Status.StartTime.Time) >= time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second
}

func isSuspended(job *batchv1.Job) bool { return job.Spec.Suspend != nil && *job.Spec.Suspend }

func findCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func successCriteriaMet(job *batchv1.Job) *batchv1.JobCondition {
	if c := findCondition(job.Status.Conditions, batchv1.JobSuccessCriteriaMet); c != nil && c.Status == corev1.ConditionTrue {
		return c
	}
	return nil
}

// isJobFinished: the Job has its Complete or Failed condition.
func isJobFinished(job *batchv1.Job) bool {
	_, ok := finishedAt(job)
	return ok
}

// finishedAt is when the Job got its Complete or Failed condition.
func finishedAt(job *batchv1.Job) (time.Time, bool) {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time, true
		}
	}
	return time.Time{}, false
}

func uidSet(uids []types.UID) sets.Set[string] {
	out := sets.New[string]()
	for _, u := range uids {
		out.Insert(string(u))
	}
	return out
}

// calculateFailedIndexes adds, to status.failedIndexes, the indexes whose newly failed pod
// exhausted backoffLimitPerIndex or matched a FailIndex rule.
func (s *jobSync) calculateFailedIndexes() *orderedIntervals {
	completions := int(*s.job.Spec.Completions)
	var prev orderedIntervals
	if s.job.Status.FailedIndexes != nil {
		prev = parseIndexes(*s.job.Status.FailedIndexes, completions)
	}
	newFailed := sets.New[int]()
	for _, p := range s.pods {
		if ix := completionIndex(p); ix != unknownCompletionIndex && ix < completions && hasTrackingFinalizer(p) && s.isIndexFailed(p) {
			newFailed.Insert(ix)
		}
	}
	out := prev.withOrderedIndexes(sets.List(newFailed))
	return &out
}

func (s *jobSync) isIndexFailed(p *corev1.Pod) bool {
	if !isPodFailed(p, s.job) {
		return false
	}
	counted := true
	if s.job.Spec.PodFailurePolicy != nil {
		_, count, action := matchPodFailurePolicy(s.job.Spec.PodFailurePolicy, p)
		if action != nil && *action == batchv1.PodFailurePolicyActionFailIndex {
			return true
		}
		counted = count
	}
	return counted && indexFailureCount(p) >= *s.job.Spec.BackoffLimitPerIndex
}

// podsWithDelayedDeletionPerIndex picks, per index waiting for a replacement, the latest
// failed pod: it keeps its finalizer until the replacement exists, so the replacement can
// inherit the index's failure count.
func (s *jobSync) podsWithDelayedDeletionPerIndex() map[int]*corev1.Pod {
	active := indexesOf(s.activePods)
	out := map[int]*corev1.Pod{}
	for _, p := range s.trackedPods(sets.New[string](), func(p *corev1.Pod) bool { return isPodFailed(p, s.job) }) {
		ix := completionIndex(p)
		if s.succeededIndexes.has(ix) || (s.failedIndexes != nil && s.failedIndexes.has(ix)) || active.Has(ix) {
			continue
		}
		if last, ok := out[ix]; ok {
			if absoluteFailureCount(last) <= absoluteFailureCount(p) && !finishTime(p).Before(finishTime(last)) {
				out[ix] = p
			}
		} else {
			out[ix] = p
		}
	}
	return out
}

func indexFailureCount(p *corev1.Pod) int32 {
	return parseCount(p.Annotations[batchv1.JobIndexFailureCountAnnotation])
}

func absoluteFailureCount(p *corev1.Pod) int32 {
	return indexFailureCount(p) + parseCount(p.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation])
}

func parseCount(v string) int32 {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}
