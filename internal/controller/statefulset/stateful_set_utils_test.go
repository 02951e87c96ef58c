package statefulset

import (
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func podNamed(name string) *v1.Pod { return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}} }

func TestGetParentNameAndOrdinal(t *testing.T) {
	tests := []struct {
		name    string
		parent  string
		ordinal int
	}{
		{"foo-0", "foo", 0},
		{"foo-12", "foo", 12},
		{"foo-bar-3", "foo-bar", 3},
		{"foo", "", -1},
		{"foo-", "", -1},
		{"foo-x1", "", -1},
		{"foo-99999999999", "foo", -1},
	}
	for _, tt := range tests {
		parent, ordinal := getParentNameAndOrdinal(podNamed(tt.name))
		if parent != tt.parent || ordinal != tt.ordinal {
			t.Errorf("%s: got (%q, %d), want (%q, %d)", tt.name, parent, ordinal, tt.parent, tt.ordinal)
		}
	}
	set := newStatefulSet(3)
	if !isMemberOf(set, podNamed("foo-4")) || isMemberOf(set, podNamed("foo-bar")) || isMemberOf(set, podNamed("foo-bar-1")) {
		t.Error("isMemberOf")
	}
}

func TestOrdinalRange(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.Ordinals = &apps.StatefulSetOrdinals{Start: 2}
	for name, want := range map[string]bool{"foo-1": false, "foo-2": true, "foo-4": true, "foo-5": false} {
		if got := podInOrdinalRange(podNamed(name), set); got != want {
			t.Errorf("%s in range = %v, want %v", name, got, want)
		}
	}
	set.Spec.Replicas = ptr.To[int32](0)
	if podInOrdinalRange(podNamed("foo-2"), set) {
		t.Error("a set with no replicas has no range")
	}
}

func TestNewStatefulSetPod(t *testing.T) {
	set := newStatefulSet(3)
	set.UID = "set-uid"
	set.Spec.Template.Annotations = map[string]string{"a": "b"}
	set.Spec.Template.Finalizers = []string{"example.com/f"}
	// A template volume named like a claim template is replaced by the claim.
	set.Spec.Template.Spec.Volumes = append(set.Spec.Template.Spec.Volumes, v1.Volume{Name: "datadir", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}})
	pod := newStatefulSetPod(set, 1)
	if pod.Name != "foo-1" || pod.Namespace != "default" || pod.GenerateName != "foo-" {
		t.Errorf("name %s/%s generateName %q", pod.Namespace, pod.Name, pod.GenerateName)
	}
	if pod.Labels["app"] != "foo" || pod.Labels[apps.StatefulSetPodNameLabel] != "foo-1" || pod.Labels[apps.PodIndexLabel] != "1" {
		t.Errorf("labels = %v", pod.Labels)
	}
	if pod.Annotations["a"] != "b" || len(pod.Finalizers) != 1 {
		t.Errorf("annotations %v finalizers %v", pod.Annotations, pod.Finalizers)
	}
	if pod.Spec.Hostname != "foo-1" || pod.Spec.Subdomain != "governing" {
		t.Errorf("hostname %q subdomain %q", pod.Spec.Hostname, pod.Spec.Subdomain)
	}
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.UID != "set-uid" || ref.APIVersion != "apps/v1" || !*ref.BlockOwnerDeletion {
		t.Errorf("controller ref = %+v", ref)
	}
	if len(pod.Spec.Volumes) != 2 || pod.Spec.Volumes[0].Name != "datadir" ||
		pod.Spec.Volumes[0].PersistentVolumeClaim == nil || pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "datadir-foo-1" ||
		pod.Spec.Volumes[1].Name != "home" {
		t.Errorf("volumes = %+v, want the claim first, replacing the template's datadir, then home", pod.Spec.Volumes)
	}
	if !identityMatches(set, pod) || !storageMatches(set, pod) {
		t.Error("a new pod must match its identity and storage")
	}
	if set.Spec.Template.Labels[apps.StatefulSetPodNameLabel] != "" {
		t.Error("building a pod changed the template")
	}
}

func TestIdentityAndStorageMatch(t *testing.T) {
	set := newStatefulSet(3)
	pod := newStatefulSetPod(set, 1)
	tests := []struct {
		name     string
		change   func(pod *v1.Pod)
		identity bool
		storage  bool
	}{
		{"matching", func(*v1.Pod) {}, true, true},
		{"pod-name label missing", func(p *v1.Pod) { delete(p.Labels, apps.StatefulSetPodNameLabel) }, false, true},
		{"other namespace", func(p *v1.Pod) { p.Namespace = "x" }, false, true},
		{"claim volume missing", func(p *v1.Pod) { p.Spec.Volumes = p.Spec.Volumes[1:] }, true, false},
		{"wrong claim", func(p *v1.Pod) { p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName = "datadir-foo-2" }, true, false},
	}
	for _, tt := range tests {
		p := pod.DeepCopy()
		tt.change(p)
		if identityMatches(set, p) != tt.identity || storageMatches(set, p) != tt.storage {
			t.Errorf("%s: identity %v storage %v", tt.name, identityMatches(set, p), storageMatches(set, p))
		}
		updateIdentity(set, p)
		updateStorage(set, p)
		if !identityMatches(set, p) || !storageMatches(set, p) {
			t.Errorf("%s: not repaired", tt.name)
		}
	}
}

func TestGetPersistentVolumeClaims(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.VolumeClaimTemplates[0].Labels = map[string]string{"tier": "db", "app": "overridden"}
	claims := getPersistentVolumeClaims(set, newStatefulSetPod(set, 2))
	if len(claims) != 1 || claims[0].Name != "datadir-foo-2" || claims[0].Namespace != "default" {
		t.Fatalf("claims = %v", claims)
	}
	if claims[0].Labels["tier"] != "db" || claims[0].Labels["app"] != "foo" || claims[0].Labels[apps.StatefulSetPodNameLabel] != "" {
		t.Errorf("labels = %v, want the template's overlaid with the selector's", claims[0].Labels)
	}
	if set.Spec.VolumeClaimTemplates[0].Labels["app"] != "overridden" {
		t.Error("the template was changed")
	}
}

func TestNewVersionedStatefulSetPod(t *testing.T) {
	current, update := newStatefulSet(5), newStatefulSet(5)
	update.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	tests := []struct {
		name     string
		strategy apps.StatefulSetUpdateStrategy
		start    int32
		ordinal  int
		want     string
	}{
		{"above the partition", rollingUpdateWithPartition(2), 0, 2, "update"},
		{"below the partition", rollingUpdateWithPartition(2), 0, 1, "current"},
		{"partition relative to start", rollingUpdateWithPartition(2), 10, 11, "current"},
		{"partition relative to start, above", rollingUpdateWithPartition(2), 10, 12, "update"},
		{"OnDelete builds at the update revision", apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}, 0, 0, "update"},
	}
	for _, tt := range tests {
		c := current.DeepCopy()
		c.Spec.UpdateStrategy = tt.strategy
		c.Spec.Ordinals = &apps.StatefulSetOrdinals{Start: tt.start}
		u := update.DeepCopy()
		u.Spec.Ordinals = c.Spec.Ordinals
		pod := newVersionedStatefulSetPod(c, u, "current", "update", tt.ordinal)
		if getPodRevision(pod) != tt.want {
			t.Errorf("%s: revision %s, want %s", tt.name, getPodRevision(pod), tt.want)
		}
		if wantImage := map[string]string{"current": "nginx:1", "update": "nginx:2"}[tt.want]; pod.Spec.Containers[0].Image != wantImage {
			t.Errorf("%s: image %s, want %s", tt.name, pod.Spec.Containers[0].Image, wantImage)
		}
	}
}

func rollingUpdateWithPartition(p int32) apps.StatefulSetUpdateStrategy {
	return apps.StatefulSetUpdateStrategy{Type: apps.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &apps.RollingUpdateStatefulSetStrategy{Partition: ptr.To(p)}}
}

func TestPodPredicates(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ready := func(phase v1.PodPhase, since time.Duration) *v1.Pod {
		return &v1.Pod{Status: v1.PodStatus{Phase: phase, Conditions: []v1.PodCondition{
			{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-since))}}}}
	}
	if !isRunningAndReady(ready(v1.PodRunning, 0)) || isRunningAndReady(ready(v1.PodPending, 0)) {
		t.Error("isRunningAndReady")
	}
	if isRunningAndAvailable(ready(v1.PodRunning, 10*time.Second), 10, now) {
		t.Error("available needs strictly more than minReadySeconds")
	}
	if !isRunningAndAvailable(ready(v1.PodRunning, 11*time.Second), 10, now) || !isRunningAndAvailable(ready(v1.PodRunning, 0), 0, now) {
		t.Error("isRunningAndAvailable")
	}
	terminating := ready(v1.PodRunning, time.Hour)
	terminating.DeletionTimestamp = &metav1.Time{Time: now}
	if isHealthy(terminating) || !isUnavailable(terminating, 0, now) {
		t.Error("a terminating pod is not healthy")
	}
	if isCreated(&v1.Pod{}) || !isCreated(&v1.Pod{Status: v1.PodStatus{Phase: v1.PodPending}}) {
		t.Error("isCreated")
	}
}
