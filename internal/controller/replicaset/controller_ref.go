package replicaset

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// ClaimDecision says what a controller does with an object its selector may cover.
type ClaimDecision int

// The decisions of DecideClaim.
const (
	// ClaimIgnore: another controller's object, or not ours to take.
	ClaimIgnore ClaimDecision = iota
	// ClaimKeep: ours and still selected.
	ClaimKeep
	// ClaimAdopt: an orphan the owner selects; it gets the owner's controller reference.
	ClaimAdopt
	// ClaimRelease: ours but no longer selected; the owner's reference is removed.
	ClaimRelease
)

// DecideClaim classifies obj for owner, as upstream's BaseControllerRefManager.ClaimObject:
// a controller reference decides ownership; an owner being deleted neither adopts nor
// releases; terminating orphans and objects of other namespaces are never adopted.
// matches says whether the owner's selector selects obj.
func DecideClaim(owner, obj metav1.Object, matches bool) ClaimDecision {
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		switch {
		case ref.UID != owner.GetUID():
			return ClaimIgnore
		case matches:
			return ClaimKeep
		case owner.GetDeletionTimestamp() != nil:
			return ClaimIgnore
		}
		return ClaimRelease
	}
	if owner.GetDeletionTimestamp() != nil || !matches || obj.GetDeletionTimestamp() != nil {
		return ClaimIgnore
	}
	if owner.GetNamespace() != "" && owner.GetNamespace() != obj.GetNamespace() {
		return ClaimIgnore
	}
	return ClaimAdopt
}

// Claimer claims objects (pods for a ReplicaSet, ReplicaSets for a Deployment) for one
// owner: it keeps its own, adopts matching orphans and releases its own that stopped
// matching, each with a strategic-merge patch carrying a metadata.uid precondition.
type Claimer[T metav1.Object] struct {
	// Owner is the controller; OwnerRef its controller reference (controller and
	// blockOwnerDeletion true).
	Owner    metav1.Object
	OwnerRef metav1.OwnerReference
	// Kind names the claimed objects in errors ("Pod", "ReplicaSet").
	Kind string
	// Match reports whether the owner's selector selects obj.
	Match func(obj T) bool
	// CanAdopt is called once, before the first adoption, and must re-read the owner
	// from the API (not from a cache): a deleted or recreated owner must not adopt.
	CanAdopt func(ctx context.Context) error
	// Patch applies a strategic-merge patch to obj.
	Patch func(ctx context.Context, obj T, patch []byte) error
}

// Claim returns the objects the owner controls after adoption and release. Errors of
// single objects are aggregated; the objects that could be claimed are still returned.
func (c *Claimer[T]) Claim(ctx context.Context, objs []T) ([]T, error) {
	var claimed []T
	var errs []error
	checked := false
	var adoptErr error
	for _, obj := range objs {
		switch DecideClaim(c.Owner, obj, c.Match(obj)) {
		case ClaimKeep:
			claimed = append(claimed, obj)
		case ClaimAdopt:
			if !checked {
				checked, adoptErr = true, c.CanAdopt(ctx)
			}
			if adoptErr != nil {
				errs = append(errs, fmt.Errorf("can't adopt %s %s/%s (%s): %w", c.Kind, obj.GetNamespace(), obj.GetName(), obj.GetUID(), adoptErr))
				continue
			}
			err := c.Patch(ctx, obj, AdoptPatch(c.OwnerRef, obj.GetUID()))
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				errs = append(errs, err)
			default:
				claimed = append(claimed, obj)
			}
		case ClaimRelease:
			// Gone, or replaced by another object of the same name: nothing to release.
			err := c.Patch(ctx, obj, ReleasePatch(c.Owner.GetUID(), obj.GetUID()))
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
				errs = append(errs, err)
			}
		}
	}
	return claimed, utilerrors.NewAggregate(errs)
}

// RecheckOwner returns a CanAdopt function: get reads the owner live; adoption is refused
// when it is another object of the same name or is being deleted.
func RecheckOwner(kind string, owner metav1.Object, get func(ctx context.Context) (metav1.Object, error)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		fresh, err := get(ctx)
		if err != nil {
			return err
		}
		if fresh.GetUID() != owner.GetUID() {
			return fmt.Errorf("original %s %s/%s is gone: got uid %s, wanted %s", kind, owner.GetNamespace(), owner.GetName(), fresh.GetUID(), owner.GetUID())
		}
		if fresh.GetDeletionTimestamp() != nil {
			return fmt.Errorf("%s/%s has just been deleted at %v", fresh.GetNamespace(), fresh.GetName(), fresh.GetDeletionTimestamp())
		}
		return nil
	}
}

type ownerRefPatch struct {
	Metadata ownerRefPatchMeta `json:"metadata"`
}

type ownerRefPatchMeta struct {
	OwnerReferences []any     `json:"ownerReferences"`
	UID             types.UID `json:"uid"`
}

type deleteOwnerRef struct {
	Patch string    `json:"$patch"`
	UID   types.UID `json:"uid"`
}

// AdoptPatch is the strategic-merge patch that adds ref to the object whose UID is uid
// (the UID makes the patch fail on a recreated object of the same name).
func AdoptPatch(ref metav1.OwnerReference, uid types.UID) []byte {
	b, _ := json.Marshal(ownerRefPatch{Metadata: ownerRefPatchMeta{OwnerReferences: []any{ref}, UID: uid}})
	return b
}

// ReleasePatch is the strategic-merge patch that removes the reference to ownerUID from
// the object whose UID is uid.
func ReleasePatch(ownerUID, uid types.UID) []byte {
	b, _ := json.Marshal(ownerRefPatch{Metadata: ownerRefPatchMeta{
		OwnerReferences: []any{deleteOwnerRef{Patch: "delete", UID: ownerUID}}, UID: uid,
	}})
	return b
}
