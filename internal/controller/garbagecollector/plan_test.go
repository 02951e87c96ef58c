package garbagecollector

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	orphanFinalizer     = metav1.FinalizerOrphanDependents
	foregroundFinalizer = metav1.FinalizerDeleteDependents
)

func owners(refs ...OwnerRef) []OwnerRef { return refs }

func exists(uid types.UID) OwnerRef  { return OwnerRef{UID: uid, Status: OwnerExists} }
func absent(uid types.UID) OwnerRef  { return OwnerRef{UID: uid, Status: OwnerAbsent} }
func waiting(uid types.UID) OwnerRef { return OwnerRef{UID: uid, Status: OwnerDeletingDependents} }
func invalid(uid types.UID) OwnerRef { return OwnerRef{UID: uid, Status: OwnerUnresolvable} }

func deleteWith(p metav1.DeletionPropagation) DependentAction {
	return DependentAction{Delete: true, Propagation: p}
}

func TestPlanDependent(t *testing.T) {
	tests := []struct {
		name string
		dep  Dependent
		want DependentAction
	}{
		{"no owners: not garbage", Dependent{}, DependentAction{}},
		{"owner exists", Dependent{Owners: owners(exists("a"))}, DependentAction{}},
		{"all owners exist", Dependent{Owners: owners(exists("a"), exists("b"))}, DependentAction{}},
		{"only owner absent: deleted in the background",
			Dependent{Owners: owners(absent("a"))}, deleteWith(metav1.DeletePropagationBackground)},
		{"all owners absent",
			Dependent{Owners: owners(absent("a"), absent("b"))}, deleteWith(metav1.DeletePropagationBackground)},
		{"one of two owners absent: only its reference goes",
			Dependent{Owners: owners(exists("a"), absent("b"))}, DependentAction{RemoveOwnerRefs: []types.UID{"b"}}},
		{"owner absent, other waits in the foreground, third exists: both references go",
			Dependent{Owners: owners(waiting("c"), exists("a"), absent("b"))}, DependentAction{RemoveOwnerRefs: []types.UID{"b", "c"}}},
		{"surviving dependent stops blocking a foreground owner",
			Dependent{Owners: owners(exists("a"), waiting("b"))}, DependentAction{RemoveOwnerRefs: []types.UID{"b"}}},
		{"foreground owner, no dependents of its own: background delete",
			Dependent{Owners: owners(waiting("a"))}, deleteWith(metav1.DeletePropagationBackground)},
		{"foreground owner and own dependents: the cascade continues in the foreground",
			Dependent{Owners: owners(waiting("a")), HasDependents: true}, deleteWith(metav1.DeletePropagationForeground)},
		{"foreground owner, absent owner and own dependents: foreground",
			Dependent{Owners: owners(absent("b"), waiting("a")), HasDependents: true}, deleteWith(metav1.DeletePropagationForeground)},
		{"foreground cycle: references unblocked first",
			Dependent{Owners: owners(waiting("a")), HasDependents: true, DependentDeletingDependents: true},
			DependentAction{UnblockOwnerRefs: true, Delete: true, Propagation: metav1.DeletePropagationForeground}},
		{"absent owner and own dependents: background, they follow later",
			Dependent{Owners: owners(absent("a")), HasDependents: true}, deleteWith(metav1.DeletePropagationBackground)},
		{"own orphan finalizer chooses the policy",
			Dependent{Owners: owners(absent("a")), Finalizers: []string{orphanFinalizer}}, deleteWith(metav1.DeletePropagationOrphan)},
		{"own foreground finalizer chooses the policy",
			Dependent{Owners: owners(absent("a")), Finalizers: []string{"example.com/x", foregroundFinalizer}}, deleteWith(metav1.DeletePropagationForeground)},
		{"own orphan finalizer also when an owner waits",
			Dependent{Owners: owners(waiting("a")), Finalizers: []string{orphanFinalizer}}, deleteWith(metav1.DeletePropagationOrphan)},
		{"other finalizers do not matter",
			Dependent{Owners: owners(absent("a")), Finalizers: []string{"example.com/x"}}, deleteWith(metav1.DeletePropagationBackground)},
		{"already being deleted: left to finish",
			Dependent{Deleting: true, Owners: owners(absent("a"))}, DependentAction{}},
		{"being deleted while its owner waits: nothing to add",
			Dependent{Deleting: true, Owners: owners(waiting("a")), HasDependents: true}, DependentAction{}},
		{"cluster-scoped object with a namespaced owner: left alone",
			Dependent{Owners: owners(invalid("a"))}, DependentAction{}},
		{"unresolvable reference next to an absent one: left alone, as upstream",
			Dependent{Owners: owners(absent("b"), invalid("a"))}, DependentAction{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PlanDependent(tt.dep), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("PlanDependent() (-want +got):\n%s", diff)
			}
		})
	}
}

func blocking(uid types.UID) DependentOfOwner {
	return DependentOfOwner{UID: uid, BlockOwnerDeletion: true}
}
func loose(uid types.UID) DependentOfOwner { return DependentOfOwner{UID: uid} }

func terminating(d DependentOfOwner) DependentOfOwner {
	d.Deleting = true
	return d
}

func TestPlanOwner(t *testing.T) {
	deleting := func(finalizers []string, deps ...DependentOfOwner) Owner {
		return Owner{Deleting: true, Finalizers: finalizers, Dependents: deps}
	}
	tests := []struct {
		name  string
		owner Owner
		want  OwnerAction
	}{
		{"not being deleted", Owner{Dependents: []DependentOfOwner{blocking("a")}}, OwnerAction{}},
		{"finalizer set ahead of deletion waits for the delete",
			Owner{Finalizers: []string{foregroundFinalizer}, Dependents: []DependentOfOwner{blocking("a")}}, OwnerAction{}},
		{"deleted with other finalizers only: not ours", deleting([]string{"example.com/x"}, blocking("a")), OwnerAction{}},
		{"orphan without dependents: finalizer goes",
			deleting([]string{orphanFinalizer}), OwnerAction{RemoveFinalizer: orphanFinalizer}},
		{"orphan: every dependent released, terminating or not, then the finalizer goes",
			deleting([]string{"example.com/x", orphanFinalizer}, blocking("a"), loose("b"), terminating(blocking("c"))),
			OwnerAction{Orphan: []types.UID{"a", "b", "c"}, RemoveFinalizer: orphanFinalizer}},
		{"orphan wins over foreground",
			deleting([]string{foregroundFinalizer, orphanFinalizer}, blocking("a")),
			OwnerAction{Orphan: []types.UID{"a"}, RemoveFinalizer: orphanFinalizer}},
		{"foreground without dependents: finalizer goes",
			deleting([]string{foregroundFinalizer}), OwnerAction{RemoveFinalizer: foregroundFinalizer}},
		{"foreground: all live dependents are deleted, blocking ones waited for",
			deleting([]string{foregroundFinalizer}, blocking("a"), loose("b")),
			OwnerAction{AttemptToDelete: []types.UID{"a", "b"}}},
		{"foreground: terminating dependents are only waited for",
			deleting([]string{foregroundFinalizer}, terminating(blocking("a")), loose("b")),
			OwnerAction{AttemptToDelete: []types.UID{"b"}}},
		{"foreground: only terminating blockers left, keep waiting",
			deleting([]string{foregroundFinalizer}, terminating(blocking("a"))), OwnerAction{}},
		{"foreground: dependents that do not block do not hold the owner",
			deleting([]string{foregroundFinalizer}, loose("a"), terminating(loose("b"))),
			OwnerAction{RemoveFinalizer: foregroundFinalizer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PlanOwner(tt.owner), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("PlanOwner() (-want +got):\n%s", diff)
			}
		})
	}
}
