package dns

import "net/netip"

// target is one thing a service name resolves to: an address (with a port, -1 when none)
// named either by the Service itself (host == "") or by an endpoint's hostname label, or
// the target of an ExternalName Service.
type target struct {
	ip       netip.Addr
	port     int32
	host     string
	svc      *service
	cname    string
	protocol string
}

// findService resolves a kindService request from the index, as CoreDNS's findServices:
// found is false when the name does not exist (NXDOMAIN). Callers hold the read lock.
func (x *index) findService(r request) (targets []target, found bool) {
	svc := x.services[serviceKey(r.service, r.namespace)]
	if svc == nil {
		return nil, false
	}
	if svc.externalName != "" {
		// An ExternalName Service has no endpoints nor ports to name.
		if r.endpoint != "" || r.port != "" || r.protocol != "" {
			return nil, false
		}
		return []target{{cname: svc.externalName, svc: svc, port: -1}}, true
	}
	if svc.headless || r.endpoint != "" {
		for _, s := range x.slicesByService[serviceKey(svc.name, svc.namespace)] {
			for _, a := range s.addrs {
				if r.endpoint != "" && r.endpoint != a.hostname {
					continue
				}
				for _, p := range s.ports {
					if !portMatches(r, p) {
						continue
					}
					targets = append(targets, target{ip: a.ip, port: p.port, host: a.hostname, svc: svc, protocol: p.protocol})
				}
			}
		}
		return targets, len(targets) > 0
	}
	ports := svc.ports
	if len(ports) == 0 {
		// The API requires ports of a ClusterIP Service; answer its address regardless.
		ports = []port{{port: -1}}
	}
	for _, p := range ports {
		if !portMatches(r, p) {
			continue
		}
		for _, ip := range svc.clusterIPs {
			targets = append(targets, target{ip: ip, port: p.port, svc: svc, protocol: p.protocol})
		}
	}
	return targets, len(targets) > 0
}

// portMatches applies the _<port>._<proto> part of a name; an absent part matches all.
func portMatches(r request, p port) bool {
	return (r.port == "" || r.port == p.name) && (r.protocol == "" || r.protocol == p.protocol)
}
