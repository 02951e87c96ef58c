package dns

import (
	"bufio"
	"net"
	"os"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Options configure a Server.
type Options struct {
	// Zone is the cluster domain (default "cluster.local").
	Zone string
	// TTL is the TTL of every record served from the cluster, and the negative-caching time
	// in the SOA (default 5 s, as CoreDNS).
	TTL uint32
	// Upstreams are the resolvers ("ip" or "ip:port") that names outside the zone are
	// forwarded to. Nil reads the nameservers of /etc/resolv.conf; an empty, non-nil slice
	// forwards nothing (those names get SERVFAIL).
	Upstreams []string
	// UpstreamTimeout bounds one exchange with one upstream (default 2 s).
	UpstreamTimeout time.Duration
	// CacheSize caps the forwarded answers kept (default 10000; negative: no cache).
	CacheSize int
	// PodsVerified answers <a-b-c-d>.<ns>.pod names only for pods that exist with that IP
	// in that namespace (CoreDNS "pods verified"); the default is "pods insecure".
	PodsVerified bool
	// NameserverIPs are the addresses of the DNS Service (10.43.0.10), answered for
	// ns.dns.<zone> and named by the zone's NS record. They are never used as upstreams.
	NameserverIPs []string
}

func (o Options) withDefaults() Options {
	if o.Zone == "" {
		o.Zone = "cluster.local"
	}
	o.Zone = strings.ToLower(mdns.Fqdn(o.Zone))
	if o.TTL == 0 {
		o.TTL = 5
	}
	if o.UpstreamTimeout == 0 {
		o.UpstreamTimeout = 2 * time.Second
	}
	if o.CacheSize == 0 {
		o.CacheSize = 10000
	}
	if o.Upstreams == nil {
		o.Upstreams = ResolvConfNameservers("/etc/resolv.conf")
	}
	var ups []string
	for _, u := range o.Upstreams {
		if _, _, err := net.SplitHostPort(u); err != nil {
			u = net.JoinHostPort(u, "53")
		}
		host, _, _ := net.SplitHostPort(u)
		if contains(o.NameserverIPs, host) {
			continue // asking ourselves would loop
		}
		ups = append(ups, u)
	}
	o.Upstreams = ups
	if o.Upstreams == nil {
		o.Upstreams = []string{}
	}
	return o
}

// ResolvConfNameservers reads the nameserver lines of a resolv.conf file; a missing file
// gives none.
func ResolvConfNameservers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{}
	}
	defer f.Close()
	out := []string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" && net.ParseIP(fields[1]) != nil {
			out = append(out, fields[1])
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
