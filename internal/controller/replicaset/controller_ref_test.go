package replicaset

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDecideClaim(t *testing.T) {
	owner := newReplicaSet(1)
	deleting := newReplicaSet(1)
	now := metav1.NewTime(t0)
	deleting.DeletionTimestamp = &now
	tests := []struct {
		name    string
		owner   metav1.Object
		pod     *v1.Pod
		matches bool
		want    ClaimDecision
	}{
		{"ours and matching: keep", owner, newPod("p", ownedBy("rs-uid")), true, ClaimKeep},
		{"ours, no longer matching: release", owner, newPod("p", ownedBy("rs-uid")), false, ClaimRelease},
		{"ours, no longer matching, owner deleting: leave", deleting, newPod("p", ownedBy("rs-uid")), false, ClaimIgnore},
		{"ours, matching, owner deleting: keep", deleting, newPod("p", ownedBy("rs-uid")), true, ClaimKeep},
		{"another controller's: ignore", owner, newPod("p", ownedBy("other")), true, ClaimIgnore},
		{"matching orphan: adopt", owner, newPod("p"), true, ClaimAdopt},
		{"orphan not matching: ignore", owner, newPod("p"), false, ClaimIgnore},
		{"terminating orphan: ignore", owner, newPod("p", terminating), true, ClaimIgnore},
		{"orphan, owner deleting: ignore", deleting, newPod("p"), true, ClaimIgnore},
		{"orphan in another namespace: ignore", owner, newPod("p", func(p *v1.Pod) { p.Namespace = "other" }), true, ClaimIgnore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecideClaim(tt.owner, tt.pod, tt.matches); got != tt.want {
				t.Errorf("DecideClaim = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPatches(t *testing.T) {
	rs := newReplicaSet(1)
	ref := *metav1.NewControllerRef(rs, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"})
	if got, want := string(AdoptPatch(ref, "pod-uid")),
		`{"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true,"blockOwnerDeletion":true}],"uid":"pod-uid"}}`; got != want {
		t.Errorf("adopt patch\n got %s\nwant %s", got, want)
	}
	if got, want := string(ReleasePatch("rs-uid", "pod-uid")),
		`{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"rs-uid"}],"uid":"pod-uid"}}`; got != want {
		t.Errorf("release patch\n got %s\nwant %s", got, want)
	}
}

func TestClaimer(t *testing.T) {
	rs := newReplicaSet(1)
	pods := []*v1.Pod{
		newPod("mine", ownedBy("rs-uid")),
		newPod("orphan"),
		newPod("orphan-gone"),
		newPod("mine-relabelled", ownedBy("rs-uid"), labelled("app", "other")),
		newPod("theirs", ownedBy("x")),
	}
	newClaimer := func(canAdopt error, patched *[]string) *Claimer[*v1.Pod] {
		checks := 0
		return &Claimer[*v1.Pod]{
			Owner: rs, OwnerRef: *metav1.NewControllerRef(rs, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}),
			Kind:  "Pod",
			Match: func(p *v1.Pod) bool { return p.Labels["app"] == "web" },
			CanAdopt: func(context.Context) error {
				if checks++; checks > 1 {
					t.Error("CanAdopt called more than once")
				}
				return canAdopt
			},
			Patch: func(_ context.Context, p *v1.Pod, _ []byte) error {
				*patched = append(*patched, p.Name)
				if p.Name == "orphan-gone" {
					return apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, p.Name)
				}
				return nil
			},
		}
	}
	var patched []string
	got, err := newClaimer(nil, &patched).Claim(context.Background(), pods)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mine", "orphan"}, names(got)); diff != "" {
		t.Errorf("claimed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"orphan", "orphan-gone", "mine-relabelled"}, patched); diff != "" {
		t.Errorf("patched (-want +got):\n%s", diff)
	}

	patched = nil
	got, err = newClaimer(errors.New("gone"), &patched).Claim(context.Background(), pods)
	if err == nil {
		t.Error("owner recheck failed: want an error")
	}
	if diff := cmp.Diff([]string{"mine"}, names(got)); diff != "" {
		t.Errorf("claimed without adoption (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mine-relabelled"}, patched); diff != "" {
		t.Errorf("patched without adoption (-want +got):\n%s", diff)
	}
}
