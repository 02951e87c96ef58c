package validation

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// ValidateNode checks a Node object (create and update alike).
func ValidateNode(node *corev1.Node) field.ErrorList {
	allErrs := ValidateObjectMeta(&node.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateNodeSpecAndStatus(node)...)
	return allErrs
}

func validateNodeSpecAndStatus(node *corev1.Node) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateTaints(node.Spec.Taints, field.NewPath("spec", "taints"))...)
	cidrs := node.Spec.PodCIDRs
	if len(cidrs) == 0 && node.Spec.PodCIDR != "" {
		cidrs = []string{node.Spec.PodCIDR}
	}
	cidrPath := field.NewPath("spec", "podCIDRs")
	for i, c := range cidrs {
		allErrs = append(allErrs, validation.IsValidCIDR(cidrPath.Index(i), c)...)
	}
	if len(cidrs) > 1 {
		dual, err := netutils.IsDualStackCIDRStrings(cidrs)
		if err != nil || !dual || len(cidrs) > 2 {
			allErrs = append(allErrs, field.Invalid(cidrPath, cidrs, "may specify no more than one CIDR for each IP family"))
		}
	}
	addrPath := field.NewPath("status", "addresses")
	for i, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
			allErrs = append(allErrs, validation.IsValidIP(addrPath.Index(i).Child("address"), a.Address)...)
		}
	}
	return allErrs
}

// ValidateNodeUpdate checks a Node replacing old (used for the main resource
// and for nodes/status). Pod CIDRs and the provider ID are assigned once:
// routes and cloud state are built on them.
func ValidateNodeUpdate(node, old *corev1.Node) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&node.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateNodeSpecAndStatus(node)...)
	if len(old.Spec.PodCIDRs) > 0 {
		changed := len(old.Spec.PodCIDRs) != len(node.Spec.PodCIDRs)
		for i := 0; !changed && i < len(old.Spec.PodCIDRs); i++ {
			changed = old.Spec.PodCIDRs[i] != node.Spec.PodCIDRs[i]
		}
		if changed {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "podCIDRs"), "may not change once set"))
		}
	}
	if old.Spec.ProviderID != "" && node.Spec.ProviderID != old.Spec.ProviderID {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "providerID"), "may not change once set"))
	}
	return allErrs
}
