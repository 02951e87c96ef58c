package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/ptr"
)

// fieldManager names the collector's writes in managedFields and audit logs.
const fieldManager = "garbage-collector"

func (gc *GarbageCollector) client(id objectID) metadata.ResourceInterface {
	return gc.metadata.Resource(id.resource).Namespace(id.namespace)
}

// deleteObject deletes the object n with policy. The delete is conditional on the
// resourceVersion the decision was made from; when that is stale, it is retried at the live
// resourceVersion only if the owner references are still the ones decided on (the object was
// not adopted meanwhile), as upstream. Anything else is left for the next look.
func (gc *GarbageCollector) deleteObject(ctx context.Context, n node, policy metav1.DeletionPropagation) error {
	uid, rv := n.id.uid, n.resourceVersion
	opts := metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}}
	err := gc.client(n.id).Delete(ctx, n.id.name, opts)
	if apierrors.IsConflict(err) {
		live, getErr := gc.client(n.id).Get(ctx, n.id.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(getErr):
			return nil
		case getErr != nil:
			return getErr
		case live.UID != uid:
			return nil
		case !slices.EqualFunc(live.OwnerReferences, n.owners, equalRef):
			return fmt.Errorf("owner references changed while deciding: %w", err)
		}
		opts.Preconditions.ResourceVersion = &live.ResourceVersion
		err = gc.client(n.id).Delete(ctx, n.id.name, opts)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeOwnerRefs removes the references to owners from the object id.
func (gc *GarbageCollector) removeOwnerRefs(ctx context.Context, id objectID, owners []types.UID) error {
	return gc.updateMetadata(ctx, id, func(m *metav1.ObjectMeta) bool {
		kept := slices.DeleteFunc(slices.Clone(m.OwnerReferences), func(r metav1.OwnerReference) bool {
			return slices.Contains(owners, r.UID)
		})
		changed := len(kept) != len(m.OwnerReferences)
		m.OwnerReferences = kept
		return changed
	})
}

// unblockOwnerRefs sets blockOwnerDeletion=false on every owner reference of id.
func (gc *GarbageCollector) unblockOwnerRefs(ctx context.Context, id objectID) error {
	return gc.updateMetadata(ctx, id, func(m *metav1.ObjectMeta) bool {
		changed := false
		refs := slices.Clone(m.OwnerReferences)
		for i := range refs {
			if boolValue(refs[i].BlockOwnerDeletion) {
				refs[i].BlockOwnerDeletion = ptr.To(false)
				changed = true
			}
		}
		m.OwnerReferences = refs
		return changed
	})
}

// removeFinalizer removes finalizer from id; the server removes an object being deleted
// once its last finalizer is gone.
func (gc *GarbageCollector) removeFinalizer(ctx context.Context, id objectID, finalizer string) error {
	return gc.updateMetadata(ctx, id, func(m *metav1.ObjectMeta) bool {
		kept := slices.DeleteFunc(slices.Clone(m.Finalizers), func(f string) bool { return f == finalizer })
		changed := len(kept) != len(m.Finalizers)
		m.Finalizers = kept
		return changed
	})
}

// metadataPatch is a JSON merge patch of the fields the collector changes. A merge patch
// replaces lists whole, so it carries the uid and resourceVersion it was computed from: the
// server refuses it (409) if the object changed meanwhile, and the caller's retry computes it
// again. Empty lists are sent as null, which removes the field.
type metadataPatch struct {
	Metadata struct {
		UID             types.UID                `json:"uid"`
		ResourceVersion string                   `json:"resourceVersion"`
		OwnerReferences *[]metav1.OwnerReference `json:"ownerReferences"`
		Finalizers      *[]string                `json:"finalizers"`
	} `json:"metadata"`
}

// updateMetadata reads id live, lets change edit its owner references and finalizers, and
// writes the result if change reports a difference. A missing object or one with another UID
// needs nothing: what the change was for is gone.
func (gc *GarbageCollector) updateMetadata(ctx context.Context, id objectID, change func(*metav1.ObjectMeta) bool) error {
	live, err := gc.client(id).Get(ctx, id.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if live.UID != id.uid {
		return nil
	}
	m := live.ObjectMeta.DeepCopy()
	if !change(m) {
		return nil
	}
	var p metadataPatch
	p.Metadata.UID = id.uid
	p.Metadata.ResourceVersion = live.ResourceVersion
	if len(m.OwnerReferences) > 0 {
		p.Metadata.OwnerReferences = &m.OwnerReferences
	}
	if len(m.Finalizers) > 0 {
		p.Metadata.Finalizers = &m.Finalizers
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = gc.client(id).Patch(ctx, id.name, types.MergePatchType, data, metav1.PatchOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
