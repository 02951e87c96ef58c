// Package dns is the cluster DNS server: it answers for the cluster domain (cluster.local
// by default) from in-memory indexes that informers on Services, EndpointSlices, Pods and
// Namespaces keep, following the Kubernetes DNS specification (schema 1.1.0) and the
// answers of CoreDNS's kubernetes plugin, and forwards every other name to the host's
// resolvers. test/dnscompare compares its answers with CoreDNS's and lists where and why
// they differ.
//
// Names served (<zone> is the cluster domain; all matching is case-insensitive):
//
//	<svc>.<ns>.svc.<zone>               A/AAAA: the cluster IP; for a headless Service one
//	                                    record per ready endpoint (NXDOMAIN when none);
//	                                    CNAME for an ExternalName Service
//	<host>.<svc>.<ns>.svc.<zone>        A/AAAA of a ready endpoint; <host> is its hostname, or
//	                                    its IP with dashes (10-42-0-5, fd00--1, fd00--0 for
//	                                    fd00::) when it has none
//	_<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV per named port (cluster IP: targets the
//	                                    Service; headless: one per ready endpoint, targeting
//	                                    its <host> name); <svc>.<ns>.svc.<zone> SRV lists all
//	                                    ports, as CoreDNS
//	<a-b-c-d>.<ns>.pod.<zone>           A <a.b.c.d> (CoreDNS "pods insecure"), in a namespace
//	                                    that exists
//	<ns>.svc.<zone>, <ns>.pod.<zone>    no records; NXDOMAIN when the namespace does not exist
//	<reversed ip>.in-addr.arpa          PTR: the Service of a cluster IP, the <host> names of
//	                                    a ready endpoint, else the pod name above of a pod IP
//	dns-version.<zone>                  TXT "1.1.0"
//
// A name that does not exist gets NXDOMAIN, an existing name without records of the asked
// type NODATA; both carry the zone's SOA, whose TTL and minimum (the negative-caching time)
// are the short record TTL (5 s), so that a StatefulSet pod created a moment after someone
// looked for it resolves soon after. An ExternalName Service's name answers its CNAME to
// every type but SRV and PTR (RFC 1034: the alias stands for the name); names under it,
// _<port>._<proto> ones included, do not exist. Until the informers have synced, a name not found is
// answered SERVFAIL, not NXDOMAIN, so that no resolver caches a wrong negative answer.
//
// The index ([index]) is updated per informer event and read under a read lock; the query
// path makes no API call and builds each answer from map reads (about 100,000 queries/s for
// a pod name over loopback UDP on 2 cores, so no answer cache is kept). Answers forwarded
// upstream are cached for their TTL (at most 5 minutes).
package dns
