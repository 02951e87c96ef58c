package validation

import (
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NameFunc validates an object name. prefix is true when the value is a
// generateName, which may end in "-" because random characters follow.
type NameFunc = apimachineryvalidation.ValidateNameFunc

// Name rules per kind, as upstream assigns them. Most kinds only need a DNS-1123
// subdomain; a few names end up in DNS labels or hostnames and are stricter.
var (
	// NameIsDNSSubdomain: pods, deployments, configmaps, secrets, nodes, PVs ...
	NameIsDNSSubdomain NameFunc = apimachineryvalidation.NameIsDNSSubdomain
	// NameIsDNSLabel: namespaces and statefulsets (a statefulset name becomes
	// part of each pod's hostname).
	NameIsDNSLabel NameFunc = apimachineryvalidation.NameIsDNSLabel
	// NameIsDNS1035Label: services, whose names become DNS labels and
	// environment variable prefixes and therefore may not start with a digit.
	NameIsDNS1035Label NameFunc = apimachineryvalidation.NameIsDNS1035Label
)

// standardFinalizers are the finalizer names that may appear without a
// domain prefix; any other finalizer must be fully qualified ("example.com/x").
var standardFinalizers = map[string]bool{
	"kubernetes":                     true, // namespace finalizer
	metav1.FinalizerOrphanDependents: true,
	metav1.FinalizerDeleteDependents: true,
}

// ValidateObjectMeta checks metadata of a new object. The presence of
// metadata.namespace for namespaced kinds is the caller's job (it knows the
// request path); here a namespace that is set must be a valid DNS label, and
// cluster-scoped kinds must not carry one.
func ValidateObjectMeta(meta *metav1.ObjectMeta, namespaced bool, nameFn NameFunc, fldPath *field.Path) field.ErrorList {
	return validateObjectMeta(meta, namespaced, nameFn, true, fldPath)
}

// validateObjectMeta: kubeFinalizers selects the built-in kinds' stricter
// finalizer rule; custom resources only get the generic one.
func validateObjectMeta(meta *metav1.ObjectMeta, namespaced bool, nameFn NameFunc, kubeFinalizers bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(meta.GenerateName) != 0 {
		for _, msg := range nameFn(meta.GenerateName, true) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("generateName"), meta.GenerateName, msg))
		}
	}
	if len(meta.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "name or generateName is required"))
	} else {
		for _, msg := range nameFn(meta.Name, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), meta.Name, msg))
		}
	}
	if len(meta.Namespace) != 0 {
		if namespaced {
			for _, msg := range apimachineryvalidation.ValidateNamespaceName(meta.Namespace, false) {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), meta.Namespace, msg))
			}
		} else {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("namespace"), "not allowed on this type"))
		}
	}
	allErrs = append(allErrs, validateNonnegative(meta.Generation, fldPath.Child("generation"))...)
	allErrs = append(allErrs, validateMetaContents(meta, fldPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizers(meta.Finalizers, fldPath.Child("finalizers"))...)
	allErrs = append(allErrs, metavalidation.ValidateManagedFields(meta.ManagedFields, fldPath.Child("managedFields"))...)
	if kubeFinalizers {
		allErrs = append(allErrs, validateKubeFinalizerNames(meta.Finalizers, fldPath.Child("finalizers"))...)
	}
	return allErrs
}

// ValidateObjectMetaUpdate checks metadata of an object replacing old. The
// identity fields (name, namespace, uid, creationTimestamp, resourceVersion,
// deletionTimestamp) are owned by the caller's update path and not repeated
// here, so one bad request does not produce the same error twice.
func ValidateObjectMetaUpdate(newMeta, oldMeta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	return validateObjectMetaUpdate(newMeta, oldMeta, true, fldPath)
}

func validateObjectMetaUpdate(newMeta, oldMeta *metav1.ObjectMeta, kubeFinalizers bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if oldMeta.DeletionTimestamp != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNoNewFinalizers(newMeta.Finalizers, oldMeta.Finalizers, fldPath.Child("finalizers"))...)
	}
	allErrs = append(allErrs, validateMetaContents(newMeta, fldPath)...)
	allErrs = append(allErrs, metavalidation.ValidateManagedFields(newMeta.ManagedFields, fldPath.Child("managedFields"))...)
	if kubeFinalizers {
		allErrs = append(allErrs, validateKubeFinalizerNames(newMeta.Finalizers, fldPath.Child("finalizers"))...)
	}
	return allErrs
}

// validateMetaContents covers the fields validated identically on create
// and update: labels, annotations (incl. the 256KiB total) and owner refs
// (apiVersion/kind/name/uid required, at most one controller).
func validateMetaContents(meta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, metavalidation.ValidateLabels(meta.Labels, fldPath.Child("labels"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(meta.Annotations, fldPath.Child("annotations"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateOwnerReferences(meta.OwnerReferences, fldPath.Child("ownerReferences"))...)
	return allErrs
}

// validateKubeFinalizerNames enforces the built-in kinds' extra rule: a
// finalizer without "/" must be one of the standard names.
func validateKubeFinalizerNames(finalizers []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, f := range finalizers {
		allErrs = append(allErrs, validateKubeFinalizerName(f, fldPath.Index(i))...)
	}
	return allErrs
}

func validateKubeFinalizerName(name string, fldPath *field.Path) field.ErrorList {
	if !strings.Contains(name, "/") && !standardFinalizers[name] {
		return field.ErrorList{field.Invalid(fldPath, name, "name is neither a standard finalizer name nor is it fully qualified")}
	}
	return nil
}

// validateAnnotations checks annotation keys and the 256KiB total size.
func validateAnnotations(annotations map[string]string, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateAnnotations(annotations, fldPath)
}
