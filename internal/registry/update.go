package registry

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"ordinal.dev/ordinal/internal/registry/defaults"
	"ordinal.dev/ordinal/internal/registry/validation"
	"ordinal.dev/ordinal/internal/storage"
)

// Subresources that write through the generic update path.
const (
	SubresourceStatus = "status"
	SubresourceScale  = "scale"
)

// mutateFunc computes the object to store from (a copy of) the stored one. It may run more
// than once when the object changes concurrently.
type mutateFunc func(current runtime.Object) (runtime.Object, error)

// Update replaces the object ns/name with obj, through the main resource or its status
// subresource (sub = "status").
func (r *Registry) Update(ctx context.Context, res *Resource, ns, name, sub string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	acc := accessor(obj)
	if acc.GetName() != name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", acc.GetName(), name))
	}
	if res.Namespaced && acc.GetNamespace() != "" && acc.GetNamespace() != ns {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return r.write(ctx, res, ns, name, sub, dryRun, func(runtime.Object) (runtime.Object, error) {
		return obj.DeepCopyObject(), nil
	})
}

// write runs one read-modify-write of ns/name: mutate, then the server's update rules
// (preconditions, server-owned fields, generation, defaulting, validation), then the store.
// An object that is being deleted and has no finalizers left is removed afterwards.
func (r *Registry) write(ctx context.Context, res *Resource, ns, name, sub string, dryRun bool, mutate mutateFunc) (runtime.Object, error) {
	key := res.key(ns, name)
	var remove bool
	tryUpdate := func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(res.GroupResource(), name)
		}
		setKind(res, cur)
		// Default the stored object too, as upstream does on every read, so that a default
		// added by a newer server is not taken for a change of an immutable field.
		defaults.Default(cur)
		obj, err := mutate(cur.DeepCopyObject())
		if err != nil {
			return nil, err
		}
		if err := r.prepareForUpdate(res, sub, obj, cur); err != nil {
			return nil, err
		}
		if err := admit(ctx, AdmissionAttributes{Operation: OperationUpdate, Resource: res, Subresource: sub, Namespace: ns, Name: name, Object: obj, OldObject: cur}); err != nil {
			return nil, err
		}
		remove = r.removableDuringUpdate(res, obj)
		return obj, nil
	}
	if dryRun {
		cur := res.New()
		if err := r.store.Get(ctx, key, cur); err != nil {
			return nil, apiError(res, name, err)
		}
		return tryUpdate(cur)
	}
	out, err := r.store.Update(ctx, key, res.New, tryUpdate)
	if err != nil {
		return nil, apiError(res, name, err)
	}
	setKind(res, out)
	if remove {
		rv := accessor(out).GetResourceVersion()
		_, err := r.store.Delete(ctx, key, res.New, func(cur runtime.Object) error {
			if accessor(cur).GetResourceVersion() != rv {
				return storage.ErrConflict
			}
			return nil
		})
		switch {
		case err == nil:
			r.afterDelete(ctx, res, out)
		case isNotFoundOrConflict(err):
			// Someone else removed or changed it meanwhile; their write wins.
		default:
			return nil, apiError(res, name, err)
		}
	}
	return out, nil
}

// prepareForUpdate applies the server's rules to obj replacing old.
func (r *Registry) prepareForUpdate(res *Resource, sub string, obj, old runtime.Object) error {
	acc, oldAcc := accessor(obj), accessor(old)
	name := oldAcc.GetName()
	if rv := acc.GetResourceVersion(); rv != "" && rv != oldAcc.GetResourceVersion() {
		return apierrors.NewConflict(res.GroupResource(), name, errConflict)
	}
	if uid := acc.GetUID(); uid != "" && uid != oldAcc.GetUID() {
		//lint:ignore ST1005 upstream's wording, which clients match.
		return apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", uid, oldAcc.GetUID()))
	}
	if acc.GetName() != name {
		return apierrors.NewInvalid(res.GroupVersionKind().GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "name"), acc.GetName(), "field is immutable"),
		})
	}
	acc.SetNamespace(oldAcc.GetNamespace())
	acc.SetUID(oldAcc.GetUID())
	acc.SetCreationTimestamp(oldAcc.GetCreationTimestamp())
	acc.SetDeletionTimestamp(oldAcc.GetDeletionTimestamp())
	acc.SetDeletionGracePeriodSeconds(oldAcc.GetDeletionGracePeriodSeconds())
	acc.SetGeneration(oldAcc.GetGeneration())
	acc.SetSelfLink("")
	acc.SetManagedFields(nil)
	acc.SetResourceVersion(oldAcc.GetResourceVersion())
	setKind(res, obj)

	var errs field.ErrorList
	switch sub {
	case SubresourceFinalize:
		// The caller changed spec.finalizers of a copy of the stored object and nothing else.
		errs = validation.ValidateUpdate(obj, old)
	case SubresourceStatus:
		// A status write keeps the spec, labels and owner references, as upstream's status
		// strategies do; annotations may change (the deployment controller records the
		// revision on the Deployment through its status write).
		copyField(obj, old, "Spec")
		acc.SetLabels(oldAcc.GetLabels())
		acc.SetOwnerReferences(oldAcc.GetOwnerReferences())
		if res.PrepareForStatusUpdate != nil {
			res.PrepareForStatusUpdate(obj, old)
		}
		errs = validation.ValidateStatusUpdate(obj, old)
	case SubresourceApproval:
		// An approval write changes the conditions (the approver's decision) and nothing
		// else.
		if res.PrepareForApprovalUpdate == nil {
			return apierrors.NewBadRequest(fmt.Sprintf("%s have no approval subresource", res.Name))
		}
		copyField(obj, old, "Spec")
		acc.SetLabels(oldAcc.GetLabels())
		acc.SetOwnerReferences(oldAcc.GetOwnerReferences())
		res.PrepareForApprovalUpdate(obj, old)
		errs = validation.ValidateApprovalUpdate(obj, old)
	default:
		if res.Status {
			copyField(obj, old, "Status")
		}
		defaults.Default(obj)
		if res.Generation && fieldChanged(obj, old, "Spec") {
			acc.SetGeneration(oldAcc.GetGeneration() + 1)
		}
		if res.PrepareForUpdate != nil {
			res.PrepareForUpdate(obj, old)
		}
		errs = validation.ValidateUpdate(obj, old)
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(res.GroupVersionKind().GroupKind(), name, errs)
	}
	return nil
}

// removableDuringUpdate reports whether a deleting object may leave storage now: its
// finalizers are gone and no grace period is still running (a terminating pod stays until its
// node agent deletes it with grace 0).
func (r *Registry) removableDuringUpdate(res *Resource, obj runtime.Object) bool {
	acc := accessor(obj)
	if acc.GetDeletionTimestamp() == nil {
		return false
	}
	if g := acc.GetDeletionGracePeriodSeconds(); g != nil && *g > 0 {
		return false
	}
	return r.readyToRemove(res, obj)
}

func (r *Registry) readyToRemove(res *Resource, obj runtime.Object) bool {
	if res.ReadyToRemove != nil {
		return res.ReadyToRemove(obj)
	}
	return len(accessor(obj).GetFinalizers()) == 0
}
