package job

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var controllerKind = batchv1.SchemeGroupVersion.WithKind("Job")

func hasTrackingFinalizer(pod *corev1.Pod) bool {
	for _, f := range pod.Finalizers {
		if f == batchv1.JobTrackingFinalizer {
			return true
		}
	}
	return false
}

func isPodTerminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// isPodActive: neither finished nor being deleted.
func isPodActive(pod *corev1.Pod) bool {
	return !isPodTerminal(pod) && pod.DeletionTimestamp == nil
}

// isPodTerminating: being deleted but not finished yet.
func isPodTerminating(pod *corev1.Pod) bool {
	return !isPodTerminal(pod) && pod.DeletionTimestamp != nil
}

func activePods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if isPodActive(p) {
			out = append(out, p)
		}
	}
	return out
}

func terminatingPods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if isPodTerminating(p) {
			out = append(out, p)
		}
	}
	return out
}

func readyCondition(pod *corev1.Pod) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func isPodReady(pod *corev1.Pod) bool {
	c := readyCondition(pod)
	return c != nil && c.Status == corev1.ConditionTrue
}

func countReady(pods []*corev1.Pod) int32 {
	var n int32
	for _, p := range pods {
		if isPodReady(p) {
			n++
		}
	}
	return n
}

// onlyReplaceFailedPods: a pod is replaced only once it has failed, not while it terminates
// (podReplacementPolicy Failed, implied by a podFailurePolicy).
func onlyReplaceFailedPods(job *batchv1.Job) bool {
	return job.Spec.PodFailurePolicy != nil ||
		(job.Spec.PodReplacementPolicy != nil && *job.Spec.PodReplacementPolicy == batchv1.Failed)
}

// isPodFailed: failed, or (unless only failed pods are replaced) deleted before succeeding,
// which covers pods that never get the chance to reach the Failed phase.
func isPodFailed(pod *corev1.Pod, job *batchv1.Job) bool {
	if pod.Status.Phase == corev1.PodFailed {
		return true
	}
	if onlyReplaceFailedPods(job) {
		return false
	}
	return pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodSucceeded
}

// sortForRemoval orders pods so the least advanced come first, as upstream's ActivePods:
// unscheduled, pending before running, not ready before ready, ready for less time, more
// restarts, newer.
func sortForRemoval(pods []*corev1.Pod) {
	phase := map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}
	readySince := func(p *corev1.Pod) time.Time {
		if c := readyCondition(p); c != nil {
			return c.LastTransitionTime.Time
		}
		return time.Time{}
	}
	restarts := func(p *corev1.Pod) int32 {
		var n int32
		for _, c := range p.Status.ContainerStatuses {
			n = max(n, c.RestartCount)
		}
		return n
	}
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
			return a.Spec.NodeName == ""
		}
		if phase[a.Status.Phase] != phase[b.Status.Phase] {
			return phase[a.Status.Phase] < phase[b.Status.Phase]
		}
		if isPodReady(a) != isPodReady(b) {
			return !isPodReady(a)
		}
		if isPodReady(a) && isPodReady(b) && !readySince(a).Equal(readySince(b)) {
			return readySince(a).After(readySince(b))
		}
		if restarts(a) != restarts(b) {
			return restarts(a) > restarts(b)
		}
		return a.CreationTimestamp.After(b.CreationTimestamp.Time)
	})
}

// newJobPod builds a pod of job from its template; index is the completion index of an
// Indexed Job (unknownCompletionIndex otherwise). The pod carries the tracking finalizer so
// that its outcome is counted before it can disappear.
func newJobPod(job *batchv1.Job, index int) *corev1.Pod {
	t := job.Spec.Template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    generateName(job.Name, index),
			Namespace:       job.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, controllerKind)},
		},
		Spec: t.Spec,
	}
	hasFinalizer := false
	for _, f := range pod.Finalizers {
		hasFinalizer = hasFinalizer || f == batchv1.JobTrackingFinalizer
	}
	if !hasFinalizer {
		pod.Finalizers = append(pod.Finalizers, batchv1.JobTrackingFinalizer)
	}
	if index == unknownCompletionIndex {
		return pod
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Annotations[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(index)
	pod.Labels[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(index)
	pod.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, index)
	for i := range pod.Spec.InitContainers {
		addCompletionIndexEnv(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		addCompletionIndexEnv(&pod.Spec.Containers[i])
	}
	return pod
}

func addCompletionIndexEnv(c *corev1.Container) {
	for _, e := range c.Env {
		if e.Name == completionIndexEnvName {
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: completionIndexEnvName, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: fmt.Sprintf("metadata.labels['%s']", batchv1.JobCompletionIndexAnnotation)},
	}})
}

// generateName is <job>- or, for an index, <job>-<index>-, cut so the index survives.
func generateName(job string, index int) string {
	if index == unknownCompletionIndex {
		if len(job)+1 > maxGeneratedNameLength {
			return job[:maxGeneratedNameLength-1] + "-"
		}
		return job + "-"
	}
	suffix := "-" + strconv.Itoa(index) + "-"
	prefix := job + suffix
	if len(prefix) > maxGeneratedNameLength {
		prefix = job[:maxGeneratedNameLength-len(suffix)] + suffix
	}
	return prefix
}
