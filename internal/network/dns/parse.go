package dns

import "strings"

// nameKind says what part of the cluster namespace a query name falls in.
type nameKind int

const (
	kindNone       nameKind = iota // no such name: NXDOMAIN
	kindEmpty                      // a name that exists but holds no records: the zone apex, svc.<zone>, dns.<zone>
	kindNamespace                  // <ns>.svc.<zone> or <ns>.pod.<zone>: exists (without records) while the namespace does
	kindService                    // [<endpoint>.|_<port>._<proto>.]<service>.<ns>.svc.<zone>
	kindPod                        // <a-b-c-d>.<ns>.pod.<zone>
	kindDNSVersion                 // dns-version.<zone>
	kindNameserver                 // ns.dns.<zone>
)

// request is a parsed query name in the zone, as CoreDNS's recordRequest.
type request struct {
	kind               nameKind
	port, protocol     string // from _<port>._<proto>; empty matches any
	endpoint           string // the first label of a four-label service name
	service, namespace string // for pods, service holds the dashed IP
}

// parseRequest reads a lower-case, fully qualified name inside zone. It does no lookup:
// whether the Service or endpoint exists is decided later.
func parseRequest(name, zone string) request {
	if name == zone {
		return request{kind: kindEmpty}
	}
	base := strings.TrimSuffix(name, "."+zone)
	switch base {
	case "dns-version":
		return request{kind: kindDNSVersion}
	case "ns.dns":
		return request{kind: kindNameserver}
	case "dns":
		return request{kind: kindEmpty}
	}
	segs := strings.Split(base, ".")
	last := len(segs) - 1
	kind := kindService
	switch segs[last] {
	case "svc":
	case "pod":
		kind = kindPod
	default:
		return request{}
	}
	r := request{kind: kind}
	switch len(segs) {
	case 1: // svc.<zone>, pod.<zone>
		r.kind = kindEmpty
		return r
	case 2: // <ns>.svc.<zone>, <ns>.pod.<zone>
		r.kind, r.namespace = kindNamespace, segs[0]
		return r
	}
	r.namespace, r.service = segs[last-1], segs[last-2]
	switch len(segs) {
	case 3:
	case 4:
		r.endpoint = segs[0]
	case 5:
		r.port, r.protocol = strings.TrimPrefix(segs[0], "_"), strings.TrimPrefix(segs[1], "_")
	default:
		return request{}
	}
	if kind == kindPod && len(segs) != 3 {
		return request{}
	}
	return r
}
