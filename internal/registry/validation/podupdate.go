package validation

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// updatablePodSpecFields is the list upstream 1.32 prints (without the
// InPlacePodVerticalScaling entry, whose gate is off in 1.32).
var updatablePodSpecFields = []string{
	"`spec.containers[*].image`",
	"`spec.initContainers[*].image`",
	"`spec.activeDeadlineSeconds`",
	"`spec.tolerations` (only additions to existing tolerations)",
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
}

// specDiff renders the difference of two API values the way upstream
// appends it to immutability errors. It never panics on odd input.
func specDiff(old, new interface{}) (diff string) {
	defer func() {
		if recover() != nil {
			diff = ""
		}
	}()
	return cmp.Diff(old, new)
}

// ValidatePodUpdate checks a pod replacing old. A running pod's spec is
// immutable except for images, activeDeadlineSeconds (set or shortened),
// added tolerations, removed scheduling gates and a negative grace period
// being fixed to 1; for gated pods, nodeSelector additions.
func ValidatePodUpdate(pod, old *corev1.Pod) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validatePodUpdateRules(pod, old)...)
}

// validatePodUpdateRules holds the spec mutability rules of ValidatePodUpdate.
func validatePodUpdateRules(pod, old *corev1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList

	errs, stop := validateContainerUpdates(pod.Spec.Containers, old.Spec.Containers, specPath.Child("containers"))
	allErrs = append(allErrs, errs...)
	if stop {
		return allErrs
	}
	errs, stop = validateContainerUpdates(pod.Spec.InitContainers, old.Spec.InitContainers, specPath.Child("initContainers"))
	allErrs = append(allErrs, errs...)
	if stop {
		return allErrs
	}

	// activeDeadlineSeconds may be set, or lowered, never raised or removed.
	adsPath := specPath.Child("activeDeadlineSeconds")
	if pod.Spec.ActiveDeadlineSeconds != nil {
		v := *pod.Spec.ActiveDeadlineSeconds
		if v < 0 || v > maxInt32 {
			return append(allErrs, field.Invalid(adsPath, v, validation.InclusiveRangeError(0, maxInt32)))
		}
		if old.Spec.ActiveDeadlineSeconds != nil && *old.Spec.ActiveDeadlineSeconds < v {
			return append(allErrs, field.Invalid(adsPath, v, "must be less than or equal to previous value"))
		}
	} else if old.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Invalid(adsPath, pod.Spec.ActiveDeadlineSeconds, "must not update from a positive integer to nil value"))
	}

	allErrs = append(allErrs, validateOnlyAddedTolerations(pod.Spec.Tolerations, old.Spec.Tolerations, specPath.Child("tolerations"))...)
	allErrs = append(allErrs, validateOnlyDeletedSchedulingGates(pod.Spec.SchedulingGates, old.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)

	if semanticEqual(pod.Spec, old.Spec) {
		return allErrs
	}

	// Copy the mutable fields from old into a clone of the new spec; any
	// difference left is a forbidden change.
	munged := *pod.Spec.DeepCopy()
	for i := range munged.Containers {
		munged.Containers[i].Image = old.Spec.Containers[i].Image
	}
	for i := range munged.InitContainers {
		munged.InitContainers[i].Image = old.Spec.InitContainers[i].Image
	}
	munged.ActiveDeadlineSeconds = nil
	if old.Spec.ActiveDeadlineSeconds != nil {
		v := *old.Spec.ActiveDeadlineSeconds
		munged.ActiveDeadlineSeconds = &v
	}
	munged.SchedulingGates = old.Spec.SchedulingGates
	munged.Tolerations = old.Spec.Tolerations
	if old.Spec.TerminationGracePeriodSeconds != nil && *old.Spec.TerminationGracePeriodSeconds < 0 &&
		munged.TerminationGracePeriodSeconds != nil && *munged.TerminationGracePeriodSeconds == 1 {
		munged.TerminationGracePeriodSeconds = old.Spec.TerminationGracePeriodSeconds
	}
	// A pod still held by scheduling gates may gain node constraints.
	if len(old.Spec.SchedulingGates) > 0 && !semanticEqual(munged.NodeSelector, old.Spec.NodeSelector) {
		allErrs = append(allErrs, validateNodeSelectorAdditions(munged.NodeSelector, old.Spec.NodeSelector, specPath.Child("nodeSelector"))...)
		munged.NodeSelector = old.Spec.NodeSelector
	}

	if !semanticEqual(munged, old.Spec) {
		msg := fmt.Sprintf("pod updates may not change fields other than %s\n%v", strings.Join(updatablePodSpecFields, ","), specDiff(old.Spec, munged))
		allErrs = append(allErrs, field.Forbidden(specPath, msg))
	}
	return allErrs
}

func validateContainerUpdates(newC, oldC []corev1.Container, fldPath *field.Path) (field.ErrorList, bool) {
	var allErrs field.ErrorList
	if len(newC) != len(oldC) {
		return field.ErrorList{field.Forbidden(fldPath, "pod updates may not add or remove containers")}, true
	}
	for i, c := range newC {
		if len(c.Image) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Index(i).Child("image"), ""))
		}
		if len(strings.TrimSpace(c.Image)) != len(c.Image) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i).Child("image"), c.Image, "must not have leading or trailing whitespace"))
		}
	}
	return allErrs, false
}

// validateOnlyAddedTolerations allows appending tolerations and changing an
// existing toleration's tolerationSeconds, nothing else.
func validateOnlyAddedTolerations(newT, oldT []corev1.Toleration, fldPath *field.Path) field.ErrorList {
	for _, o := range oldT {
		found := false
		for _, n := range newT {
			clone := o
			clone.TolerationSeconds = n.TolerationSeconds
			if reflect.DeepEqual(clone, n) {
				found = true
				break
			}
		}
		if !found {
			return field.ErrorList{field.Forbidden(fldPath, "existing toleration can not be modified except its tolerationSeconds")}
		}
	}
	return ValidateTolerations(newT, fldPath)
}

func validateOnlyDeletedSchedulingGates(newG, oldG []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	old := map[string]bool{}
	for _, g := range oldG {
		old[g.Name] = true
	}
	for i, g := range newG {
		if !old[g.Name] {
			allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("name"), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	return allErrs
}

func validateNodeSelectorAdditions(newSel, oldSel map[string]string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for k, v := range oldSel {
		if nv, ok := newSel[k]; !ok || nv != v {
			allErrs = append(allErrs, field.Invalid(fldPath.Key(k), newSel[k], "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
		}
	}
	return allErrs
}

// ValidatePodStatusUpdate checks a write to pods/status: metadata, the
// node binding (not changeable here), IPs, condition types, and that a
// container which may not restart does not come back from terminated.
func ValidatePodStatusUpdate(pod, old *corev1.Pod) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	statusPath := field.NewPath("status")
	for i, c := range pod.Status.Conditions {
		switch c.Type {
		case corev1.PodScheduled, corev1.PodReady, corev1.PodInitialized, corev1.ContainersReady:
			continue
		}
		allErrs = append(allErrs, validateQualifiedName(string(c.Type), statusPath.Child("conditions").Index(i).Child("type"))...)
	}
	if pod.Spec.NodeName != old.Spec.NodeName {
		allErrs = append(allErrs, field.Forbidden(statusPath.Child("nodeName"), "may not be changed directly"))
	}
	if pod.Status.NominatedNodeName != old.Status.NominatedNodeName && len(pod.Status.NominatedNodeName) > 0 {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, pod.Status.NominatedNodeName, false, statusPath.Child("nominatedNodeName"))...)
	}
	allErrs = append(allErrs, validateContainerStateTransition(pod.Status.ContainerStatuses, old.Status.ContainerStatuses, statusPath.Child("containerStatuses"), old.Spec.RestartPolicy)...)
	allErrs = append(allErrs, validateContainerStateTransition(pod.Status.InitContainerStatuses, old.Status.InitContainerStatuses, statusPath.Child("initContainerStatuses"), old.Spec.RestartPolicy)...)
	allErrs = append(allErrs, validatePodIPs(&pod.Status)...)
	return allErrs
}

func validateContainerStateTransition(newS, oldS []corev1.ContainerStatus, fldPath *field.Path, restartPolicy corev1.RestartPolicy) field.ErrorList {
	var allErrs field.ErrorList
	if restartPolicy == corev1.RestartPolicyAlways {
		return nil
	}
	for i, n := range newS {
		for _, o := range oldS {
			if o.Name != n.Name || o.State.Terminated == nil || n.State.Terminated != nil {
				continue
			}
			if restartPolicy == corev1.RestartPolicyOnFailure && o.State.Terminated.ExitCode != 0 {
				continue // a failed container restarts under OnFailure
			}
			allErrs = append(allErrs, field.Forbidden(fldPath.Index(i).Child("state"), "may not be transitioned to non-terminated state"))
		}
	}
	return allErrs
}
