package validation

import (
	"path"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateVolumes checks pod volumes (unique DNS-label names, exactly one
// source each) and returns them by name for the volumeMount checks.
func ValidateVolumes(volumes []corev1.Volume, fldPath *field.Path) (map[string]corev1.VolumeSource, field.ErrorList) {
	var allErrs field.ErrorList
	byName := map[string]corev1.VolumeSource{}
	for i := range volumes {
		vol := &volumes[i]
		idxPath := fldPath.Index(i)
		namePath := idxPath.Child("name")
		el := validateVolumeSource(&vol.VolumeSource, idxPath)
		if len(vol.Name) == 0 {
			el = append(el, field.Required(namePath, ""))
		} else {
			el = append(el, validateDNS1123Label(vol.Name, namePath)...)
		}
		if _, dup := byName[vol.Name]; dup {
			el = append(el, field.Duplicate(namePath, vol.Name))
		}
		// Like upstream, an invalid volume is not registered, so mounts
		// that refer to it also report "Not found".
		if len(el) == 0 {
			byName[vol.Name] = vol.VolumeSource
		} else {
			allErrs = append(allErrs, el...)
		}
	}
	return byName, allErrs
}

// setSourceFields lists the non-nil pointer fields of a volume source struct
// by their JSON names, in declaration order. Volume sources are a union:
// exactly one member may be set.
func setSourceFields(src interface{}) []string {
	v := reflect.ValueOf(src).Elem()
	t := v.Type()
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		names = append(names, name)
	}
	return names
}

func validateVolumeSource(src *corev1.VolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	set := setSourceFields(src)
	if len(set) == 0 {
		return field.ErrorList{field.Required(fldPath, "must specify a volume type")}
	}
	for _, extra := range set[1:] {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child(extra), "may not specify more than 1 volume type"))
	}
	switch set[0] {
	case "hostPath":
		allErrs = append(allErrs, validateHostPathVolumeSource(src.HostPath, fldPath.Child("hostPath"))...)
	case "emptyDir":
		if src.EmptyDir.SizeLimit != nil && src.EmptyDir.SizeLimit.Cmp(resource.Quantity{}) < 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("emptyDir").Child("sizeLimit"), "SizeLimit field must be a valid resource quantity"))
		}
	case "secret":
		allErrs = append(allErrs, validateSecretVolumeSource(src.Secret, fldPath.Child("secret"))...)
	case "configMap":
		allErrs = append(allErrs, validateConfigMapVolumeSource(src.ConfigMap, fldPath.Child("configMap"))...)
	case "persistentVolumeClaim":
		if len(src.PersistentVolumeClaim.ClaimName) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("persistentVolumeClaim", "claimName"), ""))
		}
	case "downwardAPI":
		allErrs = append(allErrs, validateDownwardAPIVolumeSource(src.DownwardAPI, fldPath.Child("downwardAPI"))...)
	case "projected":
		allErrs = append(allErrs, validateProjectedVolumeSource(src.Projected, fldPath.Child("projected"))...)
	case "ephemeral":
		allErrs = append(allErrs, validateEphemeralVolumeSource(src.Ephemeral, fldPath.Child("ephemeral"))...)
	case "nfs":
		allErrs = append(allErrs, validateNFSVolumeSource(src.NFS, fldPath.Child("nfs"))...)
	case "csi":
		if len(src.CSI.Driver) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("csi", "driver"), ""))
		}
	case "gitRepo":
		if len(src.GitRepo.Repository) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("gitRepo", "repository"), ""))
		}
		allErrs = append(allErrs, validateLocalNonReservedPath(src.GitRepo.Directory, fldPath.Child("gitRepo", "directory"))...)
	}
	return allErrs
}

var supportedHostPathTypes = sets.New(
	corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory,
	corev1.HostPathFileOrCreate, corev1.HostPathFile, corev1.HostPathSocket,
	corev1.HostPathCharDev, corev1.HostPathBlockDev,
)

func validateHostPathVolumeSource(hp *corev1.HostPathVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(hp.Path) == 0 {
		return field.ErrorList{field.Required(fldPath.Child("path"), "")}
	}
	allErrs = append(allErrs, validatePathNoBacksteps(hp.Path, fldPath.Child("path"))...)
	if hp.Type != nil && !supportedHostPathTypes.Has(*hp.Type) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), *hp.Type, sets.List(supportedHostPathTypes)))
	}
	return allErrs
}

func validateNFSVolumeSource(nfs *corev1.NFSVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(nfs.Server) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("server"), ""))
	}
	if len(nfs.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	if !path.IsAbs(nfs.Path) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("path"), nfs.Path, "must be an absolute path"))
	}
	return allErrs
}

func validateFileMode(mode *int32, fldPath *field.Path) field.ErrorList {
	if mode != nil && (*mode > 0777 || *mode < 0) {
		return field.ErrorList{field.Invalid(fldPath, *mode, fileModeErrorMsg)}
	}
	return nil
}

func validateSecretVolumeSource(s *corev1.SecretVolumeSource, fldPath *field.Path) field.ErrorList {
	return validateObjectVolumeSource(s.SecretName, "secretName", s.DefaultMode, s.Items, fldPath)
}

func validateConfigMapVolumeSource(c *corev1.ConfigMapVolumeSource, fldPath *field.Path) field.ErrorList {
	return validateObjectVolumeSource(c.Name, "name", c.DefaultMode, c.Items, fldPath)
}

// validateObjectVolumeSource checks a volume projecting the keys of a named object (a secret
// or a config map): the name, the default mode and each item.
func validateObjectVolumeSource(name, nameField string, defaultMode *int32, items []corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child(nameField), ""))
	}
	allErrs = append(allErrs, validateFileMode(defaultMode, fldPath.Child("defaultMode"))...)
	for i := range items {
		allErrs = append(allErrs, validateKeyToPath(&items[i], fldPath.Child("items").Index(i))...)
	}
	return allErrs
}

func validateKeyToPath(kp *corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(kp.Key) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("key"), ""))
	}
	if len(kp.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, validateLocalNonReservedPath(kp.Path, fldPath.Child("path"))...)
	allErrs = append(allErrs, validateFileMode(kp.Mode, fldPath.Child("mode"))...)
	return allErrs
}

func validateDownwardAPIVolumeSource(d *corev1.DownwardAPIVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateFileMode(d.DefaultMode, fldPath.Child("defaultMode"))
	for i, f := range d.Items {
		allErrs = append(allErrs, validateDownwardAPIVolumeFile(&f, fldPath.Child("items").Index(i))...)
	}
	return allErrs
}

func validateDownwardAPIVolumeFile(f *corev1.DownwardAPIVolumeFile, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(f.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, validateLocalNonReservedPath(f.Path, fldPath.Child("path"))...)
	switch {
	case f.FieldRef != nil && f.ResourceFieldRef != nil:
		allErrs = append(allErrs, field.Invalid(fldPath, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
	case f.FieldRef != nil:
		allErrs = append(allErrs, validateObjectFieldSelector(f.FieldRef, validVolumeFieldPaths, fldPath.Child("fieldRef"))...)
	case f.ResourceFieldRef != nil:
		allErrs = append(allErrs, validateResourceFieldSelector(f.ResourceFieldRef, true, fldPath.Child("resourceFieldRef"))...)
	default:
		allErrs = append(allErrs, field.Required(fldPath, "one of fieldRef and resourceFieldRef is required"))
	}
	allErrs = append(allErrs, validateFileMode(f.Mode, fldPath.Child("mode"))...)
	return allErrs
}

func validateProjectedVolumeSource(p *corev1.ProjectedVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateFileMode(p.DefaultMode, fldPath.Child("defaultMode"))
	paths := sets.New[string]()
	for i, src := range p.Sources {
		srcPath := fldPath.Child("sources").Index(i)
		n := 0
		addPath := func(p string, pp *field.Path) {
			if paths.Has(p) {
				allErrs = append(allErrs, field.Invalid(pp, p, "conflicting duplicate paths"))
			}
			paths.Insert(p)
		}
		if src.Secret != nil {
			n++
			for j, kp := range src.Secret.Items {
				ip := srcPath.Child("secret", "items").Index(j)
				allErrs = append(allErrs, validateKeyToPath(&kp, ip)...)
				addPath(kp.Path, ip.Child("path"))
			}
		}
		if src.ConfigMap != nil {
			n++
			for j, kp := range src.ConfigMap.Items {
				ip := srcPath.Child("configMap", "items").Index(j)
				allErrs = append(allErrs, validateKeyToPath(&kp, ip)...)
				addPath(kp.Path, ip.Child("path"))
			}
		}
		if src.DownwardAPI != nil {
			n++
			for j, f := range src.DownwardAPI.Items {
				ip := srcPath.Child("downwardAPI", "items").Index(j)
				allErrs = append(allErrs, validateDownwardAPIVolumeFile(&f, ip)...)
				addPath(f.Path, ip.Child("path"))
			}
		}
		if src.ServiceAccountToken != nil {
			n++
			sat := src.ServiceAccountToken
			tp := srcPath.Child("serviceAccountToken")
			if sat.ExpirationSeconds != nil {
				if *sat.ExpirationSeconds < 10*60 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *sat.ExpirationSeconds, "may not specify a duration less than 10 minutes"))
				}
				if *sat.ExpirationSeconds > 1<<32 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *sat.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds"))
				}
			}
			if sat.Path == "" {
				allErrs = append(allErrs, field.Required(tp.Child("path"), ""))
			}
			addPath(sat.Path, tp.Child("path"))
		}
		if src.ClusterTrustBundle != nil {
			n++
		}
		if n > 1 {
			allErrs = append(allErrs, field.Forbidden(srcPath, "may not specify more than 1 volume type per source"))
		}
	}
	return allErrs
}

func validateEphemeralVolumeSource(e *corev1.EphemeralVolumeSource, fldPath *field.Path) field.ErrorList {
	if e.VolumeClaimTemplate == nil {
		return field.ErrorList{field.Required(fldPath.Child("volumeClaimTemplate"), "")}
	}
	tp := fldPath.Child("volumeClaimTemplate")
	allErrs := validateTemplateMeta(&e.VolumeClaimTemplate.ObjectMeta, tp.Child("metadata"))
	allErrs = append(allErrs, ValidatePersistentVolumeClaimSpec(&e.VolumeClaimTemplate.Spec, tp.Child("spec"))...)
	return allErrs
}

// validatePathNoBacksteps rejects ".." path elements, which would escape
// the directory a path is meant to stay in.
func validatePathNoBacksteps(target string, fldPath *field.Path) field.ErrorList {
	for _, item := range strings.Split(target, "/") {
		if item == ".." {
			return field.ErrorList{field.Invalid(fldPath, target, "must not contain '..'")}
		}
	}
	return nil
}

func validateLocalDescendingPath(target string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if path.IsAbs(target) {
		allErrs = append(allErrs, field.Invalid(fldPath, target, "must be a relative path"))
	}
	allErrs = append(allErrs, validatePathNoBacksteps(target, fldPath)...)
	return allErrs
}

func validateLocalNonReservedPath(target string, fldPath *field.Path) field.ErrorList {
	allErrs := validateLocalDescendingPath(target, fldPath)
	// "..data" and friends are used by the atomic writer for its symlinks.
	if len(target) >= 2 && strings.HasPrefix(target, "..") {
		allErrs = append(allErrs, field.Invalid(fldPath, target, "must not start with '..'"))
	}
	return allErrs
}

// Access modes, sorted as upstream prints them.
var supportedAccessModes = []corev1.PersistentVolumeAccessMode{
	corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod,
}

func isSupportedAccessMode(m corev1.PersistentVolumeAccessMode) bool {
	for _, s := range supportedAccessModes {
		if m == s {
			return true
		}
	}
	return false
}

var supportedVolumeModes = []corev1.PersistentVolumeMode{corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem}

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rwop, other := false, false
	for _, mode := range modes {
		if !isSupportedAccessMode(mode) {
			allErrs = append(allErrs, field.NotSupported(fldPath, mode, supportedAccessModes))
		}
		if mode == corev1.ReadWriteOncePod {
			rwop = true
		} else if isSupportedAccessMode(mode) {
			other = true
		}
	}
	if rwop && other {
		allErrs = append(allErrs, field.Forbidden(fldPath, "may not use ReadWriteOncePod with other access modes"))
	}
	return allErrs
}

func validateVolumeMode(mode *corev1.PersistentVolumeMode, fldPath *field.Path) field.ErrorList {
	if mode == nil || *mode == corev1.PersistentVolumeBlock || *mode == corev1.PersistentVolumeFilesystem {
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath, *mode, supportedVolumeModes)}
}

// ValidatePersistentVolumeClaimSpec checks a claim spec (also used for
// StatefulSet volumeClaimTemplates and ephemeral volumes).
func ValidatePersistentVolumeClaimSpec(spec *corev1.PersistentVolumeClaimSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("accessModes"), "at least 1 access mode is required"))
	}
	if spec.Selector != nil {
		allErrs = append(allErrs, validateLabelSelectorStrict(spec.Selector, fldPath.Child("selector"))...)
	}
	allErrs = append(allErrs, validateAccessModes(spec.AccessModes, fldPath.Child("accessModes"))...)
	storagePath := fldPath.Child("resources").Key(string(corev1.ResourceStorage))
	if q, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		allErrs = append(allErrs, field.Required(storagePath, ""))
	} else if q.Cmp(resource.Quantity{}) <= 0 {
		allErrs = append(allErrs, field.Invalid(storagePath, q.String(), isNotPositiveErrorMsg))
	}
	if spec.StorageClassName != nil && len(*spec.StorageClassName) > 0 {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, *spec.StorageClassName, false, fldPath.Child("storageClassName"))...)
	}
	allErrs = append(allErrs, validateVolumeMode(spec.VolumeMode, fldPath.Child("volumeMode"))...)
	if spec.DataSource != nil {
		allErrs = append(allErrs, validateDataSource(spec.DataSource.APIGroup, spec.DataSource.Kind, spec.DataSource.Name, fldPath.Child("dataSource"))...)
	}
	if spec.DataSourceRef != nil {
		allErrs = append(allErrs, validateDataSource(spec.DataSourceRef.APIGroup, spec.DataSourceRef.Kind, spec.DataSourceRef.Name, fldPath.Child("dataSourceRef"))...)
	}
	return allErrs
}

func validateDataSource(group *string, kind, name string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	}
	if len(kind) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("kind"), ""))
	}
	if (group == nil || *group == "") && kind != "" && kind != "PersistentVolumeClaim" {
		allErrs = append(allErrs, field.Invalid(fldPath, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
	}
	return allErrs
}

// validateIPAddressNotSpecial rejects addresses that can never be an
// endpoint: unspecified, loopback and link-local ranges.
func validateIPAddressNotSpecial(ip string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(validation.IsValidIP(fldPath, ip)) != 0 {
		return nil
	}
	parsed := parseIP(ip)
	switch {
	case parsed.IsUnspecified():
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be unspecified (0.0.0.0)"))
	case parsed.IsLoopback():
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	case parsed.IsLinkLocalUnicast():
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	case parsed.IsLinkLocalMulticast():
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return allErrs
}
