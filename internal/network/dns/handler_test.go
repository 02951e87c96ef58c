package dns

import (
	"testing"

	mdns "github.com/miekg/dns"
)

var (
	A     = mdns.TypeA
	AAAA  = mdns.TypeAAAA
	SRV   = mdns.TypeSRV
	TXT   = mdns.TypeTXT
	PTR   = mdns.TypePTR
	CNAME = mdns.TypeCNAME
	SOA   = mdns.TypeSOA
	NS    = mdns.TypeNS
	MX    = mdns.TypeMX

	nxdomain = mdns.RcodeNameError
)

var clusterCases = []dnsCase{
	// A ClusterIP Service: its cluster IP, SRV per port (named ports by name).
	{qname: "web.default.svc.cluster.local.", qtype: A, answer: []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
	{qname: "WEB.Default.Svc.Cluster.Local.", qtype: A, answer: []string{"WEB.Default.Svc.Cluster.Local. 5 IN A 10.43.0.20"}},
	{qname: "web.default.svc.cluster.local.", qtype: AAAA, ns: []string{soaRR}},
	{qname: "web.default.svc.cluster.local.", qtype: TXT, ns: []string{soaRR}},
	{qname: "_http._tcp.web.default.svc.cluster.local.", qtype: SRV,
		answer: []string{"_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local."},
		extra:  []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
	{qname: "_dns._udp.web.default.svc.cluster.local.", qtype: SRV,
		answer: []string{"_dns._udp.web.default.svc.cluster.local. 5 IN SRV 0 100 53 web.default.svc.cluster.local."},
		extra:  []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
	{qname: "_http._udp.web.default.svc.cluster.local.", qtype: SRV, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "_nope._tcp.web.default.svc.cluster.local.", qtype: SRV, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "web.default.svc.cluster.local.", qtype: SRV,
		answer: []string{
			"web.default.svc.cluster.local. 5 IN SRV 0 33 80 web.default.svc.cluster.local.",
			"web.default.svc.cluster.local. 5 IN SRV 0 33 8443 web.default.svc.cluster.local.",
			"web.default.svc.cluster.local. 5 IN SRV 0 33 53 web.default.svc.cluster.local.",
		},
		extra: []string{"web.default.svc.cluster.local. 5 IN A 10.43.0.20"}},
	{qname: "kube-dns.kube-system.svc.cluster.local.", qtype: A, answer: []string{"kube-dns.kube-system.svc.cluster.local. 5 IN A 10.43.0.10"}},
	// An endpoint of a ClusterIP Service, by dashed IP.
	{qname: "10-42-0-50.web.default.svc.cluster.local.", qtype: A, answer: []string{"10-42-0-50.web.default.svc.cluster.local. 5 IN A 10.42.0.50"}},

	// A headless Service: its ready endpoints.
	{qname: "nginx.default.svc.cluster.local.", qtype: A, answer: []string{
		"nginx.default.svc.cluster.local. 5 IN A 10.42.0.10",
		"nginx.default.svc.cluster.local. 5 IN A 10.42.0.11",
		"nginx.default.svc.cluster.local. 5 IN A 10.42.0.13",
	}},
	{qname: "nginx.default.svc.cluster.local.", qtype: AAAA, ns: []string{soaRR}},
	{qname: "web-0.nginx.default.svc.cluster.local.", qtype: A, answer: []string{"web-0.nginx.default.svc.cluster.local. 5 IN A 10.42.0.10"}},
	{qname: "Web-1.NGINX.default.svc.cluster.local.", qtype: A, answer: []string{"Web-1.NGINX.default.svc.cluster.local. 5 IN A 10.42.0.11"}},
	{qname: "web-0.nginx.default.svc.cluster.local.", qtype: AAAA, ns: []string{soaRR}},
	{qname: "web-2.nginx.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "web-9.nginx.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "10-42-0-13.nginx.default.svc.cluster.local.", qtype: A, answer: []string{"10-42-0-13.nginx.default.svc.cluster.local. 5 IN A 10.42.0.13"}},
	{qname: "_web._tcp.nginx.default.svc.cluster.local.", qtype: SRV,
		answer: []string{
			"_web._tcp.nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 web-0.nginx.default.svc.cluster.local.",
			"_web._tcp.nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 web-1.nginx.default.svc.cluster.local.",
			"_web._tcp.nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 10-42-0-13.nginx.default.svc.cluster.local.",
		},
		extra: []string{
			"web-0.nginx.default.svc.cluster.local. 5 IN A 10.42.0.10",
			"web-1.nginx.default.svc.cluster.local. 5 IN A 10.42.0.11",
			"10-42-0-13.nginx.default.svc.cluster.local. 5 IN A 10.42.0.13",
		}},
	{qname: "nginx.default.svc.cluster.local.", qtype: SRV,
		answer: []string{
			"nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 web-0.nginx.default.svc.cluster.local.",
			"nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 web-1.nginx.default.svc.cluster.local.",
			"nginx.default.svc.cluster.local. 5 IN SRV 0 33 80 10-42-0-13.nginx.default.svc.cluster.local.",
		},
		extra: []string{
			"web-0.nginx.default.svc.cluster.local. 5 IN A 10.42.0.10",
			"web-1.nginx.default.svc.cluster.local. 5 IN A 10.42.0.11",
			"10-42-0-13.nginx.default.svc.cluster.local. 5 IN A 10.42.0.13",
		}},
	{qname: "web-0.nginx.default.svc.cluster.local.", qtype: SRV,
		answer: []string{"web-0.nginx.default.svc.cluster.local. 5 IN SRV 0 100 80 web-0.nginx.default.svc.cluster.local."},
		extra:  []string{"web-0.nginx.default.svc.cluster.local. 5 IN A 10.42.0.10"}},
	// Headless without ready endpoints: NXDOMAIN (the specification's answer).
	{qname: "empty.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "empty.default.svc.cluster.local.", qtype: SRV, rcode: nxdomain, ns: []string{soaRR}},
	// Headless without ports: addresses, but no SRV.
	{qname: "noports.default.svc.cluster.local.", qtype: A, answer: []string{"noports.default.svc.cluster.local. 5 IN A 10.42.0.30"}},
	{qname: "noports.default.svc.cluster.local.", qtype: SRV, ns: []string{soaRR}},

	// ExternalName: a CNAME, chased inside the zone or upstream.
	{qname: "alias.default.svc.cluster.local.", qtype: A, answer: []string{
		"alias.default.svc.cluster.local. 5 IN CNAME web.default.svc.cluster.local.",
		"web.default.svc.cluster.local. 5 IN A 10.43.0.20",
	}},
	{qname: "ext.default.svc.cluster.local.", qtype: A, answer: []string{
		"ext.default.svc.cluster.local. 5 IN CNAME example.com.",
		"example.com. 300 IN A 192.0.2.1",
	}},
	{qname: "ext.default.svc.cluster.local.", qtype: CNAME, answer: []string{"ext.default.svc.cluster.local. 5 IN CNAME example.com."}},
	{qname: "ext.default.svc.cluster.local.", qtype: MX, answer: []string{"ext.default.svc.cluster.local. 5 IN CNAME example.com."}},
	{qname: "ext.default.svc.cluster.local.", qtype: SRV, ns: []string{soaRR}},
	{qname: "x.ext.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	// No ports under an ExternalName name: no alias either (as CoreDNS).
	{qname: "_http._tcp.alias.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "_http._tcp.alias.default.svc.cluster.local.", qtype: SRV, rcode: nxdomain, ns: []string{soaRR}},

	// IPv6 endpoints without hostnames: dashed names, ending in "0" rather than a hyphen.
	{qname: "fd00-10--1.v6.default.svc.cluster.local.", qtype: AAAA, answer: []string{"fd00-10--1.v6.default.svc.cluster.local. 5 IN AAAA fd00:10::1"}},
	{qname: "fd00-10--0.v6.default.svc.cluster.local.", qtype: AAAA, answer: []string{"fd00-10--0.v6.default.svc.cluster.local. 5 IN AAAA fd00:10::"}},
	{qname: "fd00-10--.v6.default.svc.cluster.local.", qtype: AAAA, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.d.f.ip6.arpa.", qtype: PTR,
		answer: []string{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.d.f.ip6.arpa. 5 IN PTR fd00-10--0.v6.default.svc.cluster.local."}},

	// Pods, "insecure": any dashed IP in any namespace.
	{qname: "10-42-0-99.default.pod.cluster.local.", qtype: A, answer: []string{"10-42-0-99.default.pod.cluster.local. 5 IN A 10.42.0.99"}},
	{qname: "10-42-0-99.default.pod.cluster.local.", qtype: AAAA, ns: []string{soaRR}},
	{qname: "not-an-ip.default.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "x.10-42-0-99.default.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	// ... but only in namespaces that exist, as CoreDNS.
	{qname: "10-42-0-99.missing.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "fd00--1.default.pod.cluster.local.", qtype: AAAA, answer: []string{"fd00--1.default.pod.cluster.local. 5 IN AAAA fd00::1"}},
	{qname: "fd00--0.default.pod.cluster.local.", qtype: AAAA, answer: []string{"fd00--0.default.pod.cluster.local. 5 IN AAAA fd00::"}},

	// Reverse: a cluster IP, endpoint IPs (named by hostname or dashed IP), a pod IP.
	{qname: "20.0.43.10.in-addr.arpa.", qtype: PTR, answer: []string{"20.0.43.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local."}},
	{qname: "10.0.42.10.in-addr.arpa.", qtype: PTR, answer: []string{"10.0.42.10.in-addr.arpa. 5 IN PTR web-0.nginx.default.svc.cluster.local."}},
	{qname: "13.0.42.10.in-addr.arpa.", qtype: PTR, answer: []string{"13.0.42.10.in-addr.arpa. 5 IN PTR 10-42-0-13.nginx.default.svc.cluster.local."}},
	{qname: "40.0.42.10.in-addr.arpa.", qtype: PTR, answer: []string{"40.0.42.10.in-addr.arpa. 5 IN PTR 10-42-0-40.default.pod.cluster.local."}},
	{qname: "20.0.43.10.in-addr.arpa.", qtype: A, ns: []string{"in-addr.arpa. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 5"}},

	// The zone itself and the names around the records.
	{qname: "dns-version.cluster.local.", qtype: TXT, answer: []string{`dns-version.cluster.local. 28800 IN TXT "1.1.0"`}},
	{qname: "dns-version.cluster.local.", qtype: A, ns: []string{soaRR}},
	{qname: "cluster.local.", qtype: SOA, answer: []string{soaRR}},
	{qname: "cluster.local.", qtype: NS, answer: []string{"cluster.local. 5 IN NS ns.dns.cluster.local."}, extra: []string{"ns.dns.cluster.local. 5 IN A 10.43.0.10"}},
	{qname: "ns.dns.cluster.local.", qtype: A, answer: []string{"ns.dns.cluster.local. 5 IN A 10.43.0.10"}},
	{qname: "cluster.local.", qtype: A, ns: []string{soaRR}},
	{qname: "svc.cluster.local.", qtype: A, ns: []string{soaRR}},
	{qname: "default.svc.cluster.local.", qtype: A, ns: []string{soaRR}},
	{qname: "default.pod.cluster.local.", qtype: A, ns: []string{soaRR}},
	{qname: "missing.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "missing.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "missing.default.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "web.other.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "foo.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	{qname: "a.b.c.d.e.svc.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},

	// Outside the zone: forwarded upstream.
	{qname: "example.com.", qtype: A, answer: []string{"example.com. 300 IN A 192.0.2.1"}},
	{qname: "Example.COM.", qtype: A, answer: []string{"example.com. 300 IN A 192.0.2.1"}},
	{qname: "nothing.example.", qtype: A, rcode: nxdomain, ns: []string{". 60 IN SOA a.root-servers.net. nstld.verisign-grs.com. 0 1800 900 604800 86400"}},
}

func TestClusterRecords(t *testing.T) {
	s, _ := newTestServer(t, clusterObjects()...)
	for _, tc := range clusterCases {
		t.Run(tc.name(), func(t *testing.T) { tc.check(t, s) })
	}
}
