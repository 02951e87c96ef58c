package garbagecollector

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// OwnerStatus is what one of a dependent's owner references points at.
type OwnerStatus int

const (
	// OwnerExists: the owner exists and does not wait for its dependents ("solid" upstream).
	OwnerExists OwnerStatus = iota
	// OwnerAbsent: no object with the reference's UID exists where the reference points.
	OwnerAbsent
	// OwnerDeletingDependents: the owner is being deleted in the foreground and waits for its
	// dependents to go.
	OwnerDeletingDependents
	// OwnerUnresolvable: the reference cannot be followed (a cluster-scoped dependent naming a
	// namespaced owner). Upstream leaves such an object alone, and so do we.
	OwnerUnresolvable
)

// OwnerRef is one owner reference of a dependent with the status of the owner it names.
type OwnerRef struct {
	UID    types.UID
	Status OwnerStatus
}

// Dependent is an object with owner references, as the planner sees it.
type Dependent struct {
	// Deleting means the object has a deletionTimestamp: it is already on its way out.
	Deleting bool
	// Finalizers are the object's own; the orphan or foregroundDeletion finalizer on an
	// object that is not yet deleted chooses the policy it is deleted with.
	Finalizers []string
	Owners     []OwnerRef
	// HasDependents means the object is itself an owner.
	HasDependents bool
	// DependentDeletingDependents means one of its own dependents is deleting its dependents
	// in the foreground: deleting this object in the foreground too could wait in a circle.
	DependentDeletingDependents bool
}

// DependentAction is what to do with a dependent. The steps run in field order.
type DependentAction struct {
	// RemoveOwnerRefs lists the owner UIDs whose references are to be patched away.
	RemoveOwnerRefs []types.UID
	// UnblockOwnerRefs sets blockOwnerDeletion=false on every owner reference.
	UnblockOwnerRefs bool
	// Delete deletes the object with Propagation.
	Delete      bool
	Propagation metav1.DeletionPropagation
}

// PlanDependent decides what happens to a dependent given the status of each of its owners:
//   - while any owner exists, only the references to absent owners and to owners deleting
//     their dependents are removed (the latter so that a dependent which stays does not block
//     its foreground owner forever);
//   - otherwise the object is garbage and is deleted. When an owner waits for it in the
//     foreground and it has dependents of its own, it is deleted in the foreground too, so
//     the cascade waits all the way down; else its own orphan or foregroundDeletion finalizer
//     picks the policy, and Background is the default.
func PlanDependent(d Dependent) DependentAction {
	if d.Deleting || len(d.Owners) == 0 {
		return DependentAction{}
	}
	var exists, absent, waiting []types.UID
	for _, o := range d.Owners {
		switch o.Status {
		case OwnerUnresolvable:
			return DependentAction{}
		case OwnerExists:
			exists = append(exists, o.UID)
		case OwnerAbsent:
			absent = append(absent, o.UID)
		case OwnerDeletingDependents:
			waiting = append(waiting, o.UID)
		}
	}
	switch {
	case len(exists) > 0:
		remove := slices.Concat(absent, waiting)
		if len(remove) == 0 {
			return DependentAction{}
		}
		return DependentAction{RemoveOwnerRefs: remove}
	case len(waiting) > 0 && d.HasDependents:
		return DependentAction{
			UnblockOwnerRefs: d.DependentDeletingDependents,
			Delete:           true,
			Propagation:      metav1.DeletePropagationForeground,
		}
	}
	policy := metav1.DeletePropagationBackground
	switch {
	case slices.Contains(d.Finalizers, metav1.FinalizerOrphanDependents):
		policy = metav1.DeletePropagationOrphan
	case slices.Contains(d.Finalizers, metav1.FinalizerDeleteDependents):
		policy = metav1.DeletePropagationForeground
	}
	return DependentAction{Delete: true, Propagation: policy}
}

// DependentOfOwner is one dependent of an owner, as the owner's plan sees it.
type DependentOfOwner struct {
	UID types.UID
	// BlockOwnerDeletion is the flag on the dependent's reference to this owner.
	BlockOwnerDeletion bool
	// Deleting means the dependent has a deletionTimestamp.
	Deleting bool
}

// Owner is an object with dependents, as the planner sees it.
type Owner struct {
	Deleting   bool
	Finalizers []string
	Dependents []DependentOfOwner
}

// OwnerAction is what to do for an owner that is being deleted. The steps run in field
// order, and RemoveFinalizer only once the steps before it succeeded.
type OwnerAction struct {
	// Orphan lists the dependents whose reference to the owner is to be removed.
	Orphan []types.UID
	// AttemptToDelete lists the dependents to look at again: they will find the owner
	// deleting its dependents and go.
	AttemptToDelete []types.UID
	// RemoveFinalizer names the finalizer to remove from the owner ("" for none).
	RemoveFinalizer string
}

// PlanOwner decides the next step for an owner being deleted with the orphan or the
// foreground policy. Orphaning comes first when both finalizers are present, as upstream:
// afterwards the owner has no dependents left to wait for. An owner deleting its dependents
// lets go (its finalizer is removed) once no dependent blocks it; dependents without
// blockOwnerDeletion are deleted as well, but not waited for.
func PlanOwner(o Owner) OwnerAction {
	if !o.Deleting {
		return OwnerAction{}
	}
	if slices.Contains(o.Finalizers, metav1.FinalizerOrphanDependents) {
		var act OwnerAction
		for _, d := range o.Dependents {
			act.Orphan = append(act.Orphan, d.UID)
		}
		act.RemoveFinalizer = metav1.FinalizerOrphanDependents
		return act
	}
	if !slices.Contains(o.Finalizers, metav1.FinalizerDeleteDependents) {
		return OwnerAction{}
	}
	blocked := false
	var act OwnerAction
	for _, d := range o.Dependents {
		blocked = blocked || d.BlockOwnerDeletion
		if !d.Deleting {
			act.AttemptToDelete = append(act.AttemptToDelete, d.UID)
		}
	}
	if !blocked {
		return OwnerAction{RemoveFinalizer: metav1.FinalizerDeleteDependents}
	}
	return act
}
