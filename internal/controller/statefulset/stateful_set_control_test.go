package statefulset

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var errInjected = apierrors.NewInternalError(errors.New("injected failure"))

// TestStatefulSetControl runs each scenario under OrderedReady and Parallel and under every
// retention policy; the harness checks the invariants after every step.
func TestStatefulSetControl(t *testing.T) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"CreatesPods", createsPods},
		{"ScalesUp", scalesUp},
		{"ScalesDown", scalesDown},
		{"ReplacesPods", replacesPods},
		{"RecreatesFailedPod", recreatesFinishedPod(v1.PodFailed, "RecreatingFailedPod")},
		{"RecreatesSucceededPod", recreatesFinishedPod(v1.PodSucceeded, "RecreatingTerminatedPod")},
		{"CreatePodFailure", createPodFailure},
		{"UpdateSetStatusFailure", updateSetStatusFailure},
		{"DeletePodFailure", deletePodFailure},
		{"RecreatesPVCForPendingPod", recreatesPVCForPendingPod},
		{"TerminatingClaimBlocksPod", terminatingClaimBlocksPod},
		{"RollingUpdate", rollingUpdate},
	}
	for _, s := range scenarios {
		for _, parallel := range []bool{false, true} {
			for _, policy := range retentionPolicies {
				mode := "Monotonic"
				if parallel {
					mode = "Burst"
				}
				t.Run(fmt.Sprintf("%s/%s/%s-%s", s.name, mode, policy.WhenScaled, policy.WhenDeleted), func(t *testing.T) {
					set := newStatefulSet(3)
					if parallel {
						burst(set)
					}
					set.Spec.PersistentVolumeClaimRetentionPolicy = &policy
					s.run(t, newHarness(t, set))
				})
			}
		}
	}
}

func createsPods(t *testing.T, h *harness) {
	h.converge(100)
	set := h.set()
	st := set.Status
	if st.Replicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 || st.CurrentReplicas != 3 || st.UpdatedReplicas != 3 {
		t.Errorf("status = %+v, want 3 replicas ready, available, current and updated", st)
	}
	if st.CurrentRevision == "" || st.CurrentRevision != st.UpdateRevision || st.ObservedGeneration != 1 ||
		st.CollisionCount == nil || *st.CollisionCount != 0 {
		t.Errorf("status = %+v, want one revision, generation 1 observed, collisionCount 0", st)
	}
	if got, want := h.podNames(), []string{"foo-0", "foo-1", "foo-2"}; !slices.Equal(got, want) {
		t.Fatalf("pods = %v, want %v", got, want)
	}
	for i, pod := range h.om.listPods() {
		if pod.Labels[apps.PodIndexLabel] != strconv.Itoa(i) || pod.Labels[apps.StatefulSetPodNameLabel] != pod.Name ||
			pod.Labels[apps.StatefulSetRevisionLabel] != st.UpdateRevision {
			t.Errorf("pod %s labels = %v", pod.Name, pod.Labels)
		}
		if pod.Spec.Hostname != pod.Name || pod.Spec.Subdomain != "governing" {
			t.Errorf("pod %s hostname/subdomain = %q/%q", pod.Name, pod.Spec.Hostname, pod.Spec.Subdomain)
		}
		ref := metav1.GetControllerOf(pod)
		if ref == nil || ref.UID != set.UID || ref.Kind != "StatefulSet" || !*ref.BlockOwnerDeletion {
			t.Errorf("pod %s controller reference = %+v", pod.Name, ref)
		}
	}
	revisions := h.om.listRevisions()
	if len(revisions) != 1 || revisions[0].Revision != 1 || revisions[0].Name != st.UpdateRevision ||
		revisions[0].Labels[controllerRevisionHashLabel] == "" {
		t.Errorf("revisions = %v, want exactly one, .revision 1, named by the status", revisions)
	}
	if !h.hasEvent("Normal SuccessfulCreate create Pod foo-0 in StatefulSet foo successful") ||
		!h.hasEvent("Normal SuccessfulCreate create Claim datadir-foo-0 Pod foo-0 in StatefulSet foo success") {
		t.Errorf("missing upstream's creation events; got %v", h.events)
	}
	if !allowsBurst(set) {
		if got, want := h.om.log, []string{"create foo-0", "create foo-1", "create foo-2"}; !slices.Equal(got, want) {
			t.Errorf("pod writes = %v, want %v", got, want)
		}
	}
}

func scalesUp(t *testing.T, h *harness) {
	h.converge(100)
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](5) })
	h.converge(100)
	if got, want := h.podNames(), []string{"foo-0", "foo-1", "foo-2", "foo-3", "foo-4"}; !slices.Equal(got, want) {
		t.Fatalf("pods = %v, want %v", got, want)
	}
	if st := h.set().Status; st.Replicas != 5 || st.ReadyReplicas != 5 || st.ObservedGeneration != 2 {
		t.Errorf("status = %+v", st)
	}
}

func scalesDown(t *testing.T, h *harness) {
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](5) })
	h.converge(100)
	h.om.log = nil
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](2) })
	h.converge(100)
	if got, want := h.podNames(), []string{"foo-0", "foo-1"}; !slices.Equal(got, want) {
		t.Fatalf("pods = %v, want %v", got, want)
	}
	if !allowsBurst(h.set()) {
		if got, want := h.om.log, []string{"delete foo-4", "delete foo-3", "delete foo-2"}; !slices.Equal(got, want) {
			t.Errorf("pod writes = %v, want %v", got, want)
		}
	}
	scaledDelete := getPersistentVolumeClaimRetentionPolicy(h.set()).WhenScaled == apps.DeletePersistentVolumeClaimRetentionPolicyType
	for _, ord := range []int{2, 3, 4} {
		claim := h.om.claim("default", fmt.Sprintf("datadir-foo-%d", ord))
		if (claim == nil) != scaledDelete {
			t.Errorf("claim of scaled-down foo-%d present = %v, want %v", ord, claim != nil, !scaledDelete)
		}
	}
	if st := h.set().Status; st.Replicas != 2 || st.ReadyReplicas != 2 {
		t.Errorf("status = %+v", st)
	}
	if !h.hasEvent("Normal SuccessfulDelete delete Pod foo-4 in StatefulSet foo successful") {
		t.Errorf("missing deletion event; got %v", h.events)
	}
}

func replacesPods(t *testing.T, h *harness) {
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](5) })
	h.converge(100)
	claimUIDs := map[string]string{}
	for _, claim := range h.om.listClaims() {
		claimUIDs[claim.Name] = string(claim.UID)
	}
	for _, name := range []string{"foo-0", "foo-2", "foo-4"} {
		h.deletePod(name)
	}
	h.converge(100)
	if got := h.podNames(); len(got) != 5 {
		t.Fatalf("pods = %v, want 5", got)
	}
	for _, claim := range h.om.listClaims() {
		if claimUIDs[claim.Name] != string(claim.UID) {
			t.Errorf("claim %s was replaced; replacement pods must reuse their claims", claim.Name)
		}
	}
}

func recreatesFinishedPod(phase v1.PodPhase, reason string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		h.converge(100)
		old := h.om.pod("default", "foo-1")
		h.setPhase("foo-1", phase)
		h.mustSync()
		if !h.hasEvent(reason, "is recreating") || !h.hasEvent("SuccessfulDelete delete Pod foo-1") {
			t.Errorf("events = %v, want %s and the deletion", h.events, reason)
		}
		if pod := h.om.pod("default", "foo-1"); pod != nil && pod.UID != old.UID {
			t.Fatal("the replacement was created in the sync that deleted the old pod")
		}
		h.converge(100)
		pod := h.om.pod("default", "foo-1")
		if pod == nil || pod.UID == old.UID || !isRunningAndReady(pod) {
			t.Fatalf("foo-1 = %v, want a new running pod", pod)
		}
	}
}

func createPodFailure(t *testing.T, h *harness) {
	h.om.tracker("CreatePod").failNext(1, errInjected)
	if err := h.sync(); err == nil {
		t.Fatal("sync succeeded although creating the pod failed")
	}
	if !h.hasEvent("Warning FailedCreate create Pod foo-0 in StatefulSet foo failed error: Internal error occurred: injected failure") {
		t.Errorf("events = %v, want FailedCreate", h.events)
	}
	if st := h.set().Status; st.ObservedGeneration != 1 || st.UpdateRevision == "" {
		t.Errorf("status = %+v, want it written although the pod step failed", st)
	}
	h.converge(100)
	if st := h.set().Status; st.ReadyReplicas != 3 {
		t.Errorf("status = %+v", st)
	}
}

func updateSetStatusFailure(t *testing.T, h *harness) {
	h.om.tracker("UpdateStatefulSetStatus").failNext(1, errInjected)
	if err := h.sync(); err == nil {
		t.Fatal("sync succeeded although writing status failed")
	}
	h.converge(100)
	if st := h.set().Status; st.ReadyReplicas != 3 || st.Replicas != 3 {
		t.Errorf("status = %+v", st)
	}
}

func deletePodFailure(t *testing.T, h *harness) {
	h.converge(100)
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](0) })
	h.om.tracker("DeletePod").failNext(1, errInjected)
	if err := h.sync(); err == nil {
		t.Fatal("sync succeeded although deleting the pod failed")
	}
	if !h.hasEvent("Warning FailedDelete delete Pod foo-2 in StatefulSet foo failed error:") {
		t.Errorf("events = %v, want FailedDelete", h.events)
	}
	h.converge(100)
	if pods := h.podNames(); len(pods) != 0 {
		t.Errorf("pods = %v, want none", pods)
	}
	if st := h.set().Status; st.Replicas != 0 {
		t.Errorf("status = %+v", st)
	}
}

func recreatesPVCForPendingPod(t *testing.T, h *harness) {
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](1) })
	h.mustSync()
	if pod := h.om.pod("default", "foo-0"); pod == nil || !isPending(pod) {
		t.Fatalf("foo-0 = %v, want a pending pod", pod)
	}
	h.om.removeClaim("default", "datadir-foo-0")
	h.mustSync()
	if h.om.claim("default", "datadir-foo-0") == nil {
		t.Fatal("the missing claim of a pending pod was not recreated")
	}
}

func terminatingClaimBlocksPod(t *testing.T, h *harness) {
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](1) })
	claim := getPersistentVolumeClaims(h.set(), newStatefulSetPod(h.set(), 0))[0]
	ts := metav1.NewTime(h.clock)
	claim.DeletionTimestamp = &ts
	h.om.putClaim(claim)
	err := h.sync()
	if err == nil || !strings.Contains(err.Error(), "pvc datadir-foo-0 is being deleted") {
		t.Fatalf("sync error = %v, want the claim named as being deleted", err)
	}
	if h.om.pod("default", "foo-0") != nil {
		t.Fatal("a pod was created while its claim is being deleted")
	}
	if !h.hasEvent("Warning FailedCreate create Pod foo-0 in StatefulSet foo failed error: pvc datadir-foo-0 is being deleted") {
		t.Errorf("events = %v", h.events)
	}
	h.om.removeClaim("default", "datadir-foo-0")
	h.converge(100)
	if h.om.claim("default", "datadir-foo-0") == nil || h.om.pod("default", "foo-0") == nil {
		t.Fatal("pod and claim not created once the old claim was gone")
	}
}

func rollingUpdate(t *testing.T, h *harness) {
	h.converge(100)
	oldRevision := h.set().Status.UpdateRevision
	h.om.log = nil
	h.update(func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	h.converge(100)
	var deletes []string
	for _, l := range h.om.log {
		if strings.HasPrefix(l, "delete ") {
			deletes = append(deletes, strings.TrimPrefix(l, "delete "))
		}
	}
	if want := []string{"foo-2", "foo-1", "foo-0"}; !slices.Equal(deletes, want) {
		t.Errorf("update deleted %v, want %v", deletes, want)
	}
	st := h.set().Status
	if st.UpdateRevision == oldRevision || st.CurrentRevision != st.UpdateRevision || st.UpdatedReplicas != 3 || st.CurrentReplicas != 3 {
		t.Errorf("status = %+v, want the rollout complete at a new revision", st)
	}
	for _, pod := range h.om.listPods() {
		if pod.Spec.Containers[0].Image != "nginx:2" || getPodRevision(pod) != st.UpdateRevision {
			t.Errorf("pod %s not updated", pod.Name)
		}
	}
	if revisions := h.om.listRevisions(); len(revisions) != 2 || revisions[1].Revision != 2 {
		t.Errorf("revisions = %d, want 2 with the newest at .revision 2", len(revisions))
	}
}
