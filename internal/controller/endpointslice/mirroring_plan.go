package endpointslice

import (
	"cmp"
	"maps"
	"net"
	"slices"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxMirroredEndpointsPerSubset caps what is mirrored from one Endpoints subset, as
// upstream: hand-made Endpoints beyond it are not worth many slices.
const maxMirroredEndpointsPerSubset = 1000

var endpointsGVK = v1.SchemeGroupVersion.WithKind("Endpoints")

// planMirroredSlices decides how the existing mirrored slices of a hand-made Endpoints
// object become one group of slices per (ports, address type) of its subsets: ready
// addresses become ready endpoints, not-ready addresses endpoints that are not ready.
func planMirroredSlices(ep *v1.Endpoints, existing []*discovery.EndpointSlice, max int) slicePlan {
	type groupKey struct {
		ports string
		at    discovery.AddressType
	}
	desired := map[groupKey]*endpointSet{}
	desiredPorts := map[groupKey][]discovery.EndpointPort{}
	for _, subset := range ep.Subsets {
		ports := mirroredPorts(subset.Ports)
		n := 0
		add := func(addr v1.EndpointAddress, ready bool) {
			ip := net.ParseIP(addr.IP)
			if ip == nil || n >= maxMirroredEndpointsPerSubset {
				return
			}
			n++
			at := discovery.AddressTypeIPv6
			if ip.To4() != nil {
				at = discovery.AddressTypeIPv4
			}
			k := groupKey{portsKey(ports), at}
			if desired[k] == nil {
				desired[k] = newEndpointSet()
				desiredPorts[k] = ports
			}
			desired[k].insert(mirroredEndpoint(addr, ip.String(), ready))
		}
		for _, a := range subset.Addresses {
			add(a, true)
		}
		for _, a := range subset.NotReadyAddresses {
			add(a, false)
		}
	}

	var plan slicePlan
	owned := func(s *discovery.EndpointSlice) bool { return metav1.IsControlledBy(s, ep) }
	existingByGroup := map[groupKey][]*discovery.EndpointSlice{}
	for _, s := range sortedByName(existing) {
		if !owned(s) {
			plan.delete = append(plan.delete, s)
			continue
		}
		k := groupKey{portsKey(s.Ports), s.AddressType}
		existingByGroup[k] = append(existingByGroup[k], s)
	}
	keys := make([]groupKey, 0, len(desired))
	for k := range desired {
		keys = append(keys, k)
	}
	sortGroupKeys := func(ks []groupKey) {
		slices.SortFunc(ks, func(a, b groupKey) int {
			return cmp.Or(cmp.Compare(a.ports, b.ports), cmp.Compare(a.at, b.at))
		})
	}
	sortGroupKeys(keys)
	for _, k := range keys {
		g := group{
			existing:    existingByGroup[k],
			desired:     desired[k],
			max:         max,
			newSlice:    func() *discovery.EndpointSlice { return newMirroredSlice(ep, desiredPorts[k], k.at) },
			labels:      func(s *discovery.EndpointSlice) (map[string]string, bool) { return mirroredLabels(s, ep) },
			annotations: func(s *discovery.EndpointSlice) (map[string]string, bool) { return mirroredAnnotations(s, ep) },
		}
		c, u, d := g.reconcile()
		plan.create, plan.update, plan.delete = append(plan.create, c...), append(plan.update, u...), append(plan.delete, d...)
	}
	var gone []groupKey
	for k := range existingByGroup {
		if desired[k] == nil {
			gone = append(gone, k)
		}
	}
	sortGroupKeys(gone)
	for _, k := range gone {
		plan.delete = append(plan.delete, existingByGroup[k]...)
	}
	plan.create, plan.update, plan.delete = recycleDeletions(plan.create, plan.update, plan.delete, owned)
	return plan
}

func mirroredPorts(ports []v1.EndpointPort) []discovery.EndpointPort {
	out := make([]discovery.EndpointPort, 0, len(ports))
	for _, p := range ports {
		name, port, proto := p.Name, p.Port, p.Protocol
		out = append(out, discovery.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: p.AppProtocol})
	}
	return out
}

func mirroredEndpoint(addr v1.EndpointAddress, ip string, ready bool) discovery.Endpoint {
	ep := discovery.Endpoint{Addresses: []string{ip}, Conditions: discovery.EndpointConditions{Ready: &ready}}
	if addr.TargetRef != nil {
		ref := *addr.TargetRef
		ep.TargetRef = &ref
	}
	if addr.NodeName != nil {
		node := *addr.NodeName
		ep.NodeName = &node
	}
	if addr.Hostname != "" {
		hostname := addr.Hostname
		ep.Hostname = &hostname
	}
	return ep
}

func newMirroredSlice(ep *v1.Endpoints, ports []discovery.EndpointPort, at discovery.AddressType) *discovery.EndpointSlice {
	s := &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    ep.Name + "-",
			Namespace:       ep.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ep, endpointsGVK)},
		},
		Ports:       ports,
		AddressType: at,
		Endpoints:   []discovery.Endpoint{},
	}
	s.Labels, _ = mirroredLabels(s, ep)
	s.Annotations, _ = mirroredAnnotations(s, ep)
	return s
}

// mirroredLabels are the Endpoints' labels with the service name and managed-by set.
func mirroredLabels(s *discovery.EndpointSlice, ep *v1.Endpoints) (map[string]string, bool) {
	want := maps.Clone(ep.Labels)
	if want == nil {
		want = map[string]string{}
	}
	want[discovery.LabelServiceName] = ep.Name
	want[discovery.LabelManagedBy] = MirroringControllerName
	return want, !maps.Equal(want, s.Labels)
}

// mirroredAnnotations are the Endpoints' annotations but its trigger time and kubectl's
// last-applied configuration, which describe the Endpoints object, not the slice.
func mirroredAnnotations(s *discovery.EndpointSlice, ep *v1.Endpoints) (map[string]string, bool) {
	want := map[string]string{}
	for k, v := range ep.Annotations {
		if k == v1.EndpointsLastChangeTriggerTime || k == v1.LastAppliedConfigAnnotation {
			continue
		}
		want[k] = v
	}
	have := s.Annotations
	if have == nil {
		have = map[string]string{}
	}
	return want, !maps.Equal(want, have)
}
