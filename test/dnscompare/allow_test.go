package dnscompare

import (
	"fmt"
	"slices"
	"strings"
)

// allowance explains differences between ordinal and CoreDNS that are not errors of
// ordinal's: the question cases it covers (question ids; "*" is every case) and the fields
// they may differ in. An allowance that explains no difference fails the test, so that the
// list shrinks when either server changes.
type allowance struct {
	cases  []string
	fields []string
	why    string
}

// allowed is the allow-list; each entry says why the difference is legitimate.
var allowed = []allowance{
	{
		cases:  []string{"*"},
		fields: []string{"ra"},
		why: "ordinal is also the pods' recursive resolver (it forwards other names), so it sets RA; " +
			"the kubernetes plugin does not",
	},
	{
		cases:  []string{"apex NS", "ns.dns A"},
		fields: []string{"answer", "extra", "authority"},
		why: "the nameserver's address: CoreDNS answers the cluster IPs of the Services whose " +
			"endpoints are its own non-loopback addresses (else those addresses); bound to loopback " +
			"here it has none, so NODATA. Ordinal answers the kube-dns cluster IP, which is what " +
			"CoreDNS answers in a cluster, where its pod is kube-dns's endpoint",
	},
	{
		cases:  []string{"apex TXT", "dns-version A", "dns (above ns.dns) A"},
		fields: []string{"rcode"},
		why: "names that exist without records of the type: CoreDNS answers NXDOMAIN for the zone apex " +
			"(TXT), for dns-version (A; it has a TXT) and for dns. (the parent of ns.dns.); ordinal " +
			"NODATA, as RFC 8020 wants (NXDOMAIN says no type exists at or below the name)",
	},
	{
		cases: []string{"ExternalName in zone TXT", "ExternalName in zone MX", "ExternalName in zone ANY",
			"ExternalName out of zone TXT", "ExternalName out of zone MX",
			"ExternalName in zone AAAA", "ExternalName to missing name in zone A"},
		fields: []string{"answer", "authority"},
		why: "an ExternalName Service is a CNAME, which stands for its name whatever the type " +
			"(RFC 1034 3.6.2, 4.3.2): ordinal answers the CNAME (and whatever the target has of the " +
			"type), CoreDNS answers NODATA when it finds no record of the type at the end of the chain",
	},
	{
		cases:  []string{"pod A SRV"},
		fields: []string{"answer", "extra", "authority"},
		why: "CoreDNS turns a pod record into an SRV record with port 0; the specification defines no " +
			"SRV records for pod names, and ordinal has none (NODATA)",
	},
	{
		cases:  []string{"pod too many labels A"},
		fields: []string{"rcode", "answer", "authority"},
		why: "CoreDNS ignores a label left of <a-b-c-d>.<ns>.pod.<zone>; the specification defines " +
			"only the four-label name, and ordinal answers NXDOMAIN for longer ones",
	},
	{
		cases:  []string{"PTR clusterIP A", "PTR pod in no Service PTR"},
		fields: []string{"rcode", "aa", "answer", "authority"},
		why: "reverse names CoreDNS falls through on (\"fallthrough in-addr.arpa ip6.arpa\"): other types " +
			"than PTR, and pod IPs that are no Service's endpoint; in a cluster its forward plugin " +
			"would answer them, here no plugin follows and it answers SERVFAIL. Ordinal answers " +
			"them itself: NODATA, and the pod's <a-b-c-d>.<ns>.pod.<zone> name (package doc)",
	},
}

// explain returns the index of the allowance covering d, or -1.
func explain(d difference) int {
	for i, a := range allowed {
		if slices.Contains(a.fields, d.f.name) && (slices.Contains(a.cases, "*") || slices.Contains(a.cases, d.q.id)) {
			return i
		}
	}
	return -1
}

// allowedSummary says, per allowance, how many differences it explained and in which cases.
func allowedSummary(diffs []difference) string {
	var b strings.Builder
	for i, a := range allowed {
		var cases []string
		n := 0
		for _, d := range diffs {
			if explain(d) == i {
				n++
				if !slices.Contains(cases, d.q.id) {
					cases = append(cases, d.q.id)
				}
			}
		}
		if n == 0 {
			continue
		}
		list := strings.Join(cases, "; ")
		if len(cases) > 6 {
			list = strings.Join(cases[:6], "; ") + fmt.Sprintf("; ... (%d cases)", len(cases))
		}
		fmt.Fprintf(&b, "  %d differences in %s: %s\n    cases: %s\n", n, strings.Join(a.fields, "/"), a.why, list)
	}
	return b.String()
}
