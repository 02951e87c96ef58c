package validation

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Default NodePort range, as kube-apiserver's --service-node-port-range.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

// maxClientIPAffinitySeconds is one day, upstream's cap for ClientIP
// session affinity timeouts.
const maxClientIPAffinitySeconds = 86400

var supportedServiceTypes = []corev1.ServiceType{
	corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort,
}

// ValidateService checks a new Service. Service names are DNS-1035 labels:
// they appear in DNS and in environment variable names of pods, so they
// may not start with a digit.
func ValidateService(svc *corev1.Service) field.ErrorList {
	metaPath := field.NewPath("metadata")
	allErrs := ValidateObjectMeta(&svc.ObjectMeta, true, NameIsDNS1035Label, metaPath)
	specPath := field.NewPath("spec")
	spec := &svc.Spec

	headless := isHeadless(spec)
	if len(spec.Ports) == 0 && !headless && spec.Type != corev1.ServiceTypeExternalName {
		allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
	}
	switch spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		if spec.ClusterIP == corev1.ClusterIPNone {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIP"), spec.ClusterIP, "may not be set to 'None' for LoadBalancer services"))
		}
	case corev1.ServiceTypeNodePort:
		if spec.ClusterIP == corev1.ClusterIPNone {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIP"), spec.ClusterIP, "may not be set to 'None' for NodePort services"))
		}
	case corev1.ServiceTypeExternalName:
		// An ExternalName service is only a DNS CNAME; it has no VIP.
		if spec.ClusterIP != "" {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIP"), "may not be set for ExternalName services"))
		}
		if len(spec.ClusterIPs) != 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if len(spec.IPFamilies) != 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
		}
		if spec.IPFamilyPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
		}
		name := strings.TrimSuffix(spec.ExternalName, ".")
		if len(name) == 0 {
			allErrs = append(allErrs, field.Required(specPath.Child("externalName"), ""))
		} else {
			allErrs = append(allErrs, validateDNS1123Subdomain(name, specPath.Child("externalName"))...)
		}
	}

	portsPath := specPath.Child("ports")
	names := sets.New[string]()
	for i := range spec.Ports {
		allErrs = append(allErrs, validateServicePort(&spec.Ports[i], len(spec.Ports) > 1, names, portsPath.Index(i))...)
	}
	if spec.Selector != nil {
		allErrs = append(allErrs, metavalidation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}

	if len(spec.SessionAffinity) == 0 {
		allErrs = append(allErrs, field.Required(specPath.Child("sessionAffinity"), ""))
	} else if spec.SessionAffinity != corev1.ServiceAffinityClientIP && spec.SessionAffinity != corev1.ServiceAffinityNone {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("sessionAffinity"), spec.SessionAffinity,
			[]corev1.ServiceAffinity{corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone}))
	}
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityClientIP:
		allErrs = append(allErrs, validateClientIPAffinityConfig(spec.SessionAffinityConfig, specPath.Child("sessionAffinityConfig"))...)
	case corev1.ServiceAffinityNone:
		if spec.SessionAffinityConfig != nil {
			allErrs = append(allErrs, field.Invalid(specPath.Child("sessionAffinityConfig"), spec.SessionAffinityConfig,
				fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	}

	for i, ip := range spec.ExternalIPs {
		p := specPath.Child("externalIPs").Index(i)
		if errs := validation.IsValidIP(p, ip); len(errs) != 0 {
			allErrs = append(allErrs, errs...)
		} else {
			allErrs = append(allErrs, validateIPAddressNotSpecial(ip, p)...)
		}
	}

	if len(spec.Type) == 0 {
		allErrs = append(allErrs, field.Required(specPath.Child("type"), ""))
	} else if !isSupportedServiceType(spec.Type) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("type"), spec.Type, supportedServiceTypes))
	}

	// Node ports: only for NodePort/LoadBalancer, unique per protocol, in range.
	nodePorts := map[string]bool{}
	for i, port := range spec.Ports {
		portPath := portsPath.Index(i)
		if port.NodePort == 0 {
			continue
		}
		if spec.Type == corev1.ServiceTypeClusterIP {
			allErrs = append(allErrs, field.Forbidden(portPath.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			continue
		}
		key := fmt.Sprintf("%s/%d", port.Protocol, port.NodePort)
		if nodePorts[key] {
			allErrs = append(allErrs, field.Duplicate(portPath.Child("nodePort"), port.NodePort))
		}
		nodePorts[key] = true
	}
	// Two ports with the same protocol and number cannot both be served.
	seen := map[string]bool{}
	for i, port := range spec.Ports {
		key := fmt.Sprintf("%s/%d", port.Protocol, port.Port)
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i), corev1.ServicePort{Protocol: port.Protocol, Port: port.Port}))
		}
		seen[key] = true
	}

	allErrs = append(allErrs, validateServiceTrafficPolicies(spec, specPath)...)
	allErrs = append(allErrs, validateClusterIPs(spec, specPath)...)
	return allErrs
}

func validateClientIPAffinityConfig(cfg *corev1.SessionAffinityConfig, fldPath *field.Path) field.ErrorList {
	detail := fmt.Sprintf("when session affinity type is %s", corev1.ServiceAffinityClientIP)
	switch {
	case cfg == nil:
		return field.ErrorList{field.Required(fldPath, detail)}
	case cfg.ClientIP == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP"), detail)}
	case cfg.ClientIP.TimeoutSeconds == nil:
		return field.ErrorList{field.Required(fldPath.Child("clientIP", "timeoutSeconds"), detail)}
	}
	if t := *cfg.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPAffinitySeconds {
		return field.ErrorList{field.Invalid(fldPath.Child("clientIP", "timeoutSeconds"), t,
			fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPAffinitySeconds))}
	}
	return nil
}

func isSupportedServiceType(t corev1.ServiceType) bool {
	for _, s := range supportedServiceTypes {
		if t == s {
			return true
		}
	}
	return false
}

func isHeadless(spec *corev1.ServiceSpec) bool {
	return spec.ClusterIP == corev1.ClusterIPNone
}

func validateServicePort(sp *corev1.ServicePort, requireName bool, names sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	// With several ports, names tell endpoints and SRV records apart.
	if requireName && len(sp.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if len(sp.Name) != 0 {
		allErrs = append(allErrs, validateDNS1123Label(sp.Name, fldPath.Child("name"))...)
		if names.Has(sp.Name) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("name"), sp.Name))
		} else {
			names.Insert(sp.Name)
		}
	}
	allErrs = append(allErrs, validatePortNum(sp.Port, fldPath.Child("port"))...)
	if len(sp.Protocol) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("protocol"), ""))
	} else if !isSupportedProtocol(sp.Protocol) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("protocol"), sp.Protocol, supportedPortProtocols))
	}
	allErrs = append(allErrs, validatePortNumOrName(sp.TargetPort, fldPath.Child("targetPort"))...)
	if sp.AppProtocol != nil {
		allErrs = append(allErrs, validateQualifiedName(*sp.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}

// externallyAccessible services are reachable from outside the cluster and
// therefore have an external traffic policy.
func externallyAccessible(spec *corev1.ServiceSpec) bool {
	return spec.Type == corev1.ServiceTypeLoadBalancer || spec.Type == corev1.ServiceTypeNodePort ||
		(spec.Type == corev1.ServiceTypeClusterIP && len(spec.ExternalIPs) > 0)
}

// validateServiceTrafficPolicies checks values when set. Whether they are
// set at all depends on defaulting and type changes handled by the
// registry, so an absent policy is not an error here.
func validateServiceTrafficPolicies(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	etp := spec.ExternalTrafficPolicy
	if etp != "" {
		if !externallyAccessible(spec) {
			allErrs = append(allErrs, field.Invalid(specPath.Child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
		} else if etp != corev1.ServiceExternalTrafficPolicyCluster && etp != corev1.ServiceExternalTrafficPolicyLocal {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("externalTrafficPolicy"), etp,
				[]corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}))
		}
	}
	if itp := spec.InternalTrafficPolicy; itp != nil && spec.Type != corev1.ServiceTypeExternalName {
		if *itp != corev1.ServiceInternalTrafficPolicyCluster && *itp != corev1.ServiceInternalTrafficPolicyLocal {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("internalTrafficPolicy"), *itp,
				[]corev1.ServiceInternalTrafficPolicy{corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal}))
		}
	}
	if spec.HealthCheckNodePort != 0 {
		if spec.Type != corev1.ServiceTypeLoadBalancer || etp != corev1.ServiceExternalTrafficPolicyLocal {
			allErrs = append(allErrs, field.Invalid(specPath.Child("healthCheckNodePort"), spec.HealthCheckNodePort,
				"may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		} else {
			allErrs = append(allErrs, validatePortNum(spec.HealthCheckNodePort, specPath.Child("healthCheckNodePort"))...)
		}
	}
	return allErrs
}

// clusterIPs returns spec.clusterIPs, or [clusterIP] when the registry has
// not synced the two fields yet (upstream syncs them before validating).
func clusterIPs(spec *corev1.ServiceSpec) []string {
	if len(spec.ClusterIPs) == 0 && spec.ClusterIP != "" {
		return []string{spec.ClusterIP}
	}
	return spec.ClusterIPs
}

// validateClusterIPs: "None" (headless) or valid IPs, at most one per
// family, clusterIP equal to clusterIPs[0].
func validateClusterIPs(spec *corev1.ServiceSpec, specPath *field.Path) field.ErrorList {
	if spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	var allErrs field.ErrorList
	ipsPath := specPath.Child("clusterIPs")
	ips := clusterIPs(spec)
	if spec.ClusterIP != "" && len(ips) > 0 && ips[0] != spec.ClusterIP {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "first value must match `clusterIP`"))
	}
	if spec.ClusterIP == "" && len(ips) != 0 {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "must be empty when `clusterIP` is not specified"))
	}
	seenFamily := map[corev1.IPFamily]bool{}
	for i, f := range spec.IPFamilies {
		if f != corev1.IPv4Protocol && f != corev1.IPv6Protocol {
			allErrs = append(allErrs, field.NotSupported(specPath.Child("ipFamilies").Index(i), f, []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}))
		}
		if seenFamily[f] {
			allErrs = append(allErrs, field.Duplicate(specPath.Child("ipFamilies").Index(i), f))
		}
		seenFamily[f] = true
	}
	if p := spec.IPFamilyPolicy; p != nil {
		switch *p {
		case corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack:
		default:
			allErrs = append(allErrs, field.NotSupported(specPath.Child("ipFamilyPolicy"), *p,
				[]corev1.IPFamilyPolicy{corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack, corev1.IPFamilyPolicySingleStack}))
		}
	}
	invalid := false
	for i, ip := range ips {
		if i == 0 && ip == corev1.ClusterIPNone {
			if len(ips) > 1 {
				invalid = true
				allErrs = append(allErrs, field.Invalid(ipsPath, ips, "'None' must be the first and only value"))
			}
			continue
		}
		errs := validation.IsValidIP(ipsPath.Index(i), ip)
		invalid = invalid || len(errs) != 0
		allErrs = append(allErrs, errs...)
	}
	if len(ips) > 2 {
		invalid = true
		allErrs = append(allErrs, field.Invalid(ipsPath, ips, "may only hold up to 2 values"))
	}
	if !invalid && len(ips) == 2 {
		if dual, err := netutils.IsDualStackIPStrings(ips); err != nil || !dual {
			allErrs = append(allErrs, field.Invalid(ipsPath, ips, "may specify no more than one IP for each IP family, i.e 192.0.2.1 and 2001:db8::1"))
		}
	}
	return allErrs
}

// ValidateServiceUpdate checks a Service replacing old. Allocated cluster
// IPs never change (proxies and DNS caches hold them), except when the
// service turns into or out of ExternalName, or adds/removes a secondary
// family.
func ValidateServiceUpdate(svc, old *corev1.Service) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&svc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateClusterIPsUpdate(svc, old)...)
	allErrs = append(allErrs, validateServiceSpecAfterMeta(svc)...)
	return allErrs
}

// validateServiceSpecAfterMeta runs create validation without repeating
// the name checks (a name cannot change on update).
func validateServiceSpecAfterMeta(svc *corev1.Service) field.ErrorList {
	var out field.ErrorList
	for _, e := range ValidateService(svc) {
		if strings.HasPrefix(e.Field, "metadata.") {
			continue
		}
		out = append(out, e)
	}
	return out
}

func validateClusterIPsUpdate(svc, old *corev1.Service) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if isHeadless(&svc.Spec) && isHeadless(&old.Spec) {
		return nil
	}
	var allErrs field.ErrorList
	p0 := field.NewPath("spec", "clusterIPs").Index(0)
	newIPs, oldIPs := clusterIPs(&svc.Spec), clusterIPs(&old.Spec)
	switch {
	case len(oldIPs) == len(newIPs):
		for i, ip := range oldIPs {
			if ip != newIPs[i] {
				allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), newIPs, "may not change once set"))
			}
		}
	case len(oldIPs) > len(newIPs):
		if len(newIPs) == 0 {
			allErrs = append(allErrs, field.Invalid(p0, newIPs, "primary clusterIP can not be unset"))
		}
		if len(oldIPs) > 0 && len(newIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p0, newIPs, "may not change once set"))
		}
		if len(newIPs) == 1 && (svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack) {
			allErrs = append(allErrs, field.Invalid(p0, newIPs, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"))
		}
	default:
		if len(oldIPs) > 0 && newIPs[0] != oldIPs[0] {
			allErrs = append(allErrs, field.Invalid(p0, newIPs, "may not change once set"))
		}
	}
	return allErrs
}

// ValidateNodePortRange reports node ports outside [min, max] with the
// allocator's upstream wording. The allocator normally reports this; it is
// exported so the registry can call it with its configured range.
func ValidateNodePortRange(svc *corev1.Service, min, max int32) field.ErrorList {
	var allErrs field.ErrorList
	for i, p := range svc.Spec.Ports {
		if p.NodePort != 0 && (p.NodePort < min || p.NodePort > max) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort,
				fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", min, max)))
		}
	}
	return allErrs
}
