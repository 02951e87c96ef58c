package registry

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/uuid"

	"ordinal.dev/ordinal/internal/registry/defaults"
	"ordinal.dev/ordinal/internal/registry/validation"
	"ordinal.dev/ordinal/internal/storage"
)

// maxGenerateNameTries bounds retries when a generated name is already taken.
const maxGenerateNameTries = 8

// Create stores a new object in namespace ns (ignored for cluster-scoped resources) after
// defaulting, admission and validation. With dryRun nothing is stored.
func (r *Registry) Create(ctx context.Context, res *Resource, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	acc := accessor(obj)
	if res.Namespaced {
		switch acc.GetNamespace() {
		case "":
			acc.SetNamespace(ns)
		case ns:
		default:
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
		if err := r.checkNamespaceOpen(ctx, res, acc.GetName(), ns); err != nil {
			return nil, err
		}
	} else {
		acc.SetNamespace("")
	}
	if acc.GetResourceVersion() != "" {
		return nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	r.prepareMetaForCreate(res, obj)
	if res.Status && !res.KeepStatusOnCreate {
		clearField(obj, "Status")
	}
	defaults.Default(obj)
	setKind(res, obj)
	generated := acc.GetName() == "" && acc.GetGenerateName() != ""
	if generated {
		acc.SetName(generateName(acc.GetGenerateName()))
	}
	if res.PrepareForCreate != nil {
		if err := res.PrepareForCreate(ctx, r, obj); err != nil {
			return nil, err
		}
	}
	if err := admit(ctx, AdmissionAttributes{Operation: OperationCreate, Resource: res, Namespace: acc.GetNamespace(), Name: acc.GetName(), Object: obj}); err != nil {
		r.createFailed(ctx, res, obj)
		return nil, err
	}
	if errs := validation.Validate(obj); len(errs) > 0 {
		r.createFailed(ctx, res, obj)
		return nil, apierrors.NewInvalid(res.GroupVersionKind().GroupKind(), acc.GetName(), errs)
	}
	if dryRun {
		r.createFailed(ctx, res, obj)
		return obj, nil
	}
	for try := 1; ; try++ {
		err := r.store.Create(ctx, res.key(acc.GetNamespace(), acc.GetName()), obj)
		if err == nil {
			return obj, nil
		}
		if generated && errors.Is(err, storage.ErrAlreadyExists) && try < maxGenerateNameTries {
			acc.SetName(generateName(acc.GetGenerateName()))
			continue
		}
		r.createFailed(ctx, res, obj)
		if generated && errors.Is(err, storage.ErrAlreadyExists) {
			return nil, apierrors.NewServerTimeout(res.GroupResource(), "POST", 1)
		}
		return nil, apiError(res, acc.GetName(), err)
	}
}

func (r *Registry) createFailed(ctx context.Context, res *Resource, obj runtime.Object) {
	if res.AfterCreateFailed != nil {
		res.AfterCreateFailed(ctx, r, obj)
	}
}

// prepareMetaForCreate sets what the server owns in a new object's metadata.
func (r *Registry) prepareMetaForCreate(res *Resource, obj runtime.Object) {
	acc := accessor(obj)
	acc.SetUID(uuid.NewUUID())
	acc.SetCreationTimestamp(metav1.NewTime(r.Now().Truncate(1e9)))
	acc.SetDeletionTimestamp(nil)
	acc.SetDeletionGracePeriodSeconds(nil)
	acc.SetSelfLink("")
	acc.SetManagedFields(nil)
	if res.Generation {
		acc.SetGeneration(1)
	} else {
		acc.SetGeneration(0)
	}
}

// generateName appends five random characters to base as upstream does, shortening base so
// that the result fits a DNS-1123 subdomain's 63-character label limit.
func generateName(base string) string {
	const maxNameLength, randomLength = 63, 5
	if len(base) > maxNameLength-randomLength {
		base = base[:maxNameLength-randomLength]
	}
	return base + utilrand.String(randomLength)
}

// checkNamespaceOpen refuses content in a namespace that does not exist or is terminating.
func (r *Registry) checkNamespaceOpen(ctx context.Context, res *Resource, name, ns string) error {
	if ns == "" {
		return apierrors.NewBadRequest("a namespace is required for a namespaced resource")
	}
	nsObj := &corev1.Namespace{}
	if err := r.store.Get(ctx, namespaceKey(ns), nsObj); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return apierrors.NewNotFound(corev1.Resource("namespaces"), ns)
		}
		return apierrors.NewInternalError(err)
	}
	if nsObj.DeletionTimestamp != nil || nsObj.Status.Phase == corev1.NamespaceTerminating {
		err := apierrors.NewForbidden(res.GroupResource(), name, fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
		err.ErrStatus.Details.Causes = []metav1.StatusCause{{
			Type: corev1.NamespaceTerminatingCause, Message: fmt.Sprintf("namespace %s is being terminated", ns), Field: "metadata.namespace",
		}}
		return err
	}
	return nil
}

func namespaceKey(name string) string { return "/registry/namespaces/" + name }
