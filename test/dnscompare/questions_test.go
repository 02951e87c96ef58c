package dnscompare

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

const zone = "cluster.local."

// question is one name and type asked of both servers; id is a stable label for the case it
// covers, which the allow-list and the report use (names hold IPs that change per run).
type question struct {
	id    string
	name  string
	qtype uint16
	// transports it is asked over; nil means udp and tcp
	transports []transport
}

// transport is how a question is sent: over UDP with no EDNS0 (ednsSize 0) or with EDNS0
// advertising ednsSize bytes, or over TCP.
type transport struct {
	tcp      bool
	ednsSize uint16
}

func (tr transport) String() string {
	s := "udp"
	if tr.tcp {
		s = "tcp"
	}
	if tr.ednsSize > 0 {
		s += fmt.Sprintf("+edns%d", tr.ednsSize)
	}
	return s
}

var (
	udp      = transport{}
	tcp      = transport{tcp: true}
	udpEDNS  = transport{ednsSize: 1232}
	udpLarge = transport{ednsSize: 4096}
	// sizes are the transports of the truncation questions: 512 bytes, the 1232 that
	// resolvers advertise since DNS flag day 2020, 4096, and TCP's 64 KiB.
	sizes = []transport{udp, udpEDNS, udpLarge, tcp}
)

func (q question) String() string {
	return fmt.Sprintf("%s %s", q.name, dns.TypeToString[q.qtype])
}

// svcName is name under ns's Services: svcName("web") is web.dnstest.svc.cluster.local.
func svcName(labels ...string) string {
	return strings.Join(labels, ".") + "." + ns + ".svc." + zone
}

// dashed writes an IP as the DNS specification's label: 10-42-0-5, fd00-99--1.
func dashed(ip netip.Addr) string {
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "-")
	}
	return strings.ReplaceAll(ip.String(), ":", "-")
}

func reverse(ip netip.Addr) string {
	name, err := dns.ReverseAddr(ip.String())
	if err != nil {
		panic(err)
	}
	return name
}

// questions lists what both servers are asked, built from the cluster's actual IPs.
func questions(c *cluster) []question {
	var qs []question
	add := func(id, name string, types ...uint16) {
		for _, t := range types {
			qs = append(qs, question{id: id + " " + dns.TypeToString[t], name: name, qtype: t})
		}
	}
	addSized := func(id, name string, types ...uint16) {
		for _, t := range types {
			qs = append(qs, question{id: id + " " + dns.TypeToString[t], name: name, qtype: t, transports: sizes})
		}
	}
	A, AAAA, SRV, PTR, CNAME, TXT := dns.TypeA, dns.TypeAAAA, dns.TypeSRV, dns.TypePTR, dns.TypeCNAME, dns.TypeTXT
	MX, ANY, SOA, NS := dns.TypeMX, dns.TypeANY, dns.TypeSOA, dns.TypeNS

	// The zone's own names.
	add("apex", zone, SOA, NS, A, TXT)
	add("dns-version", "dns-version."+zone, TXT, A)
	add("ns.dns", "ns.dns."+zone, A, AAAA)
	add("dns (above ns.dns)", "dns."+zone, A)
	add("svc.<zone>", "svc."+zone, A)
	add("pod.<zone>", "pod."+zone, A)
	add("unknown under zone", "nothing."+zone, A)
	add("namespace under svc", ns+".svc."+zone, A, SRV)
	add("missing namespace under svc", "missing.svc."+zone, A)
	add("namespace under pod", ns+".pod."+zone, A)
	add("missing namespace under pod", "missing.pod."+zone, A)

	// A ClusterIP Service with named TCP and UDP ports.
	web := svcName("web")
	add("clusterIP", web, A, AAAA, SRV, CNAME, TXT, MX, ANY, PTR, SOA, NS)
	add("clusterIP upper case", strings.ToUpper(web), A, SRV)
	add("clusterIP mixed case", "Web."+ns+".Svc.Cluster.Local.", A, SRV)
	add("clusterIP _http._tcp", svcName("_http", "_tcp", "web"), SRV, A)
	add("clusterIP _dns._udp", svcName("_dns", "_udp", "web"), SRV)
	add("clusterIP _dns-tcp._tcp", svcName("_dns-tcp", "_tcp", "web"), SRV)
	add("clusterIP port upper case", svcName("_HTTP", "_TCP", "web"), SRV)
	add("clusterIP wrong proto", svcName("_dns", "_tcp", "web"), SRV)
	add("clusterIP wrong port", svcName("_nope", "_tcp", "web"), SRV, A)
	add("clusterIP unknown proto", svcName("_http", "_sctp", "web"), SRV)
	add("clusterIP port without underscores", svcName("http", "tcp", "web"), SRV)
	add("clusterIP endpoint by dashed IP", svcName(dashed(c.podIPs["web-1"]), "web"), A, SRV)
	add("clusterIP unknown endpoint", svcName("nosuch", "web"), A)
	add("clusterIP too many labels", svcName("a", "_http", "_tcp", "web"), SRV, A)
	add("service in missing namespace", "web.missing.svc."+zone, A)
	add("unknown service", svcName("nosuch"), A, SRV)
	add("kubernetes Service", "kubernetes.default.svc."+zone, A, SRV)
	add("kubernetes _https._tcp", "_https._tcp.kubernetes.default.svc."+zone, SRV)
	add("kube-dns Service", "kube-dns.kube-system.svc."+zone, A, SRV)

	// A headless Service without ports.
	add("headless no ports", svcName("noports"), A, SRV)
	add("headless no ports endpoint", svcName(dashed(c.podIPs["web-2"]), "noports"), A, SRV)

	// A headless Service with hostname+subdomain pods, one not ready, one without hostname.
	db := svcName("db")
	add("headless", db, A, AAAA, SRV, TXT, ANY)
	add("headless _pg._tcp", svcName("_pg", "_tcp", "db"), SRV, A)
	add("headless _metrics._tcp", svcName("_metrics", "_tcp", "db"), SRV)
	add("headless wrong proto", svcName("_pg", "_udp", "db"), SRV)
	add("headless hostname", svcName("db-0", "db"), A, AAAA, SRV, TXT)
	add("headless hostname upper case", strings.ToUpper(svcName("db-1", "db")), A, SRV)
	add("headless not-ready hostname", svcName("db-2", "db"), A)
	add("headless not-ready dashed IP", svcName(dashed(c.podIPs["db-2"]), "db"), A)
	add("headless endpoint without hostname", svcName(dashed(c.podIPs["db-x"]), "db"), A, SRV)
	add("headless hostname, dashed IP name", svcName(dashed(c.podIPs["db-0"]), "db"), A)
	add("headless port under endpoint", svcName("_pg", "_tcp", "db-0", "db"), SRV)

	// A headless Service publishing not-ready addresses (its pods' subdomain is "db").
	add("publishNotReady", svcName("db-all"), A, SRV)
	add("publishNotReady not-ready endpoint", svcName(dashed(c.podIPs["db-2"]), "db-all"), A)
	add("publishNotReady hostname of other subdomain", svcName("db-0", "db-all"), A)

	// A StatefulSet and its governing Service.
	add("statefulset", svcName("sts"), A, SRV)
	add("statefulset _web._tcp", svcName("_web", "_tcp", "sts"), SRV)
	for _, p := range c.stsPods {
		add("statefulset pod "+p, svcName(p, "sts"), A, SRV)
	}
	add("statefulset pod beyond replicas", svcName("sts-3", "sts"), A)

	// ExternalName Services.
	add("ExternalName in zone", svcName("ext"), CNAME, A, AAAA, TXT, SRV, MX, ANY)
	add("ExternalName chain", svcName("ext-chain"), CNAME, A)
	add("ExternalName to missing name in zone", svcName("ext-dangling"), CNAME, A)
	// Address types of ext-out would make ordinal ask the host's resolvers (see guard).
	add("ExternalName out of zone", svcName("ext-out"), CNAME, TXT, SRV, MX)
	add("ExternalName endpoint", svcName("x", "ext"), A)
	add("ExternalName port", svcName("_http", "_tcp", "ext"), SRV)

	// Selector-less Services with hand-made slices.
	add("selector-less clusterIP", svcName("manual"), A, SRV)
	add("selector-less clusterIP endpoint hostname", svcName("alpha", "manual"), A, SRV)
	add("selector-less clusterIP endpoint dashed", svcName("10-99-0-2", "manual"), A)
	add("selector-less clusterIP not-ready hostname", svcName("gamma", "manual"), A)
	add("selector-less clusterIP not-ready dashed", svcName("10-99-0-3", "manual"), A)
	add("selector-less clusterIP ready unset", svcName("10-99-0-4", "manual"), A)
	hl := svcName("manual-hl")
	add("selector-less headless", hl, A, AAAA, SRV)
	add("selector-less headless _http._tcp", svcName("_http", "_tcp", "manual-hl"), SRV, AAAA)
	add("selector-less headless hostname v4", svcName("alpha", "manual-hl"), A, AAAA)
	add("selector-less headless hostname v6", svcName("beta", "manual-hl"), AAAA, A, SRV)
	add("selector-less headless dashed v6", svcName("fd00-99--2-0-0-5", "manual-hl"), AAAA)
	add("selector-less headless dashed v6 ending in ::, with 0", svcName("fd00-99--0", "manual-hl"), AAAA, SRV)
	add("selector-less headless dashed v6 ending in ::, bare", svcName("fd00-99--", "manual-hl"), AAAA)

	// Services without ready endpoints.
	add("headless without ready endpoints", svcName("empty-hl"), A, SRV)
	add("headless without ready endpoints, its not-ready endpoint", svcName("10-99-2-1", "empty-hl"), A)
	add("clusterIP without endpoints", svcName("noeps"), A, SRV)
	add("clusterIP without endpoints _http._tcp", svcName("_http", "_tcp", "noeps"), SRV)

	// A large headless answer: truncation over UDP without and with EDNS0.
	addSized("large headless", svcName("big"), A, SRV)
	qs = append(qs, question{id: "large headless AAAA", name: svcName("big"), qtype: AAAA})

	// Pod names ("pods insecure").
	add("pod A", dashed(c.podIPs["web-1"])+"."+ns+".pod."+zone, A, AAAA, SRV)
	add("pod of another namespace", dashed(c.podIPs["web-1"])+".default.pod."+zone, A)
	add("pod in missing namespace", dashed(c.podIPs["web-1"])+".missing.pod."+zone, A)
	add("pod unknown IP (insecure)", "10-0-0-1."+ns+".pod."+zone, A)
	add("pod upper case", "10-0-0-1."+strings.ToUpper(ns)+".POD.CLUSTER.LOCAL.", A)
	add("pod IPv6", "fd00--1."+ns+".pod."+zone, AAAA, A)
	add("pod IPv6 ending in ::", "fd00--0."+ns+".pod."+zone, AAAA)
	add("pod not an IP", "notanip."+ns+".pod."+zone, A)
	add("pod three octets", "1-2-3."+ns+".pod."+zone, A)
	add("pod too many labels", "x.10-0-0-1."+ns+".pod."+zone, A)

	// Reverse names of IPs the cluster knows.
	add("PTR clusterIP", reverse(c.clusterIPs["web"]), PTR, A)
	add("PTR clusterIP upper case", strings.ToUpper(reverse(c.clusterIPs["web"])), PTR)
	add("PTR selector-less clusterIP", reverse(c.clusterIPs["manual"]), PTR)
	add("PTR kube-dns", reverse(c.clusterIPs["kube-system/kube-dns"]), PTR)
	add("PTR kubernetes", reverse(c.clusterIPs["default/kubernetes"]), PTR)
	add("PTR headless hostname endpoint", reverse(c.podIPs["db-0"]), PTR)
	add("PTR headless endpoint without hostname", reverse(c.podIPs["db-x"]), PTR)
	add("PTR endpoint ready in one Service only", reverse(c.podIPs["db-2"]), PTR)
	add("PTR clusterIP Service endpoint", reverse(c.podIPs["web-1"]), PTR)
	add("PTR statefulset pod", reverse(c.podIPs[c.stsPods[0]]), PTR)
	add("PTR pod in no Service", reverse(c.podIPs["loner"]), PTR)
	add("PTR hand-made endpoint", reverse(netip.MustParseAddr("10.99.0.1")), PTR)
	add("PTR hand-made endpoint ready unset", reverse(netip.MustParseAddr("10.99.0.4")), PTR)
	add("PTR hand-made v6 endpoint", reverse(netip.MustParseAddr("fd00:99::1")), PTR)
	add("PTR hand-made v6 endpoint ending in ::", reverse(netip.MustParseAddr("fd00:99::")), PTR)
	add("PTR large headless endpoint", reverse(netip.MustParseAddr("10.98.0.1")), PTR)

	// A few EDNS0 queries of ordinary size.
	for _, q := range []question{
		{id: "headless SRV", name: db, qtype: SRV},
		{id: "clusterIP A", name: web, qtype: A},
		{id: "unknown service A", name: svcName("nosuch"), qtype: A},
	} {
		q.id += " (EDNS0)"
		q.transports = []transport{udpEDNS}
		qs = append(qs, q)
	}
	return qs
}

// guard returns an error for a question that ordinal would forward to the host's resolvers:
// the test may only send packets to loopback. Ordinal answers the cluster zone itself, and
// reverse names only of IPs it knows (cluster IPs, ready endpoints, pods); everything else,
// and the address records of an ExternalName target outside the zone, goes upstream.
func guard(c *cluster, q question) error {
	name := strings.ToLower(q.name)
	if dns.IsSubDomain(zone, name) {
		if dns.IsSubDomain(svcName("ext-out"), name) && (q.qtype == dns.TypeA || q.qtype == dns.TypeAAAA) {
			return fmt.Errorf("%s: ordinal would resolve the out-of-zone target upstream", q)
		}
		return nil
	}
	for _, ip := range knownIPs(c) {
		if name == reverse(ip) {
			return nil
		}
	}
	return fmt.Errorf("%s: not in %s nor the reverse name of an IP the cluster knows: ordinal would forward it", q, zone)
}

func knownIPs(c *cluster) []netip.Addr {
	var ips []netip.Addr
	for ip := range c.known {
		ips = append(ips, ip)
	}
	return ips
}
