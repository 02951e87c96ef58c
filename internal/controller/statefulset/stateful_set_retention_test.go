package statefulset

import (
	"fmt"
	"testing"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// TestClaimOwnersPerPolicy is §1.11's table: for every policy, the owners a claim of an
// in-range and of a condemned pod ends up with, starting from no owners and from the wrong
// ones.
func TestClaimOwnersPerPolicy(t *testing.T) {
	set := newStatefulSet(2)
	set.UID = "set-uid"
	type owners struct{ set, pod bool }
	want := map[string][2]owners{ // [in range, condemned]
		"Retain/Retain": {{false, false}, {false, false}},
		"Retain/Delete": {{true, false}, {true, false}},
		"Delete/Retain": {{false, false}, {false, true}},
		"Delete/Delete": {{true, false}, {false, true}},
	}
	for _, policy := range retentionPolicies {
		name := fmt.Sprintf("%s/%s", policy.WhenScaled, policy.WhenDeleted)
		s := set.DeepCopy()
		s.Spec.PersistentVolumeClaimRetentionPolicy = &policy
		for i, ordinal := range []int{1, 5} {
			pod := newStatefulSetPod(s, ordinal)
			pod.UID = types.UID(fmt.Sprintf("pod-%d", ordinal))
			for _, start := range []owners{{false, false}, {true, true}} {
				claim := getPersistentVolumeClaims(s, pod)[0]
				claim.OwnerReferences = append(claim.OwnerReferences, metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "keep", UID: "keep"})
				if start.set {
					claim.OwnerReferences = append(claim.OwnerReferences, *metav1.NewControllerRef(s, controllerKind))
				}
				if start.pod {
					claim.OwnerReferences = append(claim.OwnerReferences, metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID})
				}
				w := want[name][i]
				upToDate := start == w
				if got := isClaimOwnerUpToDate(claim, s, pod); got != upToDate && !(start.pod && w.pod) {
					t.Errorf("%s ordinal %d from %+v: up to date = %v, want %v", name, ordinal, start, got, upToDate)
				}
				updateClaimOwnerRefForSetAndPod(claim, s, pod)
				if hasOwnerRef(claim, s) != w.set || hasOwnerRef(claim, pod) != w.pod || !hasOwnerRef(claim, &v1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "keep"}}) {
					t.Errorf("%s ordinal %d from %+v: owners %v, want %+v and the unrelated one kept", name, ordinal, start, claim.OwnerReferences, w)
				}
				if !isClaimOwnerUpToDate(claim, s, pod) {
					t.Errorf("%s ordinal %d: not up to date after the update", name, ordinal)
				}
				for _, ref := range claim.OwnerReferences {
					if ref.UID != "keep" && (!*ref.Controller || !*ref.BlockOwnerDeletion) {
						t.Errorf("%s: reference %v is not a controller reference", name, ref)
					}
				}
			}
		}
	}
}

func TestClaimOwnersLeftAlone(t *testing.T) {
	set := newStatefulSet(2)
	set.UID = "set-uid"
	set.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = apps.DeletePersistentVolumeClaimRetentionPolicyType
	pod := newStatefulSetPod(set, 0)
	pod.UID = "pod-uid"
	stale := getPersistentVolumeClaims(set, pod)[0]
	stale.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "foo", UID: "old-set", Controller: ptr.To(true)}}
	if !isClaimOwnerUpToDate(stale, set, pod) {
		t.Error("a claim with a stale reference to an earlier set must be left alone")
	}
	foreign := getPersistentVolumeClaims(set, pod)[0]
	foreign.OwnerReferences = []metav1.OwnerReference{{APIVersion: "x/v1", Kind: "X", Name: "x", UID: "x", Controller: ptr.To(true)}}
	if !hasUnexpectedController(foreign, set, pod) || !isClaimOwnerUpToDate(foreign, set, pod) {
		t.Error("a claim another controller owns is left alone when none of our references are on it")
	}
	foreign.OwnerReferences = append(foreign.OwnerReferences, *metav1.NewControllerRef(set, controllerKind))
	if isClaimOwnerUpToDate(foreign, set, pod) {
		t.Error("our references on a claim another controller owns must be scrubbed")
	}
	updateClaimOwnerRefForSetAndPod(foreign, set, pod)
	if len(foreign.OwnerReferences) != 1 || foreign.OwnerReferences[0].UID != "x" {
		t.Errorf("owners = %v, want only the other controller", foreign.OwnerReferences)
	}
	retain := set.DeepCopy()
	retain.Spec.PersistentVolumeClaimRetentionPolicy = nil
	if hasUnexpectedController(foreign, retain, pod) {
		t.Error("under Retain another controller is no conflict")
	}
}
