package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// statefulSetSpecForbiddenMsg lists the mutable spec fields verbatim as the
// upstream apiserver prints them (checked against kind v1.34).
const statefulSetSpecForbiddenMsg = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// ValidateStatefulSet checks a new StatefulSet. Its name must be a DNS
// label because it becomes part of every pod's hostname.
func ValidateStatefulSet(set *appsv1.StatefulSet) field.ErrorList {
	allErrs := ValidateObjectMeta(&set.ObjectMeta, true, NameIsDNSLabel, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateStatefulSetSpec(&set.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateStatefulSetSpec checks the spec of a StatefulSet.
func ValidateStatefulSetSpec(spec *appsv1.StatefulSetSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch spec.PodManagementPolicy {
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("podManagementPolicy"), spec.PodManagementPolicy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)))
	}

	switch spec.UpdateStrategy.Type {
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("updateStrategy"), ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("updateStrategy", "rollingUpdate"), spec.UpdateStrategy.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			ruPath := fldPath.Child("updateStrategy", "rollingUpdate")
			allErrs = append(allErrs, validateNonnegative(int64(derefInt32(ru.Partition, 0)), ruPath.Child("partition"))...)
			if ru.MaxUnavailable != nil {
				muPath := ruPath.Child("maxUnavailable")
				allErrs = append(allErrs, validatePositiveIntOrPercent(*ru.MaxUnavailable, muPath)...)
				if intOrPercentValue(*ru.MaxUnavailable) == 0 {
					allErrs = append(allErrs, field.Invalid(muPath, *ru.MaxUnavailable, "cannot be 0"))
				}
				allErrs = append(allErrs, isNotMoreThan100Percent(*ru.MaxUnavailable, muPath)...)
			}
		}
	default:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("updateStrategy"), spec.UpdateStrategy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}

	if p := spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		pp := fldPath.Child("persistentVolumeClaimRetentionPolicy")
		allErrs = append(allErrs, validateRetentionPolicyType(p.WhenDeleted, pp.Child("whenDeleted"))...)
		allErrs = append(allErrs, validateRetentionPolicyType(p.WhenScaled, pp.Child("whenScaled"))...)
	}

	allErrs = append(allErrs, validateNonnegative(int64(derefInt32(spec.Replicas, 1)), fldPath.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegative(int64(spec.MinReadySeconds), fldPath.Child("minReadySeconds"))...)
	if spec.Ordinals != nil {
		allErrs = append(allErrs, validateNonnegative(int64(spec.Ordinals.Start), fldPath.Child("ordinals.start"))...)
	}
	// serviceName is optional; when set it becomes every pod's subdomain,
	// so it must be a DNS label (otherwise the controller would be stuck
	// creating invalid pods).
	if spec.ServiceName != "" {
		allErrs = append(allErrs, validateDNS1123Label(spec.ServiceName, fldPath.Child("serviceName"))...)
	}

	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, validateLabelSelectorStrict(spec.Selector, fldPath.Child("selector"))...)
		if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("selector"), spec.Selector, "empty selector is invalid for statefulset"))
		}
	}
	claimNames, claimErrs := validateVolumeClaimTemplates(spec.VolumeClaimTemplates, fldPath.Child("volumeClaimTemplates"))
	allErrs = append(allErrs, claimErrs...)
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("selector"), spec.Selector, ""))
	} else {
		allErrs = append(allErrs, validateTemplateMatchesSelector(&spec.Template, selector, fldPath.Child("template"))...)
		// The pods get one volume per claim template, so mounts may refer
		// to claim template names.
		allErrs = append(allErrs, validatePodTemplateSpec(&spec.Template, fldPath.Child("template"), claimNames)...)
	}
	allErrs = append(allErrs, validateControllerTemplatePolicies(&spec.Template, "StatefulSet", fldPath.Child("template"))...)
	return allErrs
}

func validateRetentionPolicyType(t appsv1.PersistentVolumeClaimRetentionPolicyType, fldPath *field.Path) field.ErrorList {
	switch t {
	case appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType:
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath, t, []appsv1.PersistentVolumeClaimRetentionPolicyType{
		appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType})}
}

// validateVolumeClaimTemplates validates each template as a PVC: its name
// becomes a pod volume name and a PVC name prefix, so it must be a unique
// DNS label.
func validateVolumeClaimTemplates(claims []corev1.PersistentVolumeClaim, fldPath *field.Path) ([]string, field.ErrorList) {
	var allErrs field.ErrorList
	var names []string
	seen := sets.New[string]()
	for i := range claims {
		c := &claims[i]
		p := fldPath.Index(i)
		namePath := p.Child("metadata", "name")
		if c.Name == "" {
			allErrs = append(allErrs, field.Required(namePath, ""))
		} else {
			allErrs = append(allErrs, validateDNS1123Label(c.Name, namePath)...)
			if seen.Has(c.Name) {
				allErrs = append(allErrs, field.Duplicate(namePath, c.Name))
			}
			seen.Insert(c.Name)
			names = append(names, c.Name)
		}
		allErrs = append(allErrs, validateTemplateMeta(&c.ObjectMeta, p.Child("metadata"))...)
		allErrs = append(allErrs, ValidatePersistentVolumeClaimSpec(&c.Spec, p.Child("spec"))...)
	}
	return names, allErrs
}

// validateTemplateMatchesSelector: a controller whose selector does not
// select its own pods would create pods forever.
func validateTemplateMatchesSelector(t *corev1.PodTemplateSpec, selector labels.Selector, fldPath *field.Path) field.ErrorList {
	if !selector.Empty() && !selector.Matches(labels.Set(t.Labels)) {
		return field.ErrorList{field.Invalid(fldPath.Child("metadata", "labels"), t.Labels, selectorMismatchMsg)}
	}
	return nil
}

// validateControllerTemplatePolicies: pods of long-running controllers must
// restart forever and may not have a deadline.
func validateControllerTemplatePolicies(t *corev1.PodTemplateSpec, kind string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("spec", "activeDeadlineSeconds"), fmt.Sprintf("activeDeadlineSeconds in %s is not Supported", kind)))
	}
	return allErrs
}

// ValidateStatefulSetUpdate checks a StatefulSet replacing old. The name is
// not re-validated: older servers accepted DNS subdomains and such sets
// must still be deletable through finalizer updates.
func ValidateStatefulSetUpdate(set, old *appsv1.StatefulSet) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&set.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateStatefulSetSpec(&set.Spec, field.NewPath("spec"))...)

	clone := set.Spec.DeepCopy()
	clone.Replicas = old.Spec.Replicas
	clone.Template = old.Spec.Template
	clone.UpdateStrategy = old.Spec.UpdateStrategy
	clone.MinReadySeconds = old.Spec.MinReadySeconds
	clone.Ordinals = old.Spec.Ordinals
	clone.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit
	clone.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy
	if !semanticEqual(*clone, old.Spec) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), statefulSetSpecForbiddenMsg))
	}
	return allErrs
}

// ValidateStatefulSetStatusUpdate checks a write to statefulsets/status.
func ValidateStatefulSetStatusUpdate(set, old *appsv1.StatefulSet) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&set.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	p := field.NewPath("status")
	s := &set.Status
	allErrs = append(allErrs, validateNonnegative(int64(s.Replicas), p.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.ReadyReplicas), p.Child("readyReplicas"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.CurrentReplicas), p.Child("currentReplicas"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.UpdatedReplicas), p.Child("updatedReplicas"))...)
	allErrs = append(allErrs, validateNonnegative(int64(s.AvailableReplicas), p.Child("availableReplicas"))...)
	allErrs = append(allErrs, validateNonnegative(s.ObservedGeneration, p.Child("observedGeneration"))...)
	if s.CollisionCount != nil {
		allErrs = append(allErrs, validateNonnegative(int64(*s.CollisionCount), p.Child("collisionCount"))...)
	}
	const msg = "cannot be greater than status.replicas"
	if s.ReadyReplicas > s.Replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("readyReplicas"), s.ReadyReplicas, msg))
	}
	if s.CurrentReplicas > s.Replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("currentReplicas"), s.CurrentReplicas, msg))
	}
	if s.UpdatedReplicas > s.Replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("updatedReplicas"), s.UpdatedReplicas, msg))
	}
	if s.AvailableReplicas > s.Replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, msg))
	}
	if s.AvailableReplicas > s.ReadyReplicas {
		allErrs = append(allErrs, field.Invalid(p.Child("availableReplicas"), s.AvailableReplicas, "cannot be greater than status.readyReplicas"))
	}
	allErrs = append(allErrs, validateCollisionCountNotDecremented(s.CollisionCount, old.Status.CollisionCount, p.Child("collisionCount"))...)
	return allErrs
}

// validateCollisionCountNotDecremented: the collision count feeds revision
// hashes; lowering it would reuse names of different revisions.
func validateCollisionCountNotDecremented(newC, oldC *int32, fldPath *field.Path) field.ErrorList {
	if oldC == nil {
		return nil
	}
	if newC == nil || *newC < *oldC {
		return field.ErrorList{field.Invalid(fldPath, derefInt32(newC, 0), "cannot be decremented")}
	}
	return nil
}

// ValidateControllerRevision checks a new ControllerRevision.
func ValidateControllerRevision(rev *appsv1.ControllerRevision) field.ErrorList {
	allErrs := ValidateObjectMeta(&rev.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	if rev.Data.Raw == nil && rev.Data.Object == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	allErrs = append(allErrs, validateNonnegative(rev.Revision, field.NewPath("revision"))...)
	return allErrs
}

// ValidateControllerRevisionUpdate: data is immutable; revision numbers
// may change (a rollback re-numbers an old revision).
func ValidateControllerRevisionUpdate(rev, old *appsv1.ControllerRevision) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&rev.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if rev.Data.Raw == nil && rev.Data.Object == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	allErrs = append(allErrs, validateNonnegative(rev.Revision, field.NewPath("revision"))...)
	if !sameRevisionData(rev.Data, old.Data) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("data"), string(rev.Data.Raw), fieldImmutableMsg))
	}
	return allErrs
}

// sameRevisionData compares revision payloads as JSON values, so that a
// client re-encoding the same document with other whitespace is not
// mistaken for a change.
func sameRevisionData(a, b runtime.RawExtension) bool {
	if bytes.Equal(a.Raw, b.Raw) {
		return semanticEqual(a.Object, b.Object)
	}
	var av, bv interface{}
	if json.Unmarshal(a.Raw, &av) != nil || json.Unmarshal(b.Raw, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}
