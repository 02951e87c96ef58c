package dnscompare

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

// recordTTL is the TTL both servers give cluster records: ordinal's fixed 5 s, and CoreDNS's
// "ttl 5" (its own default; upstream's kube-dns Corefile says 30). Equal TTLs let the test
// compare them exactly instead of normalising them away.
const recordTTL = 5

// corefile is upstream's default kube-dns Corefile reduced to its kubernetes block, bound
// to loopback, pointed at ordinal with the admin kubeconfig. There is no forward (nor any
// other) plugin after kubernetes: a name the plugin falls through on gets SERVFAIL.
const corefile = `.:%[1]s {
    bind %[2]s
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %[3]s ordinal
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl %[4]d
    }
}
`

func init() {
	// Only the plugins the Corefile names are compiled in and known to the parser, which
	// keeps CoreDNS's build and its directive list small.
	dnsserver.Directives = []string{"bind", "kubernetes"}
	caddy.Quiet = true
}

// startCoreDNS runs CoreDNS in this process on a free loopback port and stops it when the
// test ends. It returns the address (UDP and TCP) it answers on. Start-up waits until the
// kubernetes plugin has listed Services, EndpointSlices and Namespaces (or 5 s passed).
func startCoreDNS(t *testing.T, kubeconfig string) string {
	t.Helper()
	var lastErr error
	for range 3 {
		addr := freeDNSAddr(t)
		host, port, _ := net.SplitHostPort(addr)
		input := caddy.CaddyfileInput{
			Contents:       []byte(fmt.Sprintf(corefile, port, host, kubeconfig, recordTTL)),
			Filepath:       "Corefile",
			ServerTypeName: "dns",
		}
		inst, err := caddy.Start(input)
		if err == nil {
			t.Cleanup(func() {
				if err := inst.Stop(); err != nil {
					t.Errorf("stopping CoreDNS: %v", err)
				}
			})
			return addr
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("starting CoreDNS: %v", lastErr)
	return ""
}
