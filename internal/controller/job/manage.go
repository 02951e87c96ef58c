package job

import (
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// manageAction is the pod work of one sync: either deletions or creations, never both.
type manageAction struct {
	// Delete lists active pods to delete.
	Delete []*corev1.Pod
	// RemoveFinalizerFirst: the deleted pods are not failures (suspend, too many pods), so
	// they stop being tracked before they go.
	RemoveFinalizerFirst bool
	// Create lists the completion index of each pod to create (unknownCompletionIndex for
	// NonIndexed Jobs).
	Create []int
	// Finishing: the Job reached an end and its remaining pods are deleted (finalizers kept,
	// so they are counted as failed).
	Finishing bool
	// Managed: the pod counts were reconciled against the spec this sync.
	Managed bool
}

// manage decides the pod work: end a finished Job's pods, empty a suspended Job, trim excess
// pods, or create the missing ones once the failure back-off allows.
func (s *jobSync) manage() manageAction {
	job := s.job
	if s.finishedCondition != nil {
		return manageAction{Delete: s.activePods, Finishing: true}
	}
	if !s.satisfied || job.DeletionTimestamp != nil {
		return manageAction{}
	}
	act := manageAction{Managed: true}
	if isSuspended(job) {
		act.Delete = podsForRemoval(job, s.activePods, len(s.activePods))
		act.RemoveFinalizerFirst = true
		return act
	}
	active := int32(len(s.activePods))
	parallelism := int32(1)
	if job.Spec.Parallelism != nil {
		parallelism = *job.Spec.Parallelism
	}
	var want int32
	switch {
	case job.Spec.Completions == nil && s.succeeded > 0:
		// A work queue: once one pod succeeded, the running ones finish on their own.
		want = active
	case job.Spec.Completions == nil:
		want = parallelism
	default:
		want = min(max(*job.Spec.Completions-s.succeeded, 0), parallelism)
	}
	if del := podsForRemoval(job, s.activePods, int(max(active-want, 0))); len(del) > 0 {
		act.Delete = del[:min(len(del), maxPodCreateDeletePerSync)]
		act.RemoveFinalizerFirst = true
		return act
	}
	var terminating int32
	if onlyReplaceFailedPods(job) {
		terminating = s.terminating
	}
	diff := want - terminating - active
	if diff <= 0 {
		return act
	}
	if !hasBackoffLimitPerIndex(job) {
		if r := s.newBackoff.remaining(s.now); r > 0 {
			s.requeue(r)
			return act
		}
	}
	diff = min(diff, maxPodCreateDeletePerSync)
	if !isIndexedJob(job) {
		for i := int32(0); i < diff; i++ {
			act.Create = append(act.Create, unknownCompletionIndex)
		}
		return act
	}
	indexes := firstPendingIndexes(s, int(diff))
	if hasBackoffLimitPerIndex(job) {
		var wait time.Duration
		indexes, wait = s.indexesReadyToCreate(indexes)
		if len(indexes) == 0 && wait > 0 {
			s.requeue(wait)
			return act
		}
	}
	act.Create = indexes
	return act
}

// indexesReadyToCreate keeps the indexes whose own failure back-off has passed; if none,
// it returns the shortest wait.
func (s *jobSync) indexesReadyToCreate(indexes []int) ([]int, time.Duration) {
	var ready []int
	var wait time.Duration
	for _, ix := range indexes {
		r := time.Duration(0)
		if last := s.delayedDeletionPerIndex[ix]; last != nil {
			t := finishTime(last)
			r = backoffRemaining(absoluteFailureCount(last)+1, &t, s.now)
		}
		if r == 0 {
			ready = append(ready, ix)
		} else if wait == 0 || r < wait {
			wait = r
		}
	}
	if len(ready) > 0 {
		return ready, 0
	}
	return nil, wait
}

// podsForRemoval returns at least rmAtLeast active pods to delete, least advanced first;
// for Indexed Jobs, pods with duplicate or invalid indexes come first.
func podsForRemoval(job *batchv1.Job, pods []*corev1.Pod, rmAtLeast int) []*corev1.Pod {
	var rm []*corev1.Pod
	left := append([]*corev1.Pod(nil), pods...)
	if isIndexedJob(job) {
		rm, left = duplicateIndexPods(left, int(*job.Spec.Completions))
	}
	if len(rm) < rmAtLeast {
		sortForRemoval(left)
		rm = append(rm, left[:rmAtLeast-len(rm)]...)
	}
	return rm
}

// newPodFor builds the pod for a completion index, carrying the index's failure counts
// when backoffLimitPerIndex is used.
func (s *jobSync) newPodFor(index int) *corev1.Pod {
	pod := newJobPod(s.job, index)
	if index != unknownCompletionIndex && hasBackoffLimitPerIndex(s.job) {
		failures, ignored := int32(0), int32(0)
		if prev := s.delayedDeletionPerIndex[index]; prev != nil {
			failures, ignored = indexFailureCount(prev), parseCount(prev.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation])
			if _, count, _ := matchPodFailurePolicy(s.job.Spec.PodFailurePolicy, prev); count {
				failures++
			} else {
				ignored++
			}
		}
		pod.Annotations[batchv1.JobIndexFailureCountAnnotation] = strconv.Itoa(int(failures))
		if ignored > 0 {
			pod.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation] = strconv.Itoa(int(ignored))
		}
	}
	return pod
}

// afterManage accounts for the pod work that succeeded (deleted, of which deletedReady
// were ready; created), decides completion and the Suspended condition, and fills the
// active/ready/terminating status. It reports whether the status changed.
func (s *jobSync) afterManage(act manageAction, deleted, deletedReady, created int32) bool {
	job := s.job
	if act.Finishing {
		if deleted != int32(len(act.Delete)) || !s.satisfied {
			// Pods may remain that the cache does not show: not finished yet.
			s.finishedCondition = nil
		}
		s.active -= deleted
		s.terminating += deleted
		s.ready -= deletedReady
	} else {
		if act.Managed {
			s.active += created - deleted
			s.terminating += deleted
			s.ready -= deletedReady
		}
		var complete bool
		if job.Spec.Completions == nil {
			complete = s.succeeded > 0 && s.active == 0
		} else {
			complete = s.succeeded >= *job.Spec.Completions && s.active == 0
		}
		switch {
		case complete:
			s.finishedCondition = s.newCondition(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods")
		case act.Managed && isSuspended(job):
			if s.ensureCondition(batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended") {
				s.suspendChanged = true
				s.events = append(s.events, event{corev1.EventTypeNormal, reasonSuspended, "Job suspended"})
			}
		case act.Managed:
			if s.ensureCondition(batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed") {
				s.suspendChanged = true
				s.events = append(s.events, event{corev1.EventTypeNormal, reasonResumed, "Job resumed"})
				// activeDeadlineSeconds counts continuous running time: start over.
				now := metav1.NewTime(s.now)
				job.Status.StartTime = &now
			}
		}
	}
	changed := s.suspendChanged || s.startTimeChanged || s.active != job.Status.Active ||
		job.Status.Ready == nil || *job.Status.Ready != s.ready ||
		job.Status.Terminating == nil || *job.Status.Terminating != s.terminating
	job.Status.Active = s.active
	ready, terminating := s.ready, s.terminating
	job.Status.Ready = &ready
	job.Status.Terminating = &terminating
	return changed
}

// ensureCondition sets a condition's status, reason and message, adding it unless it would
// be added as False; it reports a change.
func (s *jobSync) ensureCondition(t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string) bool {
	conds := s.job.Status.Conditions
	if c := findCondition(conds, t); c != nil {
		if c.Status == status && c.Reason == reason && c.Message == message {
			return false
		}
		*c = *s.newCondition(t, reason, message)
		c.Status = status
		return true
	}
	if status == corev1.ConditionFalse {
		return false
	}
	s.job.Status.Conditions = append(conds, *s.newCondition(t, reason, message))
	return true
}

// trackPlan is the first status write and the finalizers to remove after it.
type trackPlan struct {
	// RemoveFinalizer are pods whose outcome is recorded in the status to write.
	RemoveFinalizer []*corev1.Pod
	// NeedsFlush: the status must be written before the finalizers go.
	NeedsFlush bool

	uidsWithFinalizer sets.Set[string]
	reachedMax        bool
}

// track records newly finished pods in status.uncountedTerminatedPods (or completedIndexes)
// and picks the pods whose finalizer can go once that status is written. A Job heading to
// an end gets its interim condition (FailureTarget, SuccessCriteriaMet) now and its
// terminal one prepared.
func (s *jobSync) track(needsFlush bool) trackPlan {
	job := s.job
	indexed := isIndexedJob(job)
	pods := append([]*corev1.Pod(nil), s.pods...)
	if indexed {
		sort.SliceStable(pods, func(i, j int) bool { return completionIndex(pods[i]) < completionIndex(pods[j]) })
	}
	tp := trackPlan{uidsWithFinalizer: sets.New[string]()}
	for _, p := range pods {
		if hasTrackingFinalizer(p) && !s.expectedRmFinalizers.Has(string(p.UID)) {
			tp.uidsWithFinalizer.Insert(string(p.UID))
		}
	}
	if cleanUncounted(&job.Status, tp.uidsWithFinalizer) {
		needsFlush = true
	}
	uncounted := job.Status.UncountedTerminatedPods
	var newSucceededIndexes []int
	for _, p := range pods {
		uid := string(p.UID)
		if !hasTrackingFinalizer(p) || s.expectedRmFinalizers.Has(uid) {
			continue
		}
		considerFailed := isPodFailed(p, job)
		if !s.canRemoveFinalizer(p, considerFailed) {
			continue
		}
		tp.RemoveFinalizer = append(tp.RemoveFinalizer, p)
		ix := completionIndex(p)
		validIndex := ix != unknownCompletionIndex && ix < int(ptrOr(job.Spec.Completions, 0))
		switch {
		case p.Status.Phase == corev1.PodSucceeded && !s.uncountedFailed.Has(uid):
			if indexed {
				if validIndex && !s.prevSucceededIndexes.has(ix) {
					newSucceededIndexes = append(newSucceededIndexes, ix)
					needsFlush = true
				}
			} else if !s.uncountedSucceeded.Has(uid) {
				uncounted.Succeeded = append(uncounted.Succeeded, p.UID)
				needsFlush = true
			}
		case considerFailed || (s.finishedCondition != nil && s.finishedCondition.Type != batchv1.JobSuccessCriteriaMet):
			// A Job that failed counts every pod that did not succeed as failed.
			if !s.uncountedFailed.Has(uid) && (!indexed || validIndex) {
				if _, count, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); count {
					uncounted.Failed = append(uncounted.Failed, p.UID)
					needsFlush = true
				}
			}
		}
		if len(newSucceededIndexes)+len(uncounted.Succeeded)+len(uncounted.Failed) >= maxUncountedPods {
			tp.reachedMax = true
			break
		}
	}
	if indexed {
		s.succeededIndexes = s.succeededIndexes.withOrderedIndexes(newSucceededIndexes)
		if str := s.succeededIndexes.String(); str != job.Status.CompletedIndexes {
			job.Status.CompletedIndexes = str
			needsFlush = true
		}
		job.Status.Succeeded = int32(s.succeededIndexes.total())
		var failed *string
		if s.failedIndexes != nil {
			str := s.failedIndexes.String()
			failed = &str
		}
		if (failed == nil) != (job.Status.FailedIndexes == nil) || (failed != nil && *failed != *job.Status.FailedIndexes) {
			job.Status.FailedIndexes = failed
			needsFlush = true
		}
	}
	if c := s.finishedCondition; c != nil && c.Type == batchv1.JobFailureTarget {
		job.Status.Conditions = append(job.Status.Conditions, *c)
		needsFlush = true
		s.finishedCondition = s.newCondition(batchv1.JobFailed, c.Reason, c.Message)
	}
	if c := s.finishedCondition; c != nil && c.Type == batchv1.JobSuccessCriteriaMet {
		if successCriteriaMet(job) == nil {
			job.Status.Conditions = append(job.Status.Conditions, *c)
			needsFlush = true
		}
		s.finishedCondition = s.newCondition(batchv1.JobComplete, c.Reason, c.Message)
	}
	tp.NeedsFlush = needsFlush
	return tp
}

// canRemoveFinalizer: the pod's outcome is final for the Job. A failed pod of an index
// waiting for its replacement keeps it until the replacement exists.
func (s *jobSync) canRemoveFinalizer(p *corev1.Pod, considerFailed bool) bool {
	if s.job.DeletionTimestamp != nil || s.finishedCondition != nil || p.Status.Phase == corev1.PodSucceeded {
		return true
	}
	if !considerFailed {
		return false
	}
	if hasBackoffLimitPerIndex(s.job) {
		if last, ok := s.delayedDeletionPerIndex[completionIndex(p)]; ok && last.UID == p.UID {
			return false
		}
	}
	return true
}

// cleanUncounted moves UIDs whose pods no longer carry the finalizer from
// uncountedTerminatedPods to the succeeded and failed counters.
func cleanUncounted(st *batchv1.JobStatus, withFinalizer sets.Set[string]) bool {
	u := st.UncountedTerminatedPods
	keep := func(uids []types.UID) []types.UID {
		var out []types.UID
		for _, uid := range uids {
			if withFinalizer.Has(string(uid)) {
				out = append(out, uid)
			}
		}
		return out
	}
	changed := false
	if s := keep(u.Succeeded); len(s) != len(u.Succeeded) {
		st.Succeeded += int32(len(u.Succeeded) - len(s))
		u.Succeeded = s
		changed = true
	}
	if f := keep(u.Failed); len(f) != len(u.Failed) {
		st.Failed += int32(len(u.Failed) - len(f))
		u.Failed = f
		changed = true
	}
	return changed
}

// finish takes the finalizer removals that succeeded (pod UIDs) into the counters and,
// when nothing is left uncounted or terminating, gives the Job its terminal condition.
// It reports whether the status changed and whether the Job finished.
func (s *jobSync) finish(tp trackPlan, removed sets.Set[string]) (changed, finished bool) {
	withFinalizer := tp.uidsWithFinalizer.Difference(removed)
	changed = cleanUncounted(&s.job.Status, withFinalizer)
	if tp.reachedMax || s.finishedCondition == nil {
		return changed, false
	}
	u := s.job.Status.UncountedTerminatedPods
	if len(u.Succeeded)+len(u.Failed) > 0 || s.terminating > 0 {
		return changed, false
	}
	c := s.finishedCondition
	s.ensureCondition(c.Type, corev1.ConditionTrue, c.Reason, c.Message)
	if c.Type == batchv1.JobComplete {
		t := findCondition(s.job.Status.Conditions, batchv1.JobComplete).LastTransitionTime
		s.job.Status.CompletionTime = &t
		if s.job.Spec.Completions != nil && s.job.Status.Succeeded > *s.job.Spec.Completions {
			s.events = append(s.events, event{corev1.EventTypeWarning, reasonTooManySucceeded, "Too many succeeded pods running after completion count reached"})
		}
		s.events = append(s.events, event{corev1.EventTypeNormal, reasonCompleted, "Job completed"})
	} else {
		s.events = append(s.events, event{corev1.EventTypeWarning, c.Reason, c.Message})
	}
	return true, true
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
