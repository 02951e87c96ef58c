package registry

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"

	"ordinal.dev/ordinal/internal/storage"
)

// DeleteResult says what a delete did.
type DeleteResult struct {
	// Object is the object as it was removed, or as it now is while it waits for its
	// finalizers or its grace period.
	Object runtime.Object
	// Removed is true when the object left storage.
	Removed bool
}

// Delete deletes ns/name honouring gracePeriodSeconds, preconditions, propagationPolicy (the
// orphan and foregroundDeletion finalizers) and the object's finalizers, as upstream: an
// object with finalizers or a running grace period gets a deletionTimestamp and stays.
func (r *Registry) Delete(ctx context.Context, res *Resource, ns, name string, opts *metav1.DeleteOptions) (DeleteResult, error) {
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	key := res.key(ns, name)
	dryRun := len(opts.DryRun) > 0
	for {
		cur := res.New()
		if err := r.store.Get(ctx, key, cur); err != nil {
			return DeleteResult{}, apiError(res, name, err)
		}
		setKind(res, cur)
		if err := checkPreconditions(res, name, cur, opts.Preconditions); err != nil {
			return DeleteResult{}, err
		}
		if res.AdmitDelete != nil {
			if err := res.AdmitDelete(cur); err != nil {
				return DeleteResult{}, err
			}
		}
		if err := admit(ctx, AdmissionAttributes{Operation: OperationDelete, Resource: res, Namespace: ns, Name: name, OldObject: cur}); err != nil {
			return DeleteResult{}, err
		}
		obj, removeNow := r.planDeletion(res, cur, opts)
		if dryRun {
			return DeleteResult{Object: obj, Removed: removeNow}, nil
		}
		rv := accessor(cur).GetResourceVersion()
		sameRevision := func(o runtime.Object) error {
			if accessor(o).GetResourceVersion() != rv {
				return storage.ErrConflict
			}
			return nil
		}
		if removeNow {
			_, err := r.store.Delete(ctx, key, res.New, sameRevision)
			if errors.Is(err, storage.ErrConflict) {
				continue
			}
			if err != nil {
				return DeleteResult{}, apiError(res, name, err)
			}
			r.afterDelete(ctx, res, cur)
			return DeleteResult{Object: cur, Removed: true}, nil
		}
		out, err := r.store.Update(ctx, key, res.New, func(o runtime.Object) (runtime.Object, error) {
			if o == nil {
				return nil, storage.ErrNotFound
			}
			if err := sameRevision(o); err != nil {
				return nil, err
			}
			return obj, nil
		})
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return DeleteResult{}, apiError(res, name, err)
		}
		setKind(res, out)
		return DeleteResult{Object: out}, nil
	}
}

func checkPreconditions(res *Resource, name string, obj runtime.Object, p *metav1.Preconditions) error {
	if p == nil {
		return nil
	}
	acc := accessor(obj)
	if p.UID != nil && *p.UID != acc.GetUID() {
		//lint:ignore ST1005 upstream's wording, which clients match.
		return apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, acc.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != acc.GetResourceVersion() {
		//lint:ignore ST1005 upstream's wording, which clients match.
		return apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *p.ResourceVersion, acc.GetResourceVersion()))
	}
	return nil
}

// planDeletion returns the object as it should be after this delete request, and whether it
// should leave storage now.
func (r *Registry) planDeletion(res *Resource, cur runtime.Object, opts *metav1.DeleteOptions) (runtime.Object, bool) {
	obj := cur.DeepCopyObject()
	acc := accessor(obj)
	acc.SetFinalizers(propagationFinalizers(acc.GetFinalizers(), propagation(res, opts)))

	grace, graceful := int64(0), false
	if res.GracefulDelete != nil {
		grace, graceful = res.GracefulDelete(obj, opts)
	}
	now := r.Now()
	if acc.GetDeletionTimestamp() == nil {
		ts := metav1.NewTime(now.Add(secondsDuration(grace)).Truncate(1e9))
		acc.SetDeletionTimestamp(&ts)
		acc.SetDeletionGracePeriodSeconds(&grace)
		if res.Generation && acc.GetGeneration() > 0 {
			acc.SetGeneration(acc.GetGeneration() + 1)
		}
		if res.BeginDelete != nil {
			res.BeginDelete(obj)
		}
	} else if graceful {
		// A later delete may only shorten the grace period.
		if old := acc.GetDeletionGracePeriodSeconds(); old == nil || grace < *old {
			ts := metav1.NewTime(now.Add(secondsDuration(grace)).Truncate(1e9))
			if ts.Before(acc.GetDeletionTimestamp()) {
				acc.SetDeletionTimestamp(&ts)
			}
			acc.SetDeletionGracePeriodSeconds(&grace)
		}
	}
	pendingGrace := graceful && grace > 0
	if g := acc.GetDeletionGracePeriodSeconds(); g != nil && *g > 0 {
		pendingGrace = true
	}
	return obj, !pendingGrace && r.readyToRemove(res, obj)
}

// propagation picks the deletion propagation of a request.
func propagation(res *Resource, opts *metav1.DeleteOptions) metav1.DeletionPropagation {
	if opts.PropagationPolicy != nil {
		return *opts.PropagationPolicy
	}
	//lint:ignore SA1019 orphanDependents is deprecated but still honoured, as upstream.
	if orphan := opts.OrphanDependents; orphan != nil {
		if *orphan {
			return metav1.DeletePropagationOrphan
		}
		return metav1.DeletePropagationBackground
	}
	if res.DefaultPropagation != "" {
		return res.DefaultPropagation
	}
	return metav1.DeletePropagationBackground
}

// propagationFinalizers adds or removes the garbage collector's finalizers for a policy.
func propagationFinalizers(finalizers []string, policy metav1.DeletionPropagation) []string {
	set := sets.New(finalizers...)
	switch policy {
	case metav1.DeletePropagationOrphan:
		set.Delete(metav1.FinalizerDeleteDependents)
		set.Insert(metav1.FinalizerOrphanDependents)
	case metav1.DeletePropagationForeground:
		set.Delete(metav1.FinalizerOrphanDependents)
		set.Insert(metav1.FinalizerDeleteDependents)
	default:
		set.Delete(metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents)
	}
	if set.Len() == len(finalizers) && set.HasAll(finalizers...) {
		return finalizers
	}
	out := make([]string, 0, set.Len())
	for _, f := range finalizers {
		if set.Has(f) {
			out = append(out, f)
			set.Delete(f)
		}
	}
	return append(out, sets.List(set)...)
}

func (r *Registry) afterDelete(ctx context.Context, res *Resource, obj runtime.Object) {
	if res.AfterDelete != nil {
		res.AfterDelete(ctx, r, obj)
	}
}

// DeleteCollection deletes every object the selection matches in ns and returns the list of
// what it deleted (removed or marked).
func (r *Registry) DeleteCollection(ctx context.Context, res *Resource, ns string, sel Selection, opts *metav1.DeleteOptions) (runtime.Object, error) {
	list, err := r.List(ctx, res, ns, ListOptions{Selection: sel})
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	deleted := make([]runtime.Object, 0, len(items))
	for _, item := range items {
		acc := accessor(item)
		result, err := r.Delete(ctx, res, acc.GetNamespace(), acc.GetName(), opts)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, result.Object)
	}
	if err := meta.SetList(list, deleted); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return list, nil
}

func isNotFoundOrConflict(err error) bool {
	return errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict)
}
