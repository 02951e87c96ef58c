package proxy

import (
	"net/netip"
	"sort"
	"strconv"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// endpoint is one address:port a service port can be DNATed to.
type endpoint struct {
	IP   netip.Addr
	Port int32
}

func (e endpoint) String() string { return e.IP.String() + ":" + strconv.Itoa(int(e.Port)) }

// servicePort is one (service, port) the table serves, with the endpoints it uses.
type servicePort struct {
	Namespace, Name string
	Port            v1.ServicePort
	ClusterIPs      []netip.Addr
	Affinity        int32 // ClientIP affinity timeout in seconds; 0: none
	Endpoints       []endpoint
}

// chain is the name of the service port's chain; nft identifiers may hold '/' and '.'.
func (sp servicePort) chain() string {
	return "svc-" + sp.Namespace + "/" + sp.Name + "/" + protoName(sp.Port.Protocol) + "/" + portName(sp.Port)
}

func (sp servicePort) endpointChain(e endpoint) string {
	return "ep-" + sp.Namespace + "/" + sp.Name + "/" + protoName(sp.Port.Protocol) + "/" + portName(sp.Port) +
		"/" + e.IP.String() + "/" + strconv.Itoa(int(e.Port))
}

func (sp servicePort) affinitySet(e endpoint) string {
	return "affinity-" + sp.endpointChain(e)[len("ep-"):]
}

func portName(p v1.ServicePort) string {
	if p.Name != "" {
		return p.Name
	}
	return "p" + strconv.Itoa(int(p.Port))
}

func protoName(p v1.Protocol) string {
	if p == v1.ProtocolUDP {
		return "udp"
	}
	return "tcp"
}

// servicePorts turns services and slices into the sorted list of service ports the table
// serves. Headless and ExternalName services, IPv6-only services and SCTP ports are left
// out (the table is ip, and SCTP is not offered).
func servicePorts(services []*v1.Service, slices []*discovery.EndpointSlice, nodeName string) []servicePort {
	bySvc := map[string][]*discovery.EndpointSlice{}
	for _, s := range slices {
		name := s.Labels[discovery.LabelServiceName]
		if name == "" || s.AddressType != discovery.AddressTypeIPv4 {
			continue
		}
		bySvc[s.Namespace+"/"+name] = append(bySvc[s.Namespace+"/"+name], s)
	}
	var out []servicePort
	for _, svc := range services {
		ips := clusterIPs(svc)
		if len(ips) == 0 {
			continue
		}
		var affinity int32
		if svc.Spec.SessionAffinity == v1.ServiceAffinityClientIP {
			affinity = 10800 // upstream's default timeout
			if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
				affinity = *c.ClientIP.TimeoutSeconds
			}
		}
		local := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == v1.ServiceInternalTrafficPolicyLocal
		for _, p := range svc.Spec.Ports {
			if p.Protocol != v1.ProtocolTCP && p.Protocol != v1.ProtocolUDP && p.Protocol != "" {
				continue
			}
			sp := servicePort{Namespace: svc.Namespace, Name: svc.Name, Port: p, ClusterIPs: ips, Affinity: affinity}
			sp.Endpoints = pickEndpoints(bySvc[svc.Namespace+"/"+svc.Name], p, local, nodeName)
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].chain() < out[j].chain() })
	return out
}

func clusterIPs(svc *v1.Service) []netip.Addr {
	if svc.Spec.Type == v1.ServiceTypeExternalName {
		return nil
	}
	raw := svc.Spec.ClusterIPs
	if len(raw) == 0 && svc.Spec.ClusterIP != "" {
		raw = []string{svc.Spec.ClusterIP}
	}
	var ips []netip.Addr
	for _, s := range raw {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			ips = append(ips, a)
		}
	}
	return ips
}

// pickEndpoints returns the ready endpoints of the service port, or, when none is ready,
// the serving terminating ones (upstream's fallback so that a rolling update does not drop
// traffic). Missing conditions count as true, as upstream reads them.
func pickEndpoints(slices []*discovery.EndpointSlice, p v1.ServicePort, local bool, nodeName string) []endpoint {
	ready, terminating := map[endpoint]bool{}, map[endpoint]bool{}
	for _, s := range slices {
		var port *int32
		for _, sp := range s.Ports {
			proto := v1.ProtocolTCP
			if sp.Protocol != nil {
				proto = *sp.Protocol
			}
			name := ""
			if sp.Name != nil {
				name = *sp.Name
			}
			if name == p.Name && proto == orTCP(p.Protocol) && sp.Port != nil {
				port = sp.Port
				break
			}
		}
		if port == nil {
			continue
		}
		for _, e := range s.Endpoints {
			if local && (e.NodeName == nil || *e.NodeName != nodeName) {
				continue
			}
			isReady := e.Conditions.Ready == nil || *e.Conditions.Ready
			serving := e.Conditions.Serving == nil || *e.Conditions.Serving
			term := e.Conditions.Terminating != nil && *e.Conditions.Terminating
			for _, a := range e.Addresses {
				ip, err := netip.ParseAddr(a)
				if err != nil || !ip.Is4() {
					continue
				}
				ep := endpoint{ip, *port}
				switch {
				case isReady && !term:
					ready[ep] = true
				case serving && term:
					terminating[ep] = true
				}
			}
		}
	}
	use := ready
	if len(use) == 0 {
		use = terminating
	}
	out := make([]endpoint, 0, len(use))
	for e := range use {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].IP.Compare(out[j].IP); c != 0 {
			return c < 0
		}
		return out[i].Port < out[j].Port
	})
	return out
}

func orTCP(p v1.Protocol) v1.Protocol {
	if p == "" {
		return v1.ProtocolTCP
	}
	return p
}
