package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNamespace checks a new Namespace; its name is a DNS label since it
// appears in service DNS names.
func ValidateNamespace(ns *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMeta(&ns.ObjectMeta, false, NameIsDNSLabel, field.NewPath("metadata"))
	allErrs = append(allErrs, validateNamespaceFinalizers(ns.Spec.Finalizers)...)
	return allErrs
}

func validateNamespaceFinalizers(finalizers []corev1.FinalizerName) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec", "finalizers")
	for _, f := range finalizers {
		allErrs = append(allErrs, validateQualifiedName(string(f), p)...)
		allErrs = append(allErrs, validateKubeFinalizerName(string(f), p)...)
	}
	return allErrs
}

// ValidateNamespaceUpdate checks a Namespace replacing old. Like upstream,
// spec and status changes are not errors: the registry keeps the old spec
// (finalizers only change through the finalize subresource) and old status.
func ValidateNamespaceUpdate(ns, old *corev1.Namespace) field.ErrorList {
	return ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
}

// ValidateNamespaceFinalizeUpdate checks a write to namespaces/finalize,
// the only way to change spec.finalizers.
func ValidateNamespaceFinalizeUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateNamespaceFinalizers(ns.Spec.Finalizers)...)
	return allErrs
}

// ValidateNamespaceStatusUpdate checks a write to namespaces/status.
func ValidateNamespaceStatusUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	p := field.NewPath("status", "Phase") // sic: upstream capitalises this path
	if ns.DeletionTimestamp.IsZero() {
		if ns.Status.Phase != corev1.NamespaceActive {
			allErrs = append(allErrs, field.Invalid(p, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
		}
	} else if ns.Status.Phase != corev1.NamespaceTerminating {
		allErrs = append(allErrs, field.Invalid(p, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
	}
	return allErrs
}

// ValidateServiceAccount checks a ServiceAccount (create and update).
func ValidateServiceAccount(sa *corev1.ServiceAccount) field.ErrorList {
	return ValidateObjectMeta(&sa.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
}
