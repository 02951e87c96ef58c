package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateReplicationController checks a new ReplicationController.
func ValidateReplicationController(rc *corev1.ReplicationController) field.ErrorList {
	allErrs := ValidateObjectMeta(&rc.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateReplicationControllerSpec(&rc.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateReplicationControllerUpdate checks an RC replacing old. Unlike the
// apps kinds, an RC's selector has always been mutable.
func ValidateReplicationControllerUpdate(rc, old *corev1.ReplicationController) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateReplicationControllerSpec(&rc.Spec, field.NewPath("spec"))...)
	return allErrs
}

func validateReplicationControllerSpec(spec *corev1.ReplicationControllerSpec, fldPath *field.Path) field.ErrorList {
	replicas := derefInt32(spec.Replicas, 1)
	allErrs := validateNonnegative(int64(spec.MinReadySeconds), fldPath.Child("minReadySeconds"))
	selector := labels.Set(spec.Selector).AsSelector()
	if selector.Empty() {
		allErrs = append(allErrs, field.Required(fldPath.Child("selector"), ""))
	}
	allErrs = append(allErrs, validateNonnegative(int64(replicas), fldPath.Child("replicas"))...)
	tp := fldPath.Child("template")
	if spec.Template == nil {
		return append(allErrs, field.Required(tp, ""))
	}
	allErrs = append(allErrs, validateTemplateMatchesSelector(spec.Template, selector, tp)...)
	allErrs = append(allErrs, ValidatePodTemplateSpec(spec.Template, tp)...)
	allErrs = append(allErrs, validateControllerTemplatePolicies(spec.Template, "ReplicationController", tp)...)
	return allErrs
}

// ValidateReplicationControllerStatusUpdate checks a write to the status.
func ValidateReplicationControllerStatusUpdate(rc, old *corev1.ReplicationController) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	s := &rc.Status
	allErrs = append(allErrs, validateReplicaCounts(s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas, s.ObservedGeneration, field.NewPath("status"))...)
	return allErrs
}
