package validation

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	pathvalidation "k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Path fragments that would let a path match escape its prefix after
// normalisation by the proxy.
var (
	invalidPathSequences = []string{"//", "/./", "/../", "%2f", "%2F"}
	invalidPathSuffixes  = []string{"/..", "/."}
	supportedPathTypes   = []networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific, networkingv1.PathTypePrefix}
)

const maxLenIngressClassController = 250

// ValidateIngress checks an Ingress (create and update alike).
func ValidateIngress(ing *networkingv1.Ingress) field.ErrorList {
	allErrs := ValidateObjectMeta(&ing.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateIngressSpec(&ing.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateIngressUpdate checks an Ingress replacing old.
func ValidateIngressUpdate(ing, old *networkingv1.Ingress) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateIngressSpec(&ing.Spec, field.NewPath("spec"))...)
	return allErrs
}

func validateIngressSpec(spec *networkingv1.IngressSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		allErrs = append(allErrs, field.Invalid(fldPath, spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		allErrs = append(allErrs, validateIngressBackend(spec.DefaultBackend, fldPath.Child("defaultBackend"))...)
	}
	for i, rule := range spec.Rules {
		rp := fldPath.Child("rules").Index(i)
		if len(rule.Host) > 0 {
			hp := rp.Child("host")
			if parseIP(rule.Host) != nil {
				allErrs = append(allErrs, field.Invalid(hp, rule.Host, "must be a DNS name, not an IP address"))
			}
			// "*.example.com" matches one label; other wildcards are invalid.
			if strings.Contains(rule.Host, "*") {
				for _, msg := range validation.IsWildcardDNS1123Subdomain(rule.Host) {
					allErrs = append(allErrs, field.Invalid(hp, rule.Host, msg))
				}
			} else {
				allErrs = append(allErrs, validateDNS1123Subdomain(rule.Host, hp)...)
			}
		}
		if rule.HTTP != nil {
			httpPath := rp.Child("http")
			if len(rule.HTTP.Paths) == 0 {
				allErrs = append(allErrs, field.Required(httpPath.Child("paths"), ""))
			}
			for j := range rule.HTTP.Paths {
				allErrs = append(allErrs, validateHTTPIngressPath(&rule.HTTP.Paths[j], httpPath.Child("paths").Index(j))...)
			}
		}
	}
	for i, tls := range spec.TLS {
		tp := fldPath.Child("tls").Index(i)
		for j, host := range tls.Hosts {
			hp := tp.Child("hosts").Index(j)
			if strings.Contains(host, "*") {
				for _, msg := range validation.IsWildcardDNS1123Subdomain(host) {
					allErrs = append(allErrs, field.Invalid(hp, host, msg))
				}
			} else {
				allErrs = append(allErrs, validateDNS1123Subdomain(host, hp)...)
			}
		}
		if len(tls.SecretName) > 0 {
			allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, tls.SecretName, false, tp.Child("secretName"))...)
		}
	}
	if spec.IngressClassName != nil && len(*spec.IngressClassName) > 0 {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, *spec.IngressClassName, false, fldPath.Child("ingressClassName"))...)
	}
	return allErrs
}

// validateHTTPIngressPath: pathType is required in networking.k8s.io/v1;
// Exact and Prefix paths must be absolute and normalised.
func validateHTTPIngressPath(p *networkingv1.HTTPIngressPath, fldPath *field.Path) field.ErrorList {
	if p.PathType == nil {
		return field.ErrorList{field.Required(fldPath.Child("pathType"), "pathType must be specified")}
	}
	var allErrs field.ErrorList
	pp := fldPath.Child("path")
	switch *p.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, p.Path, "must be an absolute path"))
		}
		if len(p.Path) > 0 {
			for _, seq := range invalidPathSequences {
				if strings.Contains(p.Path, seq) {
					allErrs = append(allErrs, field.Invalid(pp, p.Path, fmt.Sprintf("must not contain '%s'", seq)))
				}
			}
			for _, suf := range invalidPathSuffixes {
				if strings.HasSuffix(p.Path, suf) {
					allErrs = append(allErrs, field.Invalid(pp, p.Path, fmt.Sprintf("cannot end with '%s'", suf)))
				}
			}
		}
	case networkingv1.PathTypeImplementationSpecific:
		if len(p.Path) > 0 && !strings.HasPrefix(p.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, p.Path, "must be an absolute path"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("pathType"), *p.PathType, supportedPathTypes))
	}
	allErrs = append(allErrs, validateIngressBackend(&p.Backend, fldPath.Child("backend"))...)
	return allErrs
}

// validateIngressBackend: exactly one of service or resource; a service
// backend names its port by name or by number, not both.
func validateIngressBackend(b *networkingv1.IngressBackend, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(fldPath, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		rp := fldPath.Child("resource")
		if b.Resource.APIGroup != nil {
			allErrs = append(allErrs, validateDNS1123Subdomain(*b.Resource.APIGroup, rp.Child("apiGroup"))...)
		}
		allErrs = append(allErrs, validateTypedRefPart(b.Resource.Kind, "kind", rp)...)
		allErrs = append(allErrs, validateTypedRefPart(b.Resource.Name, "name", rp)...)
	case b.Service != nil:
		sp := fldPath.Child("service")
		if len(b.Service.Name) == 0 {
			allErrs = append(allErrs, field.Required(sp.Child("name"), ""))
		} else {
			allErrs = append(allErrs, validateNameWith(NameIsDNS1035Label, b.Service.Name, false, sp.Child("name"))...)
		}
		hasName := len(b.Service.Port.Name) > 0
		hasNumber := b.Service.Port.Number != 0
		switch {
		case hasName && hasNumber:
			allErrs = append(allErrs, field.Invalid(fldPath, "", "cannot set both port name & port number"))
		case hasName:
			for _, msg := range validation.IsValidPortName(b.Service.Port.Name) {
				allErrs = append(allErrs, field.Invalid(sp.Child("port", "name"), b.Service.Port.Name, msg))
			}
		case hasNumber:
			allErrs = append(allErrs, validatePortNum(b.Service.Port.Number, sp.Child("port", "number"))...)
		default:
			allErrs = append(allErrs, field.Required(fldPath, "port name or number is required"))
		}
	default:
		allErrs = append(allErrs, field.Invalid(fldPath, "", "resource or service backend is required"))
	}
	return allErrs
}

func validateTypedRefPart(value, name string, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath.Child(name), name+" is required")}
	}
	var allErrs field.ErrorList
	for _, msg := range pathvalidation.IsValidPathSegmentName(value) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child(name), value, msg))
	}
	return allErrs
}

// ValidateIngressClass checks a new IngressClass.
func ValidateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	allErrs := ValidateObjectMeta(&ic.ObjectMeta, false, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateIngressClassSpec(&ic.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateIngressClassUpdate: the controller name is fixed, since ingress
// controllers pick their classes by it.
func ValidateIngressClassUpdate(ic, old *networkingv1.IngressClass) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateImmutable(ic.Spec.Controller, old.Spec.Controller, field.NewPath("spec", "controller"))...)
	allErrs = append(allErrs, validateIngressClassSpec(&ic.Spec, field.NewPath("spec"))...)
	return allErrs
}

func validateIngressClassSpec(spec *networkingv1.IngressClassSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	cp := fldPath.Child("controller")
	if len(spec.Controller) > maxLenIngressClassController {
		allErrs = append(allErrs, field.TooLong(cp, "", maxLenIngressClassController))
	}
	allErrs = append(allErrs, validation.IsDomainPrefixedPath(cp, spec.Controller)...)
	if p := spec.Parameters; p != nil {
		pp := fldPath.Child("parameters")
		if p.APIGroup != nil {
			allErrs = append(allErrs, validateDNS1123Subdomain(*p.APIGroup, pp.Child("apiGroup"))...)
		}
		allErrs = append(allErrs, validateTypedRefPart(p.Kind, "kind", pp)...)
		allErrs = append(allErrs, validateTypedRefPart(p.Name, "name", pp)...)
		switch {
		case p.Scope == nil:
			allErrs = append(allErrs, field.Required(pp.Child("scope"), ""))
		case *p.Scope == networkingv1.IngressClassParametersReferenceScopeNamespace:
			if p.Namespace == nil {
				allErrs = append(allErrs, field.Required(pp.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
			} else {
				allErrs = append(allErrs, validateNameWith(NameIsDNSLabel, *p.Namespace, false, pp.Child("namespace"))...)
			}
		case *p.Scope == networkingv1.IngressClassParametersReferenceScopeCluster:
			if p.Namespace != nil {
				allErrs = append(allErrs, field.Forbidden(pp.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(pp.Child("scope"), *p.Scope, []string{
				networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace}))
		}
	}
	return allErrs
}
