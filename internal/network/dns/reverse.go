package dns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

const (
	reverseZone4 = "in-addr.arpa."
	reverseZone6 = "ip6.arpa."
)

// reverseIP reads the address of a full reverse name (d.c.b.a.in-addr.arpa. or the 32
// nibbles of ip6.arpa.).
func reverseIP(name string) (netip.Addr, bool) {
	switch {
	case strings.HasSuffix(name, "."+reverseZone4):
		labels := strings.Split(strings.TrimSuffix(name, "."+reverseZone4), ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		var b [4]byte
		for i, l := range labels {
			n, err := strconv.ParseUint(l, 10, 8)
			if err != nil {
				return netip.Addr{}, false
			}
			b[3-i] = byte(n)
		}
		return netip.AddrFrom4(b), true
	case strings.HasSuffix(name, "."+reverseZone6):
		labels := strings.Split(strings.TrimSuffix(name, "."+reverseZone6), ".")
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, l := range labels {
			n, err := strconv.ParseUint(l, 16, 4)
			if err != nil || len(l) != 1 {
				return netip.Addr{}, false
			}
			pos := 31 - i
			if pos%2 == 0 {
				b[pos/2] |= byte(n) << 4
			} else {
				b[pos/2] |= byte(n)
			}
		}
		return netip.AddrFrom16(b).Unmap(), true
	}
	return netip.Addr{}, false
}

// ptrNames lists the cluster names of ip: the Service whose cluster IP it is; else every
// ready endpoint with that IP, named by hostname (or dashed IP) under its Service; else the
// pod name <a-b-c-d>.<ns>.pod.<zone> of a pod with that IP. None when the cluster does not
// know the IP.
func (s *Server) ptrNames(ip netip.Addr) []string {
	zone := s.opts.Zone
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	if svcs := s.idx.servicesByIP[ip]; len(svcs) > 0 {
		return []string{svcs[0].name + "." + svcs[0].namespace + ".svc." + zone}
	}
	var names []string
	for _, sl := range s.idx.slicesByIP[ip] {
		for _, a := range sl.addrs {
			if a.ip != ip {
				continue
			}
			n := a.hostname + "." + sl.service + "." + sl.namespace + ".svc." + zone
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return names
	}
	if p, ok := s.idx.podsByIP[ip]; ok {
		return []string{dashed(ip) + "." + p.namespace + ".pod." + zone}
	}
	return nil
}

// resolveReverse answers a reverse name the cluster knows; handled is false for the
// others, which go upstream.
func (s *Server) resolveReverse(owner, name string, qtype uint16) (res result, zone string, handled bool) {
	ip, ok := reverseIP(name)
	if !ok {
		return result{}, "", false
	}
	names := s.ptrNames(ip)
	if len(names) == 0 {
		return result{}, "", false
	}
	zone = reverseZone4
	if ip.Is6() {
		zone = reverseZone6
	}
	if qtype == mdns.TypePTR {
		for _, n := range names {
			res.answer = append(res.answer, &mdns.PTR{Hdr: s.hdr(owner, mdns.TypePTR), Ptr: n})
		}
	}
	return res, zone, true
}
