package validation

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateEndpoints checks a v1 Endpoints object (create and update alike).
func ValidateEndpoints(ep *corev1.Endpoints) field.ErrorList {
	allErrs := ValidateObjectMeta(&ep.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateEndpointSubsets(ep.Subsets, field.NewPath("subsets"))...)
	return allErrs
}

func validateEndpointSubsets(subsets []corev1.EndpointSubset, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range subsets {
		ss := &subsets[i]
		idxPath := fldPath.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			allErrs = append(allErrs, field.Required(idxPath, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			allErrs = append(allErrs, validateEndpointAddress(&ss.Addresses[j], idxPath.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			allErrs = append(allErrs, validateEndpointAddress(&ss.NotReadyAddresses[j], idxPath.Child("notReadyAddresses").Index(j))...)
		}
		for j := range ss.Ports {
			allErrs = append(allErrs, validateEndpointPort(&ss.Ports[j], len(ss.Ports) > 1, idxPath.Child("ports").Index(j))...)
		}
	}
	return allErrs
}

func validateEndpointAddress(a *corev1.EndpointAddress, fldPath *field.Path) field.ErrorList {
	allErrs := validation.IsValidIP(fldPath.Child("ip"), a.IP)
	if len(a.Hostname) > 0 {
		allErrs = append(allErrs, validateDNS1123Label(a.Hostname, fldPath.Child("hostname"))...)
	}
	if a.NodeName != nil {
		allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, *a.NodeName, false, fldPath.Child("nodeName"))...)
	}
	allErrs = append(allErrs, validateIPAddressNotSpecial(a.IP, fldPath.Child("ip"))...)
	return allErrs
}

func validateEndpointPort(p *corev1.EndpointPort, requireName bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if requireName && len(p.Name) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if len(p.Name) != 0 {
		allErrs = append(allErrs, validateDNS1123Label(p.Name, fldPath.Child("name"))...)
	}
	allErrs = append(allErrs, validatePortNum(p.Port, fldPath.Child("port"))...)
	if len(p.Protocol) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("protocol"), ""))
	} else if !isSupportedProtocol(p.Protocol) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("protocol"), p.Protocol, supportedPortProtocols))
	}
	if p.AppProtocol != nil {
		allErrs = append(allErrs, validateQualifiedName(*p.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}

// EndpointSlice limits from upstream's discovery validation.
const (
	maxEndpointsPerSlice = 1000
	maxAddressesPerEP    = 100
	maxPortsPerSlice     = 20000
	maxTopologyLabels    = 16
)

var supportedAddressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}

// ValidateEndpointSlice checks a new EndpointSlice.
func ValidateEndpointSlice(es *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := ValidateObjectMeta(&es.ObjectMeta, true, NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateEndpointSliceBody(es)...)
	return allErrs
}

func validateEndpointSliceBody(es *discoveryv1.EndpointSlice) field.ErrorList {
	var allErrs field.ErrorList
	atPath := field.NewPath("addressType")
	switch es.AddressType {
	case "":
		allErrs = append(allErrs, field.Required(atPath, ""))
	case discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
	default:
		allErrs = append(allErrs, field.NotSupported(atPath, es.AddressType, supportedAddressTypes))
	}
	allErrs = append(allErrs, validateSliceEndpoints(es.Endpoints, es.AddressType, field.NewPath("endpoints"))...)
	allErrs = append(allErrs, validateSlicePorts(es.Ports, field.NewPath("ports"))...)
	return allErrs
}

// ValidateEndpointSliceUpdate: the address type is fixed because consumers
// key slices by it.
func ValidateEndpointSliceUpdate(es, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&es.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateEndpointSliceBody(es)...)
	allErrs = append(allErrs, validateImmutable(es.AddressType, old.AddressType, field.NewPath("addressType"))...)
	return allErrs
}

func validateSliceEndpoints(endpoints []discoveryv1.Endpoint, addrType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	if len(endpoints) > maxEndpointsPerSlice {
		return field.ErrorList{field.TooMany(fldPath, len(endpoints), maxEndpointsPerSlice)}
	}
	var allErrs field.ErrorList
	for i, ep := range endpoints {
		idxPath := fldPath.Index(i)
		addrPath := idxPath.Child("addresses")
		if len(ep.Addresses) == 0 {
			allErrs = append(allErrs, field.Required(addrPath, "must contain at least 1 address"))
		} else if len(ep.Addresses) > maxAddressesPerEP {
			allErrs = append(allErrs, field.TooMany(addrPath, len(ep.Addresses), maxAddressesPerEP))
		}
		for j, addr := range ep.Addresses {
			p := addrPath.Index(j)
			switch addrType {
			case discoveryv1.AddressTypeIPv4:
				errs := validation.IsValidIPv4Address(p, addr)
				allErrs = append(allErrs, errs...)
				if len(errs) == 0 {
					allErrs = append(allErrs, validateIPAddressNotSpecial(addr, p)...)
				}
			case discoveryv1.AddressTypeIPv6:
				errs := validation.IsValidIPv6Address(p, addr)
				allErrs = append(allErrs, errs...)
				if len(errs) == 0 {
					allErrs = append(allErrs, validateIPAddressNotSpecial(addr, p)...)
				}
			case discoveryv1.AddressTypeFQDN:
				allErrs = append(allErrs, validation.IsFullyQualifiedDomainName(p, addr)...)
			}
		}
		if ep.NodeName != nil {
			allErrs = append(allErrs, validateNameWith(NameIsDNSSubdomain, *ep.NodeName, false, idxPath.Child("nodeName"))...)
		}
		topoPath := idxPath.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxTopologyLabels {
			allErrs = append(allErrs, field.TooMany(topoPath, len(ep.DeprecatedTopology), maxTopologyLabels))
		}
		allErrs = append(allErrs, metavalidation.ValidateLabels(ep.DeprecatedTopology, topoPath)...)
		if ep.Hostname != nil {
			allErrs = append(allErrs, validateDNS1123Label(*ep.Hostname, idxPath.Child("hostname"))...)
		}
		if ep.Hints != nil {
			for j, z := range ep.Hints.ForZones {
				allErrs = append(allErrs, metavalidation.ValidateLabels(map[string]string{corev1.LabelTopologyZone: z.Name}, idxPath.Child("hints", "forZones").Index(j).Child("name"))...)
			}
		}
	}
	return allErrs
}

func validateSlicePorts(ports []discoveryv1.EndpointPort, fldPath *field.Path) field.ErrorList {
	if len(ports) > maxPortsPerSlice {
		return field.ErrorList{field.TooMany(fldPath, len(ports), maxPortsPerSlice)}
	}
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, p := range ports {
		idxPath := fldPath.Index(i)
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if len(name) > 0 {
			allErrs = append(allErrs, validateDNS1123Label(name, idxPath.Child("name"))...)
		}
		if names.Has(name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), name))
		} else {
			names.Insert(name)
		}
		if p.Protocol == nil {
			allErrs = append(allErrs, field.Required(idxPath.Child("protocol"), ""))
		} else if !isSupportedProtocol(*p.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("protocol"), *p.Protocol, supportedPortProtocols))
		}
		if p.AppProtocol != nil {
			allErrs = append(allErrs, validateQualifiedName(*p.AppProtocol, idxPath.Child("appProtocol"))...)
		}
	}
	return allErrs
}
