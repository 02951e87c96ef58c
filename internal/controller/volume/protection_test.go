package volume

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestPodUsesClaim(t *testing.T) {
	pod := func(opts ...func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-0"},
			Spec: corev1.PodSpec{NodeName: "node-a", Volumes: []corev1.Volume{
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
				{Name: "www", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning},
		}
		for _, o := range opts {
			o(p)
		}
		return p
	}
	deleted := func(grace int64) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
			p.DeletionGracePeriodSeconds = ptr.To(grace)
		}
	}
	ephemeral := func(p *corev1.Pod) {
		p.Name = "job"
		p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}}}
	}
	tests := []struct {
		name  string
		pod   *corev1.Pod
		claim string
		want  bool
	}{
		{"a running pod naming the claim", pod(), "data", true},
		{"a pending scheduled pod", pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }), "data", true},
		{"a pod not yet scheduled", pod(func(p *corev1.Pod) { p.Spec.NodeName = "" }), "data", false},
		{"a pod that succeeded", pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }), "data", false},
		{"a pod that failed", pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), "data", false},
		{"a pod terminating gracefully", pod(deleted(30)), "data", true},
		{"a pod deleted with grace 0", pod(deleted(0)), "data", false},
		{"a pod in another namespace", pod(func(p *corev1.Pod) { p.Namespace = "other" }), "data", false},
		{"a pod naming another claim", pod(), "logs", false},
		{"a generic ephemeral volume's claim is <pod>-<volume>", pod(ephemeral), "job-scratch", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claim := newPVC(tt.claim, "1Gi")
			if got := podUsesClaim(tt.pod, claim); got != tt.want {
				t.Errorf("podUsesClaim = %v, want %v", got, tt.want)
			}
			if got := claimInUse(claim, []*corev1.Pod{pod(func(p *corev1.Pod) { p.Spec.NodeName = "" }), tt.pod}); got != tt.want {
				t.Errorf("claimInUse = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnscheduledPods(t *testing.T) {
	claim := newPVC("data", "1Gi")
	pod := func(name, node, claimName string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName}}}}},
		}
	}
	pods := []*corev1.Pod{pod("web-1", "", "data"), pod("web-0", "", "data"), pod("scheduled", "node-a", "data"), pod("other", "", "logs")}
	if got := unscheduledPods(claim, pods); !slices.Equal(got, []string{"web-0", "web-1"}) {
		t.Errorf("got %v", got)
	}
}
