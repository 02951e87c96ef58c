package job

import (
	"fmt"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func newJob(parallelism, completions int32, mutate ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "ns", UID: "job-uid", Generation: 1},
		Spec: batchv1.JobSpec{
			Parallelism:  ptr.To(parallelism),
			BackoffLimit: ptr.To[int32](6),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "job-uid"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"batch.kubernetes.io/controller-uid": "job-uid", "batch.kubernetes.io/job-name": "pi"}},
				Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
			},
		},
		Status: batchv1.JobStatus{StartTime: &metav1.Time{Time: t0.Add(-time.Minute)}},
	}
	if completions >= 0 {
		j.Spec.Completions = ptr.To(completions)
	}
	for _, m := range mutate {
		m(j)
	}
	return j
}

func indexed(j *batchv1.Job) { j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion) }

var podSeq int

// jobPod is a tracked pod of the test Job in phase; index < 0 means NonIndexed.
func jobPod(phase corev1.PodPhase, index int) *corev1.Pod {
	podSeq++
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("pi-%d", podSeq), Namespace: "ns", UID: types.UID(fmt.Sprintf("uid-%d", podSeq)),
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Minute)),
			Finalizers:        []string{batchv1.JobTrackingFinalizer},
			Labels:            map[string]string{"batch.kubernetes.io/controller-uid": "job-uid"},
		},
		Spec:   corev1.PodSpec{NodeName: "node-1"},
		Status: corev1.PodStatus{Phase: phase},
	}
	if index >= 0 {
		p.Annotations = map[string]string{batchv1.JobCompletionIndexAnnotation: strconv.Itoa(index)}
	}
	if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
		code := int32(0)
		if phase == corev1.PodFailed {
			code = 1
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, FinishedAt: metav1.NewTime(t0.Add(-5 * time.Second))}}}}
	}
	return p
}

func exitCode(code int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].State.Terminated.ExitCode = code }
}

func untracked(p *corev1.Pod) *corev1.Pod { p.Finalizers = nil; return p }

// runSync plays a whole sync with every API call succeeding.
func runSync(in syncInput) (*jobSync, manageAction, trackPlan) {
	if in.ExpectedRmFinalizers == nil {
		in.ExpectedRmFinalizers = sets.New[string]()
	}
	if in.Now.IsZero() {
		in.Now = t0
	}
	s := newJobSync(in)
	act := s.manage()
	var ready int32
	for _, p := range act.Delete {
		if isPodReady(p) {
			ready++
		}
	}
	changed := s.afterManage(act, int32(len(act.Delete)), ready, int32(len(act.Create)))
	tp := s.track(changed)
	removed := sets.New[string]()
	for _, p := range tp.RemoveFinalizer {
		removed.Insert(string(p.UID))
	}
	s.finish(tp, removed)
	return s, act, tp
}

func conditionTypes(j *batchv1.Job) []string {
	var out []string
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue {
			out = append(out, string(c.Type))
		}
	}
	return out
}
