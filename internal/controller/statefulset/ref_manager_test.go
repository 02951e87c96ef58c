package statefulset

import (
	"encoding/json"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestDecideClaim(t *testing.T) {
	set := newStatefulSet(1)
	set.UID = "set-uid"
	ours := []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)}
	theirs := []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "x", UID: "x", Controller: ptr.To(true)}}
	now := metav1.Now()
	tests := []struct {
		name        string
		refs        []metav1.OwnerReference
		namespace   string
		terminating bool
		match       bool
		want        claimDecision
	}{
		{"ours and matching", ours, "default", false, true, claimKeep},
		{"ours, no longer matching", ours, "default", false, false, claimRelease},
		{"ours, not matching, terminating", ours, "default", true, false, claimIgnore},
		{"another controller's", theirs, "default", false, true, claimIgnore},
		{"matching orphan", nil, "default", false, true, claimAdopt},
		{"orphan not matching", nil, "default", false, false, claimIgnore},
		{"terminating orphan", nil, "default", true, true, claimIgnore},
		{"orphan in another namespace", nil, "other", false, true, claimIgnore},
	}
	for _, tt := range tests {
		pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "foo-0", Namespace: tt.namespace, OwnerReferences: tt.refs}}
		if tt.terminating {
			pod.DeletionTimestamp = &now
		}
		if got := decideClaim(set, pod, tt.match); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAdoptAndReleasePatches(t *testing.T) {
	set := newStatefulSet(1)
	set.UID = "set-uid"
	adopt, _ := adoptPatch(set, "pod-uid")
	if want := `{"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"foo","uid":"set-uid","controller":true,"blockOwnerDeletion":true}],"uid":"pod-uid"}}`; string(adopt) != want {
		t.Errorf("adopt patch = %s", adopt)
	}
	release, _ := releasePatch(set, "pod-uid")
	var decoded map[string]any
	if err := json.Unmarshal(release, &decoded); err != nil {
		t.Fatal(err)
	}
	if want := `{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"set-uid"}],"uid":"pod-uid"}}`; string(release) != want {
		t.Errorf("release patch = %s", release)
	}
}
