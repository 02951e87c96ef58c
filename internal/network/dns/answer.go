package dns

import (
	"context"
	"math"
	"net"
	"net/netip"

	mdns "github.com/miekg/dns"
)

// result is what a name in the zone resolves to: records, or an rcode (NXDOMAIN,
// SERVFAIL) when there are none. No records with RcodeSuccess is NODATA.
type result struct {
	answer, extra []mdns.RR
	rcode         int
}

// maxCNAMEDepth bounds ExternalName chains, as CoreDNS.
const maxCNAMEDepth = 8

// resolveZone answers qtype for name, a lower-case name in the zone; owner is the name as
// asked (its case is kept in the answer).
func (s *Server) resolveZone(ctx context.Context, owner, name string, qtype uint16, depth int) result {
	zone := s.opts.Zone
	r := parseRequest(name, zone)
	switch r.kind {
	case kindNone:
		return result{rcode: mdns.RcodeNameError}
	case kindEmpty:
		switch {
		case name == zone && qtype == mdns.TypeSOA:
			return result{answer: []mdns.RR{s.soa(zone)}}
		case name == zone && qtype == mdns.TypeNS:
			ns := "ns.dns." + zone
			res := result{answer: []mdns.RR{&mdns.NS{Hdr: s.hdr(owner, mdns.TypeNS), Ns: ns}}}
			for _, ip := range s.nameservers {
				res.extra = append(res.extra, s.addressRR(ns, ip))
			}
			return res
		}
		return result{}
	case kindDNSVersion:
		if qtype == mdns.TypeTXT {
			return result{answer: []mdns.RR{&mdns.TXT{Hdr: mdns.RR_Header{Name: owner, Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 28800}, Txt: []string{schemaVersion}}}}
		}
		return result{}
	case kindNameserver:
		var res result
		for _, ip := range s.nameservers {
			if rrType(ip) == qtype {
				res.answer = append(res.answer, s.addressRR(owner, ip))
			}
		}
		return res
	case kindNamespace:
		if !s.namespaceExists(r.namespace) {
			return s.notFound()
		}
		return result{}
	case kindPod:
		return s.resolvePod(r, owner, qtype)
	}
	return s.resolveService(ctx, r, owner, qtype, depth)
}

// schemaVersion is the Kubernetes DNS specification version served.
const schemaVersion = "1.1.0"

func (s *Server) resolvePod(r request, owner string, qtype uint16) result {
	ip, ok := undashed(r.service)
	if !ok {
		return result{rcode: mdns.RcodeNameError}
	}
	// Even "insecure" pod names exist only in namespaces that exist, as CoreDNS's.
	if !s.namespaceExists(r.namespace) {
		return s.notFound()
	}
	if s.opts.PodsVerified {
		s.idx.mu.RLock()
		rec, found := s.idx.podsByIP[ip]
		s.idx.mu.RUnlock()
		if !found || rec.namespace != r.namespace {
			return s.notFound()
		}
	}
	if rrType(ip) == qtype {
		return result{answer: []mdns.RR{s.addressRR(owner, ip)}}
	}
	return result{}
}

// namespaceExists reports whether the namespace is in the index. Service names do not ask
// it: a Service implies its namespace, and the two informers may see a new namespace and its
// first Service in either order.
func (s *Server) namespaceExists(name string) bool {
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	return s.idx.namespaces[name]
}

// notFound is NXDOMAIN, or SERVFAIL while the informers have not synced: the name may
// exist, and a negative answer would be cached.
func (s *Server) notFound() result {
	if !s.Ready() {
		return result{rcode: mdns.RcodeServerFailure}
	}
	return result{rcode: mdns.RcodeNameError}
}

func (s *Server) resolveService(ctx context.Context, r request, owner string, qtype uint16, depth int) result {
	s.idx.mu.RLock()
	targets, found := s.idx.findService(r)
	s.idx.mu.RUnlock()
	if !found {
		return s.notFound()
	}
	var res result
	switch qtype {
	case mdns.TypeA, mdns.TypeAAAA:
		seen := map[netip.Addr]bool{}
		for _, t := range targets {
			if t.cname != "" {
				res = s.chase(ctx, owner, t.cname, qtype, depth)
				break
			}
			if rrType(t.ip) == qtype && !seen[t.ip] {
				seen[t.ip] = true
				res.answer = append(res.answer, s.addressRR(owner, t.ip))
			}
		}
	case mdns.TypeSRV:
		res.answer, res.extra = s.srv(owner, targets)
	case mdns.TypeCNAME:
		if t := targets[0]; t.cname != "" {
			res.answer = []mdns.RR{&mdns.CNAME{Hdr: s.hdr(owner, mdns.TypeCNAME), Target: t.cname}}
		}
	default:
		// Other types exist for an ExternalName name through its CNAME; the client chases it.
		if t := targets[0]; t.cname != "" && qtype != mdns.TypePTR {
			res.answer = []mdns.RR{&mdns.CNAME{Hdr: s.hdr(owner, mdns.TypeCNAME), Target: t.cname}}
		}
	}
	return res
}

// chase answers an address query for an ExternalName Service: the CNAME, then the
// target's records, from the index when the target is in the zone, else from upstream.
func (s *Server) chase(ctx context.Context, owner, cname string, qtype uint16, depth int) result {
	res := result{answer: []mdns.RR{&mdns.CNAME{Hdr: s.hdr(owner, mdns.TypeCNAME), Target: cname}}}
	if depth >= maxCNAMEDepth || cname == owner {
		return res
	}
	if mdns.IsSubDomain(s.opts.Zone, cname) {
		next := s.resolveZone(ctx, cname, cname, qtype, depth+1)
		res.answer = append(res.answer, next.answer...)
		return res
	}
	if m, err := s.fwd.lookup(ctx, cname, qtype); err == nil {
		res.answer = append(res.answer, m.Answer...)
	}
	return res
}

// srv builds SRV records (and their targets' addresses, for the additional section) as
// CoreDNS: priority 0, the weight split evenly, the target named by the endpoint hostname
// or by the Service; targets without ports make no record.
func (s *Server) srv(owner string, targets []target) (answer, extra []mdns.RR) {
	var n int
	for _, t := range targets {
		if t.cname == "" {
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	weight := uint16(math.Floor(100 / float64(n)))
	weight = max(weight, 1)
	type srvKey struct {
		target string
		port   int32
	}
	type addrKey struct {
		target string
		ip     netip.Addr
	}
	seenSRV, seenAddr := map[srvKey]bool{}, map[addrKey]bool{}
	for _, t := range targets {
		if t.cname != "" || t.port < 0 {
			continue
		}
		name := t.svc.name + "." + t.svc.namespace + ".svc." + s.opts.Zone
		if t.host != "" {
			name = t.host + "." + name
		}
		if k := (srvKey{name, t.port}); !seenSRV[k] {
			seenSRV[k] = true
			answer = append(answer, &mdns.SRV{Hdr: s.hdr(owner, mdns.TypeSRV), Priority: 0, Weight: weight, Port: uint16(t.port), Target: name})
		}
		if k := (addrKey{name, t.ip}); !seenAddr[k] {
			seenAddr[k] = true
			extra = append(extra, s.addressRR(name, t.ip))
		}
	}
	return answer, extra
}

func (s *Server) hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: t, Class: mdns.ClassINET, Ttl: s.opts.TTL}
}

// addressRR is an A or AAAA record, after the IP's family.
func (s *Server) addressRR(name string, ip netip.Addr) mdns.RR {
	if ip.Is4() {
		return &mdns.A{Hdr: s.hdr(name, mdns.TypeA), A: net.IP(ip.AsSlice())}
	}
	return &mdns.AAAA{Hdr: s.hdr(name, mdns.TypeAAAA), AAAA: net.IP(ip.AsSlice())}
}

func rrType(ip netip.Addr) uint16 {
	if ip.Is4() {
		return mdns.TypeA
	}
	return mdns.TypeAAAA
}

// soa is the zone's SOA record, as CoreDNS writes it; its TTL and minimum are the record
// TTL, which is how long resolvers cache negative answers.
func (s *Server) soa(zone string) *mdns.SOA {
	ttl := min(s.opts.TTL, 300)
	return &mdns.SOA{
		Hdr:     mdns.RR_Header{Name: zone, Rrtype: mdns.TypeSOA, Class: mdns.ClassINET, Ttl: ttl},
		Ns:      "ns.dns." + s.opts.Zone,
		Mbox:    "hostmaster." + s.opts.Zone,
		Serial:  s.idx.serial.Load(),
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  s.opts.TTL,
	}
}
