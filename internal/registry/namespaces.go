package registry

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

// SubresourceFinalize is the namespaces/finalize subresource through which the namespace
// controller removes spec.finalizers once the namespace is empty.
const SubresourceFinalize = "finalize"

func namespaceFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
}

// prepareNamespace gives a new namespace the "kubernetes" finalizer (the namespace controller
// removes it once the content is gone), phase Active, and the name label upstream adds.
func prepareNamespace(_ context.Context, _ *Registry, obj runtime.Object) error {
	ns := obj.(*corev1.Namespace)
	ns.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	setNamespaceNameLabel(ns)
	return nil
}

func setNamespaceNameLabel(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// keepNamespaceFinalizers keeps spec.finalizers out of reach of plain updates: only
// namespaces/finalize changes them, as upstream.
func keepNamespaceFinalizers(obj, old runtime.Object) {
	ns := obj.(*corev1.Namespace)
	ns.Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
	setNamespaceNameLabel(ns)
}

// immortalNamespaces cannot be deleted, as upstream's NamespaceLifecycle admission says.
var immortalNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

func admitNamespaceDeletion(obj runtime.Object) error {
	ns := obj.(*corev1.Namespace)
	if immortalNamespaces[ns.Name] {
		return apierrors.NewForbidden(corev1.Resource("namespaces"), ns.Name, errors.New("this namespace may not be deleted"))
	}
	return nil
}

func beginNamespaceDeletion(obj runtime.Object) {
	obj.(*corev1.Namespace).Status.Phase = corev1.NamespaceTerminating
}

func namespaceReadyToRemove(obj runtime.Object) bool {
	ns := obj.(*corev1.Namespace)
	return len(ns.Finalizers) == 0 && len(ns.Spec.Finalizers) == 0
}

// FinalizeNamespace sets the namespace's spec.finalizers (namespaces/finalize); a terminating
// namespace left with no finalizers is removed.
func (r *Registry) FinalizeNamespace(ctx context.Context, name string, finalizers []corev1.FinalizerName) (runtime.Object, error) {
	res, _ := r.Lookup("", "v1", "namespaces")
	return r.write(ctx, res, "", name, SubresourceFinalize, false, func(cur runtime.Object) (runtime.Object, error) {
		cur.(*corev1.Namespace).Spec.Finalizers = finalizers
		return cur, nil
	})
}
