package validation

import (
	"fmt"
	"path"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePersistentVolumeClaim checks a new PVC.
func ValidatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMeta(&pvc.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidatePersistentVolumeClaimSpec(&pvc.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidatePersistentVolumeClaimUpdate checks a PVC replacing old. Claims
// are immutable (quota and binding depend on them) except that the binder
// sets volumeName once, and a bound claim may change its storage request
// (resize) and volumeAttributesClassName.
func ValidatePersistentVolumeClaimUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidatePersistentVolumeClaimSpec(&pvc.Spec, field.NewPath("spec"))...)

	newSpec := pvc.Spec.DeepCopy()
	oldSpec := old.Spec.DeepCopy()
	if len(old.Spec.VolumeName) == 0 {
		oldSpec.VolumeName = newSpec.VolumeName
	}
	// The default StorageClass admission may fill a class that was unset.
	if old.Spec.StorageClassName == nil && newSpec.StorageClassName != nil && old.Annotations[corev1.BetaStorageClassAnnotation] == "" {
		oldSpec.StorageClassName = newSpec.StorageClassName
	}
	phase := pvc.Status.Phase
	if phase == "" {
		phase = old.Status.Phase
	}
	if phase == corev1.ClaimBound {
		if newSpec.Resources.Requests != nil {
			if q, ok := old.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
				newSpec.Resources.Requests[corev1.ResourceStorage] = q
			} else {
				delete(newSpec.Resources.Requests, corev1.ResourceStorage)
			}
		}
		newSpec.VolumeAttributesClassName = oldSpec.VolumeAttributesClassName
	}
	if !semanticEqual(*newSpec, *oldSpec) {
		msg := fmt.Sprintf("spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n%v", specDiff(*oldSpec, *newSpec))
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), msg))
	}
	// Shrinking is only allowed back towards the actual capacity, to
	// recover from a failed expansion (RecoverVolumeExpansionFailure, beta
	// and on in 1.32); volumes are never actually shrunk.
	oldSize := old.Spec.Resources.Requests[corev1.ResourceStorage]
	newSize := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if newSize.Cmp(oldSize) < 0 {
		statusSize := old.Status.Capacity[corev1.ResourceStorage]
		if newSize.Cmp(statusSize) <= 0 {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
		}
	}
	allErrs = append(allErrs, validateImmutable(pvc.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	return allErrs
}

// ValidatePersistentVolumeClaimStatusUpdate checks a write to the status.
func ValidatePersistentVolumeClaimStatusUpdate(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	capPath := field.NewPath("status", "capacity")
	for _, name := range sortedResourceNames(pvc.Status.Capacity) {
		q := pvc.Status.Capacity[name]
		if q.Cmp(resource.Quantity{}) < 0 {
			allErrs = append(allErrs, field.Invalid(capPath.Key(string(name)), q.String(), isNegativeErrorMsg))
		}
	}
	return allErrs
}

var supportedReclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{
	corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain,
}

// ValidatePersistentVolume checks a new PV: capacity (storage only,
// positive), access modes, exactly one volume source, and node affinity for
// local volumes (they only exist on one node).
func ValidatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	allErrs := ValidateObjectMeta(&pv.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validatePersistentVolumeSpec(&pv.Spec, field.NewPath("spec"))...)
	return allErrs
}

func validatePersistentVolumeSpec(spec *corev1.PersistentVolumeSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("accessModes"), ""))
	}
	allErrs = append(allErrs, validateAccessModes(spec.AccessModes, fldPath.Child("accessModes"))...)
	capPath := fldPath.Child("capacity")
	if len(spec.Capacity) == 0 {
		allErrs = append(allErrs, field.Required(capPath, ""))
	}
	if _, ok := spec.Capacity[corev1.ResourceStorage]; !ok || len(spec.Capacity) > 1 {
		allErrs = append(allErrs, field.NotSupported(capPath, spec.Capacity, []corev1.ResourceName{corev1.ResourceStorage}))
	}
	for _, name := range sortedResourceNames(spec.Capacity) {
		q := spec.Capacity[name]
		if q.Cmp(resource.Quantity{}) <= 0 {
			allErrs = append(allErrs, field.Invalid(capPath.Key(string(name)), q.String(), isNotPositiveErrorMsg))
		}
	}
	if p := spec.PersistentVolumeReclaimPolicy; len(p) > 0 {
		switch p {
		case corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain:
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("persistentVolumeReclaimPolicy"), p, supportedReclaimPolicies))
		}
	}
	nodeAffinitySpecified := false
	if na := spec.NodeAffinity; na != nil {
		naPath := fldPath.Child("nodeAffinity")
		if na.Required == nil {
			allErrs = append(allErrs, field.Required(naPath.Child("required"), "must specify required node constraints"))
		} else {
			nodeAffinitySpecified = true
			allErrs = append(allErrs, ValidateNodeSelector(na.Required, naPath.Child("required"))...)
		}
	}

	set := setSourceFields(&spec.PersistentVolumeSource)
	if len(set) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a volume type"))
	} else {
		for _, extra := range set[1:] {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(extra), "may not specify more than 1 volume type"))
		}
		switch set[0] {
		case "hostPath":
			allErrs = append(allErrs, validateHostPathVolumeSource(spec.HostPath, fldPath.Child("hostPath"))...)
		case "local":
			lp := fldPath.Child("local", "path")
			if len(spec.Local.Path) == 0 {
				allErrs = append(allErrs, field.Required(lp, ""))
			} else {
				allErrs = append(allErrs, validatePathNoBacksteps(spec.Local.Path, lp)...)
			}
			if !nodeAffinitySpecified {
				allErrs = append(allErrs, field.Required(fldPath.Child("nodeAffinity"), "Local volume requires node affinity"))
			}
		case "nfs":
			allErrs = append(allErrs, validateNFSVolumeSource(spec.NFS, fldPath.Child("nfs"))...)
		case "csi":
			if len(spec.CSI.Driver) == 0 {
				allErrs = append(allErrs, field.Required(fldPath.Child("csi", "driver"), ""))
			}
			if len(spec.CSI.VolumeHandle) == 0 {
				allErrs = append(allErrs, field.Required(fldPath.Child("csi", "volumeHandle"), ""))
			}
		}
	}
	// Recycling "/" would scrub the node's root file system.
	if spec.HostPath != nil && path.Clean(spec.HostPath.Path) == "/" && spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRecycle {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
	}
	if len(spec.StorageClassName) > 0 {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, spec.StorageClassName, false, fldPath.Child("storageClassName"))...)
	}
	allErrs = append(allErrs, validateVolumeMode(spec.VolumeMode, fldPath.Child("volumeMode"))...)
	if ref := spec.ClaimRef; ref != nil && ref.Name != "" {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, ref.Name, false, fldPath.Child("claimRef", "name"))...)
	}
	return allErrs
}

// ValidatePersistentVolumeUpdate checks a PV replacing old: the volume
// source and mode never change; node affinity may only be set if unset.
func ValidatePersistentVolumeUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validatePersistentVolumeSpec(&pv.Spec, field.NewPath("spec"))...)
	if !semanticEqual(pv.Spec.PersistentVolumeSource, old.Spec.PersistentVolumeSource) {
		diff := specDiff(old.Spec.PersistentVolumeSource, pv.Spec.PersistentVolumeSource)
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "persistentvolumesource"), fmt.Sprintf("spec.persistentvolumesource is immutable after creation\n%v", diff)))
	}
	allErrs = append(allErrs, validateImmutable(pv.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	if old.Spec.NodeAffinity != nil {
		allErrs = append(allErrs, validateImmutable(pv.Spec.NodeAffinity, old.Spec.NodeAffinity, field.NewPath("nodeAffinity"))...)
	}
	return allErrs
}

// ValidatePersistentVolumeStatusUpdate checks a write to the PV status.
func ValidatePersistentVolumeStatusUpdate(pv, old *corev1.PersistentVolume) field.ErrorList {
	return ValidateObjectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
}

// StorageClass parameter limits from upstream.
const (
	maxProvisionerParameterSize = 256 * (1 << 10)
	maxProvisionerParameterLen  = 512
)

// ValidateStorageClass checks a new StorageClass.
func ValidateStorageClass(sc *storagev1.StorageClass) field.ErrorList {
	allErrs := ValidateObjectMeta(&sc.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateStorageClassBody(sc)...)
	return allErrs
}

func validateStorageClassBody(sc *storagev1.StorageClass) field.ErrorList {
	var allErrs field.ErrorList
	pp := field.NewPath("provisioner")
	if len(sc.Provisioner) == 0 {
		allErrs = append(allErrs, field.Required(pp, sc.Provisioner))
	} else {
		allErrs = append(allErrs, validateQualifiedName(strings.ToLower(sc.Provisioner), pp)...)
	}
	allErrs = append(allErrs, validateProvisionerParameters(sc.Parameters, field.NewPath("parameters"))...)
	if rp := sc.ReclaimPolicy; rp != nil && len(*rp) > 0 && *rp != corev1.PersistentVolumeReclaimDelete && *rp != corev1.PersistentVolumeReclaimRetain {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("reclaimPolicy"), rp, []string{string(corev1.PersistentVolumeReclaimDelete), string(corev1.PersistentVolumeReclaimRetain)}))
	}
	mp := field.NewPath("volumeBindingMode")
	if sc.VolumeBindingMode == nil {
		allErrs = append(allErrs, field.Required(mp, ""))
	} else if m := *sc.VolumeBindingMode; m != storagev1.VolumeBindingImmediate && m != storagev1.VolumeBindingWaitForFirstConsumer {
		allErrs = append(allErrs, field.NotSupported(mp, sc.VolumeBindingMode, []string{string(storagev1.VolumeBindingImmediate), string(storagev1.VolumeBindingWaitForFirstConsumer)}))
	}
	for i, term := range sc.AllowedTopologies {
		tp := field.NewPath("allowedTopologies").Index(i)
		if len(term.MatchLabelExpressions) == 0 {
			allErrs = append(allErrs, field.Required(tp.Child("matchLabelExpressions"), "must have at least one label selector requirement"))
		}
		for j, req := range term.MatchLabelExpressions {
			rp := tp.Child("matchLabelExpressions").Index(j)
			allErrs = append(allErrs, validateQualifiedName(req.Key, rp.Child("key"))...)
			if len(req.Values) == 0 {
				allErrs = append(allErrs, field.Required(rp.Child("values"), "must specify as least one value"))
			}
		}
	}
	return allErrs
}

func validateProvisionerParameters(params map[string]string, fldPath *field.Path) field.ErrorList {
	if len(params) > maxProvisionerParameterLen {
		return field.ErrorList{field.TooLong(fldPath, "", maxProvisionerParameterLen)}
	}
	var allErrs field.ErrorList
	total := 0
	for _, k := range sortedKeys(params) {
		if len(k) < 1 {
			allErrs = append(allErrs, field.Invalid(fldPath, k, "field can not be empty."))
		}
		total += len(k) + len(params[k])
	}
	if total > maxProvisionerParameterSize {
		allErrs = append(allErrs, field.TooLong(fldPath, "", maxProvisionerParameterSize))
	}
	return allErrs
}

// ValidateStorageClassUpdate: provisioning behaviour of existing volumes
// depends on the class, so its parameters, provisioner, reclaim policy and
// binding mode are fixed.
func ValidateStorageClassUpdate(sc, old *storagev1.StorageClass) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateStorageClassBody(sc)...)
	if !reflect.DeepEqual(old.Parameters, sc.Parameters) && !(len(old.Parameters) == 0 && len(sc.Parameters) == 0) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if sc.Provisioner != old.Provisioner {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !equalReclaimPolicy(sc.ReclaimPolicy, old.ReclaimPolicy) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	allErrs = append(allErrs, validateImmutable(sc.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
	return allErrs
}

func equalReclaimPolicy(a, b *corev1.PersistentVolumeReclaimPolicy) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
