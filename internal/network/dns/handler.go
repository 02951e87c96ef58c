package dns

import (
	"context"
	"net"
	"strings"

	mdns "github.com/miekg/dns"
)

// ServeDNS answers one query (mdns.Handler).
func (s *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	m := s.reply(context.Background(), req, tcp)
	if err := w.WriteMsg(m); err != nil {
		// The client went away; nothing to do about it.
		return
	}
}

// reply builds the answer to req, sized for its transport: 512 bytes over UDP without
// EDNS0, the advertised buffer (at most 4096) with it, 64 KiB over TCP. A reply that does
// not fit is truncated with the TC bit, so that the client retries over TCP.
func (s *Server) reply(ctx context.Context, req *mdns.Msg, tcp bool) *mdns.Msg {
	m := new(mdns.Msg)
	if req.Opcode != mdns.OpcodeQuery {
		m.SetRcode(req, mdns.RcodeNotImplemented)
		return m
	}
	if len(req.Question) != 1 {
		m.SetRcode(req, mdns.RcodeFormatError)
		return m
	}
	opt := req.IsEdns0()
	size := mdns.MinMsgSize
	if opt != nil {
		size = int(min(max(opt.UDPSize(), mdns.MinMsgSize), 4096))
		if opt.Version() != 0 {
			m.SetRcode(req, mdns.RcodeBadVers)
			m.SetEdns0(uint16(size), opt.Do())
			return m
		}
	}
	if tcp {
		size = mdns.MaxMsgSize
	}
	m = s.answer(ctx, req)
	if opt != nil {
		m.SetEdns0(uint16(min(size, 4096)), opt.Do())
	}
	m.Truncate(size)
	return m
}

// answer resolves the question: from the index for the zone and for reverse names of
// cluster IPs, from upstream otherwise.
func (s *Server) answer(ctx context.Context, req *mdns.Msg) *mdns.Msg {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	m := new(mdns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	m.Compress = true
	if q.Qclass != mdns.ClassINET {
		m.Rcode = mdns.RcodeRefused
		return m
	}
	if mdns.IsSubDomain(s.opts.Zone, name) {
		return s.fill(m, s.resolveZone(ctx, q.Name, name, q.Qtype, 0), s.opts.Zone)
	}
	if res, zone, ok := s.resolveReverse(q.Name, name, q.Qtype); ok {
		return s.fill(m, res, zone)
	}
	fwd, err := s.fwd.exchange(ctx, req)
	if err != nil {
		m.Rcode = mdns.RcodeServerFailure
		return m
	}
	fwd.Compress = true
	return fwd
}

// fill writes an authoritative answer; a negative one (NXDOMAIN, or NODATA: no records)
// carries the zone's SOA, which tells resolvers how long to cache it.
func (s *Server) fill(m *mdns.Msg, res result, zone string) *mdns.Msg {
	m.Authoritative = true
	m.Rcode = res.rcode
	if res.rcode == mdns.RcodeServerFailure {
		m.Authoritative = false
		return m
	}
	m.Answer, m.Extra = res.answer, res.extra
	if len(res.answer) == 0 {
		m.Ns = []mdns.RR{s.soa(zone)}
	}
	return m
}
