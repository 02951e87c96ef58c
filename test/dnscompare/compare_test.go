package dnscompare

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"
)

// view is the part of a reply the comparison looks at, normalised: record sets sorted (the
// order of records in an RRset carries no meaning), names inside record data lower-cased
// (DNS names compare case-insensitively; the owner names of answers keep their case, since
// both servers must echo the question's), the SOA serial zeroed (each server's is the time
// of its own last index change), and of the OPT record only its presence (its size is each
// server's own buffer).
type view struct {
	err       string
	rcode     string
	aa, tc    bool
	ra        bool
	answer    []string
	extra     []string
	authority []string
	opt       bool
}

// field is one compared part of a reply.
type field struct {
	name             string
	ordinal, coredns string
}

// exchange asks server the question over the transport.
func exchange(server string, q question, tr transport) view {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = true
	if tr.ednsSize > 0 {
		m.SetEdns0(tr.ednsSize, false)
	}
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	if tr.tcp {
		c.Net = "tcp"
	}
	if tr.ednsSize > 0 {
		c.UDPSize = tr.ednsSize
	}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return view{err: err.Error()}
	}
	return normalise(r, q)
}

func normalise(r *dns.Msg, q question) view {
	v := view{
		rcode: dns.RcodeToString[r.Rcode],
		aa:    r.Authoritative, tc: r.Truncated, ra: r.RecursionAvailable,
		answer:    rrStrings(r.Answer, true),
		authority: rrStrings(r.Ns, false),
		opt:       r.IsEdns0() != nil,
	}
	var extra []dns.RR
	for _, rr := range r.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	v.extra = rrStrings(extra, false)
	if len(r.Question) != 1 || r.Question[0].Name != q.name || r.Question[0].Qtype != q.qtype {
		v.err = fmt.Sprintf("question section %v does not echo the question", r.Question)
	}
	return v
}

// rrStrings renders records in presentation format, sorted, normalised as view says.
// keepOwner keeps the owner name's case (answers); otherwise it is lower-cased too.
func rrStrings(rrs []dns.RR, keepOwner bool) []string {
	out := []string{}
	for _, rr := range rrs {
		rr = dns.Copy(rr)
		h := rr.Header()
		if !keepOwner {
			h.Name = strings.ToLower(h.Name)
		}
		switch x := rr.(type) {
		case *dns.CNAME:
			x.Target = strings.ToLower(x.Target)
		case *dns.SRV:
			x.Target = strings.ToLower(x.Target)
		case *dns.PTR:
			x.Ptr = strings.ToLower(x.Ptr)
		case *dns.NS:
			x.Ns = strings.ToLower(x.Ns)
		case *dns.SOA:
			x.Ns, x.Mbox, x.Serial = strings.ToLower(x.Ns), strings.ToLower(x.Mbox), 0
		}
		out = append(out, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	slices.Sort(out)
	return out
}

// diff lists the fields in which two replies differ; for a section, the records that only
// one server gave. When both are truncated, the records each kept depend on the order it
// wrote them in, so only their numbers are compared.
func diff(o, c view) []field {
	var out []field
	cmp := func(name, a, b string) {
		if a != b {
			out = append(out, field{name, a, b})
		}
	}
	cmpSet := func(name string, a, b []string) {
		onlyA, onlyB := without(a, b), without(b, a)
		if len(onlyA) > 0 || len(onlyB) > 0 {
			out = append(out, field{name, strings.Join(onlyA, "\n"), strings.Join(onlyB, "\n")})
		}
	}
	cmp("error", o.err, c.err)
	if o.err != "" || c.err != "" {
		return out
	}
	cmp("rcode", o.rcode, c.rcode)
	cmp("aa", fmt.Sprint(o.aa), fmt.Sprint(c.aa))
	cmp("tc", fmt.Sprint(o.tc), fmt.Sprint(c.tc))
	cmp("ra", fmt.Sprint(o.ra), fmt.Sprint(c.ra))
	cmp("opt", fmt.Sprint(o.opt), fmt.Sprint(c.opt))
	if o.tc && c.tc {
		cmp("answer count", fmt.Sprint(len(o.answer)), fmt.Sprint(len(c.answer)))
		cmp("extra count", fmt.Sprint(len(o.extra)), fmt.Sprint(len(c.extra)))
	} else {
		cmpSet("answer", o.answer, c.answer)
		cmpSet("extra", o.extra, c.extra)
	}
	cmpSet("authority", o.authority, c.authority)
	return out
}

// without is the records of a that are not in b.
func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// difference is one field of one question over one transport in which the servers differ.
type difference struct {
	q  question
	tr transport
	f  field
}

// probe asks both servers every question over its transports and returns the differences.
func probe(ordinalAddr, corednsAddr string, qs []question) (diffs []difference, asked int) {
	for _, q := range qs {
		trs := q.transports
		if trs == nil {
			trs = []transport{udp, tcp}
		}
		for _, tr := range trs {
			asked++
			for _, f := range diff(exchange(ordinalAddr, q, tr), exchange(corednsAddr, q, tr)) {
				diffs = append(diffs, difference{q: q, tr: tr, f: f})
			}
		}
	}
	return diffs, asked
}

// table renders differences for a failure message, one row per line of a field's value.
func table(diffs []difference) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CASE\tQUESTION\tTRANSPORT\tFIELD\tORDINAL\tCOREDNS")
	for _, d := range diffs {
		ol, cl := strings.Split(d.f.ordinal, "\n"), strings.Split(d.f.coredns, "\n")
		for i := range max(len(ol), len(cl)) {
			cells := []string{"", "", "", "", at(ol, i), at(cl, i)}
			if i == 0 {
				cells[0], cells[1], cells[2], cells[3] = d.q.id, d.q.String(), d.tr.String(), d.f.name
			}
			fmt.Fprintln(w, strings.Join(cells, "\t"))
		}
	}
	w.Flush()
	return b.String()
}

func at(s []string, i int) string {
	if i < len(s) {
		if s[i] == "" {
			return "-"
		}
		return s[i]
	}
	return ""
}
