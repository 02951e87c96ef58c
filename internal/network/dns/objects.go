package dns

import (
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// The index keeps slim copies of the objects, with only what DNS answers need. Please do
// not add fields without a record that needs them: a cluster has many pods.

// service is a Service as DNS sees it.
type service struct {
	name, namespace string
	clusterIPs      []netip.Addr // none when headless or ExternalName
	headless        bool
	externalName    string // fully qualified, for ExternalName Services
	ports           []port
}

// port is a Service or endpoint port; names and protocols are lower case. Port -1 stands
// for "no ports" (a headless Service may have none), so that its addresses still answer
// A queries but make no SRV records.
type port struct {
	name, protocol string
	port           int32
}

// slice is the ready part of an EndpointSlice.
type slice struct {
	service, namespace string
	ports              []port
	addrs              []address
}

// address is one ready endpoint address with the label that names it under its Service.
type address struct {
	ip       netip.Addr
	hostname string
}

// podRecord is what reverse lookups and "pods verified" need of a pod.
type podRecord struct {
	namespace, name string
}

func toService(s *v1.Service) *service {
	out := &service{name: s.Name, namespace: s.Namespace, headless: s.Spec.ClusterIP == v1.ClusterIPNone}
	if s.Spec.Type == v1.ServiceTypeExternalName {
		out.externalName = strings.ToLower(mdns.Fqdn(s.Spec.ExternalName))
		return out
	}
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 && s.Spec.ClusterIP != "" {
		ips = []string{s.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			out.clusterIPs = append(out.clusterIPs, a.Unmap())
		}
	}
	for _, p := range s.Spec.Ports {
		out.ports = append(out.ports, port{name: strings.ToLower(p.Name), protocol: strings.ToLower(string(p.Protocol)), port: p.Port})
	}
	return out
}

// toSlice keeps the ready endpoints of a slice (ready unset counts as ready, as the API
// says); nil for slices that name no Service.
func toSlice(s *discovery.EndpointSlice) *slice {
	svc := s.Labels[discovery.LabelServiceName]
	if svc == "" {
		return nil
	}
	out := &slice{service: svc, namespace: s.Namespace}
	for _, p := range s.Ports {
		if p.Port == nil {
			continue
		}
		sp := port{port: *p.Port, protocol: "tcp"}
		if p.Name != nil {
			sp.name = strings.ToLower(*p.Name)
		}
		if p.Protocol != nil {
			sp.protocol = strings.ToLower(string(*p.Protocol))
		}
		out.ports = append(out.ports, sp)
	}
	if len(out.ports) == 0 {
		out.ports = []port{{port: -1}}
	}
	for _, e := range s.Endpoints {
		if e.Conditions.Ready != nil && !*e.Conditions.Ready {
			continue
		}
		for _, a := range e.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				continue // an FQDN slice
			}
			ip = ip.Unmap()
			host := dashed(ip)
			if e.Hostname != nil && *e.Hostname != "" {
				host = strings.ToLower(*e.Hostname)
			}
			out.addrs = append(out.addrs, address{ip: ip, hostname: host})
		}
	}
	return out
}

// dashed writes an IP as a DNS label: 10.42.0.5 → 10-42-0-5, 2001:db8::1 → 2001-db8--1,
// and, since a label may not end in a hyphen, 2001:db8:: → 2001-db8--0 (as CoreDNS).
func dashed(ip netip.Addr) string {
	s := ip.String()
	if ip.Is4() {
		return strings.ReplaceAll(s, ".", "-")
	}
	s = strings.ReplaceAll(s, ":", "-")
	if strings.HasSuffix(s, "-") {
		s += "0"
	}
	return s
}

// undashed reads a label written by dashed; ok is false when it is no IP.
func undashed(label string) (netip.Addr, bool) {
	var s string
	if strings.Count(label, "-") == 3 && !strings.Contains(label, "--") {
		s = strings.ReplaceAll(label, "-", ".")
	} else {
		s = strings.ReplaceAll(label, "-", ":")
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// podIP returns the IP a pod answers for; ok is false for pods without one or finished.
func podIP(p *v1.Pod) (netip.Addr, bool) {
	if p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed || p.Status.PodIP == "" {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(p.Status.PodIP)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}
