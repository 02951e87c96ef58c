package ingress

import (
	"net"
	"slices"
	"strconv"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// upstream is the set of endpoints a Service backend resolves to.
type upstream struct {
	// endpoints are "ip:port", sorted; empty when the Service, its port or ready
	// endpoints are missing.
	endpoints []string
	// next is the round-robin position. It is shared with the upstream of the same key in
	// the previous config, so that a rebuild does not send everyone to the first endpoint.
	next *atomic.Uint32
}

// resolveUpstream finds the endpoints of a Service backend: the Service port named or
// numbered by port, then, in each of the Service's EndpointSlices, the endpoint port of the
// same name (EndpointSlices name their ports after the Service's), and the ready endpoints'
// first addresses. When no endpoint is ready, the serving ones that are terminating are
// used instead, as kube-proxy does, so that a rollout's last old pod still answers.
func resolveUpstream(svc *corev1.Service, endpointSlices []*discoveryv1.EndpointSlice, port networkingv1.ServiceBackendPort) []string {
	if svc == nil || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if (port.Name != "" && p.Name == port.Name) || (port.Name == "" && p.Port == port.Number) {
			sp = p
			break
		}
	}
	if sp == nil {
		return nil
	}
	var ready, terminating []string
	for _, slice := range endpointSlices {
		if slice.Labels[discoveryv1.LabelServiceName] != svc.Name || slice.Namespace != svc.Namespace {
			continue
		}
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		target := int32(0)
		for _, p := range slice.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == sp.Name && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) && p.Port != nil {
				target = *p.Port
				break
			}
		}
		if target == 0 {
			continue
		}
		for _, ep := range slice.Endpoints {
			if len(ep.Addresses) == 0 {
				continue
			}
			addr := net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(target)))
			switch {
			case ep.Conditions.Ready == nil || *ep.Conditions.Ready:
				ready = append(ready, addr)
			case ep.Conditions.Serving != nil && *ep.Conditions.Serving && ep.Conditions.Terminating != nil && *ep.Conditions.Terminating:
				terminating = append(terminating, addr)
			}
		}
	}
	out := ready
	if len(out) == 0 {
		out = terminating
	}
	// Slices may overlap while the EndpointSlice controller moves endpoints between them.
	slices.Sort(out)
	return slices.Compact(out)
}
