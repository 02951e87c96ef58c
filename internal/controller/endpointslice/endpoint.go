package endpointslice

import (
	"net"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// podToEndpoint builds the endpoint of pod in svc for one address type. zone is the
// topology zone of the pod's node ("" when unknown).
func podToEndpoint(pod *v1.Pod, zone string, svc *v1.Service, addressType discovery.AddressType) discovery.Endpoint {
	serving := IsPodReady(pod)
	terminating := pod.DeletionTimestamp != nil
	// A terminating pod is never "ready", unless the Service publishes not-ready addresses.
	ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
	ep := discovery.Endpoint{
		Addresses:  addressesOfType(podIPs(pod), addressType),
		Conditions: discovery.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &v1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		node := pod.Spec.NodeName
		ep.NodeName = &node
	}
	if zone != "" {
		ep.Zone = &zone
	}
	if ShouldSetHostname(pod, svc) {
		hostname := pod.Spec.Hostname
		ep.Hostname = &hostname
	}
	return ep
}

// addressesOfType keeps the IPs of one family, in canonical form.
func addressesOfType(ips []string, addressType discovery.AddressType) []string {
	out := []string{}
	for _, s := range ips {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			continue
		}
		if isV4 := ip.To4() != nil; isV4 == (addressType == discovery.AddressTypeIPv4) {
			out = append(out, ip.String())
		}
	}
	return out
}

// endpointPorts resolves the Service's ports for one pod. A port whose named targetPort the
// pod does not declare is left out for that pod (so its endpoint lands in a slice with a
// different port set), as upstream.
func endpointPorts(svc *v1.Service, pod *v1.Pod) []discovery.EndpointPort {
	ports := []discovery.EndpointPort{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		num, err := FindPort(pod, sp)
		if err != nil {
			continue
		}
		name, proto, port := sp.Name, sp.Protocol, int32(num)
		ports = append(ports, discovery.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: sp.AppProtocol})
	}
	return ports
}

// portsKey names a set of endpoint ports independently of their order: slices are grouped
// by it, since all endpoints of a slice share its ports.
func portsKey(ports []discovery.EndpointPort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		var b strings.Builder
		b.WriteString(deref(p.Name))
		b.WriteByte('/')
		if p.Protocol != nil {
			b.WriteString(string(*p.Protocol))
		}
		b.WriteByte('/')
		if p.Port != nil {
			b.WriteString(strconv.Itoa(int(*p.Port)))
		}
		b.WriteByte('/')
		b.WriteString(deref(p.AppProtocol))
		parts = append(parts, b.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// endpointKey is an endpoint's identity within a Service: its addresses, hostname and
// target. Two endpoints with the same key are the same endpoint, possibly in another state.
func endpointKey(ep *discovery.Endpoint) string {
	addrs := slices.Clone(ep.Addresses)
	slices.Sort(addrs)
	var b strings.Builder
	b.WriteString(strings.Join(addrs, ","))
	b.WriteByte('|')
	b.WriteString(deref(ep.Hostname))
	b.WriteByte('|')
	if ep.TargetRef != nil {
		b.WriteString(ep.TargetRef.Namespace)
		b.WriteByte('/')
		b.WriteString(ep.TargetRef.Name)
	}
	return b.String()
}

// endpointsEqualBeyondKey compares what endpointKey leaves out: conditions, node, zone,
// hints and target (ignoring the target's resourceVersion, which changes with every pod
// write and would make every sync rewrite every slice).
func endpointsEqualBeyondKey(a, b *discovery.Endpoint) bool {
	if deref(a.NodeName) != deref(b.NodeName) || (a.NodeName == nil) != (b.NodeName == nil) ||
		deref(a.Zone) != deref(b.Zone) || (a.Zone == nil) != (b.Zone == nil) {
		return false
	}
	if boolPtrChanged(a.Conditions.Ready, b.Conditions.Ready) ||
		boolPtrChanged(a.Conditions.Serving, b.Conditions.Serving) ||
		boolPtrChanged(a.Conditions.Terminating, b.Conditions.Terminating) {
		return false
	}
	if (a.Hints == nil) != (b.Hints == nil) {
		return false
	}
	if (a.TargetRef == nil) != (b.TargetRef == nil) {
		return false
	}
	if a.TargetRef != nil {
		ra, rb := *a.TargetRef, *b.TargetRef
		ra.ResourceVersion, rb.ResourceVersion = "", ""
		if ra != rb {
			return false
		}
	}
	return true
}

func boolPtrChanged(a, b *bool) bool {
	if (a == nil) != (b == nil) {
		return true
	}
	return a != nil && *a != *b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
