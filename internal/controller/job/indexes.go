package job

import (
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

const (
	completionIndexEnvName = "JOB_COMPLETION_INDEX"
	unknownCompletionIndex = -1
	// maxGeneratedNameLength is what the apiserver keeps of a generateName before adding
	// five random characters.
	maxGeneratedNameLength = 58
)

func isIndexedJob(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
}

func hasBackoffLimitPerIndex(job *batchv1.Job) bool {
	return isIndexedJob(job) && job.Spec.BackoffLimitPerIndex != nil
}

// interval is a run of completion indexes, First to Last inclusive.
type interval struct{ First, Last int }

// orderedIntervals is a set of completion indexes as sorted, disjoint, non-adjacent runs:
// the form of status.completedIndexes and status.failedIndexes ("0-2,5").
type orderedIntervals []interval

// String is the status form: runs of three or more as "a-b", pairs as "a,b".
func (oi orderedIntervals) String() string {
	var b strings.Builder
	for _, v := range oi {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(v.First))
		switch {
		case v.Last == v.First+1:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(v.Last))
		case v.Last > v.First:
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(v.Last))
		}
	}
	return b.String()
}

func (oi orderedIntervals) total() int {
	n := 0
	for _, v := range oi {
		n += v.Last - v.First + 1
	}
	return n
}

func (oi orderedIntervals) has(ix int) bool {
	i := sort.Search(len(oi), func(i int) bool { return oi[i].Last >= ix })
	return i < len(oi) && oi[i].First <= ix
}

// withOrderedIndexes adds indexes given in increasing order.
func (oi orderedIntervals) withOrderedIndexes(indexes []int) orderedIntervals {
	add := make(orderedIntervals, len(indexes))
	for i, ix := range indexes {
		add[i] = interval{ix, ix}
	}
	return oi.merge(add)
}

// merge returns the union of two interval sets.
func (oi orderedIntervals) merge(other orderedIntervals) orderedIntervals {
	all := append(append(orderedIntervals(nil), oi...), other...)
	sort.Slice(all, func(i, j int) bool { return all[i].First < all[j].First })
	var out orderedIntervals
	for _, v := range all {
		if n := len(out); n > 0 && v.First <= out[n-1].Last+1 {
			out[n-1].Last = max(out[n-1].Last, v.Last)
			continue
		}
		out = append(out, v)
	}
	return out
}

// parseIndexes reads the status form, dropping indexes at or above completions and
// skipping corrupt runs, as upstream.
func parseIndexes(s string, completions int) orderedIntervals {
	if s == "" {
		return nil
	}
	var out orderedIntervals
	for _, part := range strings.Split(s, ",") {
		limits := strings.Split(part, "-")
		first, err := strconv.Atoi(limits[0])
		if err != nil {
			continue
		}
		if first >= completions {
			break
		}
		last := first
		if len(limits) > 1 {
			if last, err = strconv.Atoi(limits[1]); err != nil {
				continue
			}
			last = min(last, completions-1)
		}
		if n := len(out); n > 0 && out[n-1].Last == first-1 {
			out[n-1].Last = last
		} else {
			out = append(out, interval{first, last})
		}
	}
	return out
}

// completionIndex reads the pod's batch.kubernetes.io/job-completion-index annotation.
func completionIndex(pod *corev1.Pod) int {
	v, ok := pod.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		return unknownCompletionIndex
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return unknownCompletionIndex
	}
	return i
}

func indexesOf(pods []*corev1.Pod) sets.Set[int] {
	out := sets.New[int]()
	for _, p := range pods {
		if ix := completionIndex(p); ix != unknownCompletionIndex {
			out.Insert(ix)
		}
	}
	return out
}

// firstPendingIndexes returns up to count indexes below completions that no active pod
// runs and that have not succeeded or failed (nor, when only failed pods are replaced, are
// held by a terminating pod).
func firstPendingIndexes(s *jobSync, count int) []int {
	if count == 0 {
		return nil
	}
	completions := int(*s.job.Spec.Completions)
	busy := s.succeededIndexes.withOrderedIndexes(sets.List(indexesOf(s.activePods)))
	if onlyReplaceFailedPods(s.job) {
		busy = busy.withOrderedIndexes(sets.List(indexesOf(terminatingPods(s.pods))))
	}
	if s.failedIndexes != nil {
		busy = busy.merge(*s.failedIndexes)
	}
	var out []int
	for ix := 0; ix < completions && len(out) < count; ix++ {
		if !busy.has(ix) {
			out = append(out, ix)
		}
	}
	return out
}

// duplicateIndexPods returns active pods to delete in an Indexed Job: those without a valid
// index or with an index at or above completions, and all but one pod of each index (the
// one kept is the most advanced). The others are returned as kept.
func duplicateIndexPods(pods []*corev1.Pod, completions int) (rm, keep []*corev1.Pod) {
	byIndex := map[int][]*corev1.Pod{}
	for _, p := range pods {
		ix := completionIndex(p)
		if ix == unknownCompletionIndex || ix >= completions {
			rm = append(rm, p)
			continue
		}
		byIndex[ix] = append(byIndex[ix], p)
	}
	indexes := make([]int, 0, len(byIndex))
	for ix := range byIndex {
		indexes = append(indexes, ix)
	}
	sort.Ints(indexes)
	for _, ix := range indexes {
		same := byIndex[ix]
		sortForRemoval(same)
		rm = append(rm, same[:len(same)-1]...)
		keep = append(keep, same[len(same)-1])
	}
	return rm, keep
}
