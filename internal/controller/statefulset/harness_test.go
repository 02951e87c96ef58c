package statefulset

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
)

// neverReadyAnnotation on a pod template makes the test kubelet run the pod but never mark it
// ready, as a broken image would.
const neverReadyAnnotation = "test.ordinal.dev/never-ready"

// newStatefulSet returns a set "foo" as a defaulting API server would store it: one claim
// template "datadir", OrderedReady, RollingUpdate with partition 0.
func newStatefulSet(replicas int32) *apps.StatefulSet {
	labels := map[string]string{"app": "foo"}
	return &apps.StatefulSet{
		TypeMeta:   metav1.TypeMeta{Kind: "StatefulSet", APIVersion: "apps/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "foo", Namespace: "default", Generation: 1},
		Spec: apps.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			ServiceName: "governing",
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: v1.PodSpec{
					Containers: []v1.Container{{Name: "nginx", Image: "nginx:1", VolumeMounts: []v1.VolumeMount{
						{Name: "datadir", MountPath: "/data"}, {Name: "home", MountPath: "/home"}}}},
					Volumes:       []v1.Volume{{Name: "home", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/tmp/home"}}}},
					RestartPolicy: v1.RestartPolicyAlways,
				},
			},
			VolumeClaimTemplates: []v1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "datadir"},
				Spec: v1.PersistentVolumeClaimSpec{
					AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
					Resources: v1.VolumeResourceRequirements{Requests: v1.ResourceList{
						v1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
			PodManagementPolicy: apps.OrderedReadyPodManagement,
			UpdateStrategy: apps.StatefulSetUpdateStrategy{
				Type:          apps.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &apps.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)},
			},
			RevisionHistoryLimit: ptr.To[int32](10),
			PersistentVolumeClaimRetentionPolicy: &apps.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: apps.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  apps.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		},
	}
}

func burst(set *apps.StatefulSet) *apps.StatefulSet {
	set.Spec.PodManagementPolicy = apps.ParallelPodManagement
	return set
}

// harness drives the control step against the fake API, plays the kubelet, and checks
// invariants after every sync and at every pod write.
type harness struct {
	t        *testing.T
	om       *fakeObjectManager
	ssc      *statefulSetControl
	recorder *record.FakeRecorder
	events   []string
	clock    time.Time
	// requeueAfter is what the last sync asked for.
	requeueAfter time.Duration
}

func newHarness(t *testing.T, set *apps.StatefulSet) *harness {
	t.Helper()
	h := &harness{t: t, recorder: record.NewFakeRecorder(100000), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.om = newFakeObjectManager(func() time.Time { return h.clock })
	h.ssc = newStatefulSetControl(h.om, h.recorder)
	h.om.putSet(set)
	h.om.onCreatePod = h.checkCreate
	h.om.onDeletePod = h.checkDelete
	return h
}

func (h *harness) set() *apps.StatefulSet { return h.om.getSet("default", "foo") }

// update changes the set's spec as a user would (the generation goes up).
func (h *harness) update(change func(set *apps.StatefulSet)) {
	set := h.set()
	change(set)
	set.Generation++
	h.om.putSet(set)
}

// sync runs one sync of the controller and checks the invariants afterwards.
func (h *harness) sync() error {
	h.t.Helper()
	set := h.set()
	selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		h.t.Fatal(err)
	}
	after, err := h.ssc.syncStatefulSet(context.Background(), set, selector, h.om.listRevisions(), h.om.listPods(), h.om.listClaims(), h.clock)
	h.requeueAfter = after
	h.drainEvents()
	h.checkInvariants()
	return err
}

// mustSync is sync for steps that must not fail.
func (h *harness) mustSync() {
	h.t.Helper()
	if err := h.sync(); err != nil {
		h.t.Fatalf("sync: %v", err)
	}
}

func (h *harness) drainEvents() {
	for {
		select {
		case e := <-h.recorder.Events:
			h.events = append(h.events, e)
		default:
			return
		}
	}
}

// hasEvent tells whether an event containing all parts was recorded.
func (h *harness) hasEvent(parts ...string) bool {
	for _, e := range h.events {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			return true
		}
	}
	return false
}

// kubeletStep plays the kubelet for one change on the lowest pod that needs one: a
// terminating pod goes away, a pending pod runs, a running pod becomes ready (unless its
// template says never). It tells whether it changed anything.
func (h *harness) kubeletStep() bool {
	for _, pod := range h.om.listPods() {
		switch {
		case pod.DeletionTimestamp != nil:
			h.om.removePod(pod.Namespace, pod.Name)
			return true
		case pod.Status.Phase == v1.PodPending:
			h.setRunning(pod.Name, false)
			return true
		case pod.Status.Phase == v1.PodRunning && !isPodReady(pod) && pod.Annotations[neverReadyAnnotation] == "":
			h.setRunning(pod.Name, true)
			return true
		}
	}
	return false
}

// setRunning binds the pod to a node and makes it Running, ready or not.
func (h *harness) setRunning(name string, ready bool) {
	pod := h.om.pod("default", name)
	pod.Spec.NodeName = "node-1"
	pod.Status.Phase = v1.PodRunning
	status := v1.ConditionFalse
	if ready {
		status = v1.ConditionTrue
	}
	cond := v1.PodCondition{Type: v1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(h.clock)}
	if c := getPodReadyCondition(pod); c != nil {
		if c.Status != status {
			*c = cond
		}
	} else {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	}
	h.om.putPod(pod)
}

func (h *harness) setPhase(name string, phase v1.PodPhase) {
	pod := h.om.pod("default", name)
	pod.Status.Phase = phase
	h.om.putPod(pod)
}

// deletePod deletes a pod as a user would (gracefully when it runs on a node).
func (h *harness) deletePod(name string) {
	pod := h.om.pod("default", name)
	if pod == nil {
		h.t.Fatalf("no pod %s", name)
	}
	hook := h.om.onDeletePod
	h.om.onDeletePod = nil
	defer func() { h.om.onDeletePod = hook }()
	if err := h.om.DeletePod(context.Background(), pod); err != nil {
		h.t.Fatal(err)
	}
}

// converge alternates syncs and kubelet steps until neither changes anything, failing after
// maxRounds. Sync errors are tolerated (they are retried, as with the workqueue).
func (h *harness) converge(maxRounds int) {
	h.t.Helper()
	for range maxRounds {
		before := h.om.writeCount()
		_ = h.sync()
		progressed := h.om.writeCount() != before
		if h.kubeletStep() || progressed {
			continue
		}
		return
	}
	h.t.Fatalf("no fixed point after %d rounds; pods: %v", maxRounds, h.podSummary())
}

// podSummary describes the pods for failure messages: name:phase[/ready][/terminating]@revision.
func (h *harness) podSummary() []string {
	var out []string
	for _, pod := range h.om.listPods() {
		s := fmt.Sprintf("%s:%s", pod.Name, pod.Status.Phase)
		if isPodReady(pod) {
			s += "/ready"
		}
		if pod.DeletionTimestamp != nil {
			s += "/terminating"
		}
		out = append(out, s+"@"+getPodRevision(pod))
	}
	return out
}

func (h *harness) podNames() []string {
	var out []string
	for _, pod := range h.om.listPods() {
		out = append(out, pod.Name)
	}
	return out
}

// checkCreate runs when the controller creates a pod: the name is free (at most one pod per
// identity), its claims exist and are not being deleted, its identity and storage are right,
// and for OrderedReady every in-range predecessor is Running, Ready and available.
func (h *harness) checkCreate(pod *v1.Pod) {
	set := h.om.sets[key("default", "foo")]
	// A pod of that name the set does not control (released, foreign) stalls the ordinal, as
	// upstream: the create fails with AlreadyExists. One the set controls must never be
	// created again.
	if existing, ok := h.om.pods[key(pod.Namespace, pod.Name)]; ok && metav1.IsControlledBy(existing, set) {
		h.t.Errorf("created %s while a pod of that name exists", pod.Name)
	}
	if !identityMatches(set, pod) || !storageMatches(set, pod) {
		h.t.Errorf("created %s with a wrong identity or storage", pod.Name)
	}
	for _, claim := range getPersistentVolumeClaims(set, pod) {
		existing, ok := h.om.claims[key(claim.Namespace, claim.Name)]
		if !ok || existing.DeletionTimestamp != nil {
			h.t.Errorf("created %s before its claim %s was usable", pod.Name, claim.Name)
		}
	}
	if allowsBurst(set) {
		return
	}
	ordinal := getOrdinal(pod)
	for o := getStartOrdinal(set); o < ordinal; o++ {
		pred, ok := h.om.pods[key(set.Namespace, getPodName(set, o))]
		if !ok || !isHealthy(pred) || !isRunningAndAvailable(pred, set.Spec.MinReadySeconds, h.clock) {
			h.t.Errorf("created %s while its predecessor %s is not Running, Ready and available", pod.Name, getPodName(set, o))
		}
	}
}

// checkDelete runs when the controller deletes a pod: it is not already terminating, and an
// OrderedReady set deletes a healthy pod only when every in-range pod is healthy and no pod
// above it is still terminating (one at a time, from the top).
func (h *harness) checkDelete(pod *v1.Pod) {
	set := h.om.sets[key("default", "foo")]
	if pod.DeletionTimestamp != nil {
		h.t.Errorf("deleted %s again while it terminates", pod.Name)
	}
	if allowsBurst(set) || !isHealthy(pod) {
		return
	}
	for _, other := range h.om.pods {
		if other.Name == pod.Name || !isMemberOf(set, other) {
			continue
		}
		if podInOrdinalRange(other, set) && !isHealthy(other) {
			h.t.Errorf("deleted healthy %s while %s is unhealthy", pod.Name, other.Name)
		}
		if getOrdinal(other) > getOrdinal(pod) && other.DeletionTimestamp != nil {
			h.t.Errorf("deleted %s while %s above it still terminates", pod.Name, other.Name)
		}
	}
}

// checkInvariants runs after every sync: pods have their identity and storage, running pods
// have their claims, and claims carry the ownerReferences the retention policy asks for.
func (h *harness) checkInvariants() {
	h.t.Helper()
	set := h.set()
	for _, pod := range h.om.listPods() {
		if ref := metav1.GetControllerOf(pod); ref == nil || ref.UID != set.UID {
			continue
		}
		if !identityMatches(set, pod) {
			h.t.Errorf("pod %s does not match the identity of its set", pod.Name)
		}
		if !storageMatches(set, pod) {
			h.t.Errorf("pod %s does not match the storage of its set", pod.Name)
		}
		for _, want := range getPersistentVolumeClaims(set, pod) {
			claim := h.om.claim(want.Namespace, want.Name)
			if claim == nil {
				h.t.Errorf("pod %s has no claim %s", pod.Name, want.Name)
				continue
			}
			if err := checkClaimInvariants(set, pod, claim); err != nil {
				h.t.Error(err)
			}
		}
	}
}

// checkClaimInvariants checks the claim owners of a Running and Ready pod against the policy
// table (the controller fixes them once the pod is up).
func checkClaimInvariants(set *apps.StatefulSet, pod *v1.Pod, claim *v1.PersistentVolumeClaim) error {
	if !isRunningAndReady(pod) || pod.DeletionTimestamp != nil || hasUnexpectedController(claim, set, pod) {
		return nil
	}
	policy := getPersistentVolumeClaimRetentionPolicy(set)
	del := apps.DeletePersistentVolumeClaimRetentionPolicyType
	inRange := podInOrdinalRange(pod, set)
	wantSet := policy.WhenDeleted == del && (inRange || policy.WhenScaled != del)
	wantPod := !inRange && policy.WhenScaled == del
	if hasOwnerRef(claim, set) != wantSet || hasOwnerRef(claim, pod) != wantPod {
		return fmt.Errorf("claim %s of %s (in range %v) under %s/%s has owners %v", claim.Name, pod.Name, inRange,
			policy.WhenScaled, policy.WhenDeleted, claim.OwnerReferences)
	}
	for _, ref := range claim.OwnerReferences {
		if (ref.UID == set.UID || ref.UID == pod.UID) && (ref.Controller == nil || !*ref.Controller || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion) {
			return fmt.Errorf("claim %s has a reference that is not a controller reference: %v", claim.Name, ref)
		}
	}
	return nil
}

// retentionPolicies are the four retention policies every scenario runs under.
var retentionPolicies = []apps.StatefulSetPersistentVolumeClaimRetentionPolicy{
	{WhenScaled: apps.RetainPersistentVolumeClaimRetentionPolicyType, WhenDeleted: apps.RetainPersistentVolumeClaimRetentionPolicyType},
	{WhenScaled: apps.RetainPersistentVolumeClaimRetentionPolicyType, WhenDeleted: apps.DeletePersistentVolumeClaimRetentionPolicyType},
	{WhenScaled: apps.DeletePersistentVolumeClaimRetentionPolicyType, WhenDeleted: apps.RetainPersistentVolumeClaimRetentionPolicyType},
	{WhenScaled: apps.DeletePersistentVolumeClaimRetentionPolicyType, WhenDeleted: apps.DeletePersistentVolumeClaimRetentionPolicyType},
}
