package proxy

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var (
	webPorts  = []v1.ServicePort{tcp("http", 80, 8080)}
	webSlice  = []slicePort{{"http", v1.ProtocolTCP, 8080}}
	webChain  = "svc-default/web/tcp/http"
	epChain5  = "ep-default/web/tcp/http/10.42.0.5/8080"
	epChain6  = "ep-default/web/tcp/http/10.42.0.6/8080"
	localOnly = func(s *v1.Service) { s.Spec.InternalTrafficPolicy = ptr.To(v1.ServiceInternalTrafficPolicyLocal) }
)

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name     string
		services []*v1.Service
		slices   []*discovery.EndpointSlice
		opts     Options
		want     []string // lines (trimmed) the script must hold
		wantNot  []string // substrings it must not hold
	}{{
		name:     "one ready endpoint: direct goto, no numgen",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices:   []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"))},
		want: []string{
			"10.43.0.20 . tcp . 80 : goto " + webChain + ",",
			"chain " + webChain + " {",
			"goto " + epChain5,
			"meta l4proto tcp dnat to 10.42.0.5:8080",
			"ip saddr 10.42.0.5 jump mark-for-masquerade",
			"type nat hook prerouting priority dstnat; policy accept;",
			"type nat hook output priority -100; policy accept;",
			"meta mark & 0x00004000 == 0x00004000 meta mark set meta mark ^ 0x00004000 masquerade",
		},
		wantNot: []string{"numgen", "reject-chain,", "set affinity"},
	}, {
		name:     "several ready endpoints are load-balanced, not-ready ones left out",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.6"), ep("10.42.0.9", notReady)),
			slice("web-2", "web", webSlice, ep("10.42.0.5"), ep("10.42.0.8", terminating(true))),
		},
		want:    []string{"numgen random mod 2 vmap { 0 : goto " + epChain5 + ", 1 : goto " + epChain6 + " }"},
		wantNot: []string{"10.42.0.9", "10.42.0.8"},
	}, {
		name:     "no ready endpoint: serving terminating ones are used",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices: []*discovery.EndpointSlice{
			slice("web-1", "web", webSlice, ep("10.42.0.9", notReady), ep("10.42.0.5", terminating(true)), ep("10.42.0.7", terminating(false))),
		},
		want:    []string{"goto " + epChain5, "meta l4proto tcp dnat to 10.42.0.5:8080"},
		wantNot: []string{"10.42.0.9", "10.42.0.7"},
	}, {
		name:     "no usable endpoint: rejected, no service chain",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices:   []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.9", notReady))},
		want: []string{
			"10.43.0.20 . tcp . 80 : goto reject-chain,",
			"type filter hook forward priority filter - 10; policy accept;",
			"ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
		},
		wantNot: []string{"chain " + webChain, "dnat to"},
	}, {
		name: "headless, ExternalName and IPv6 services are skipped",
		services: []*v1.Service{
			svc("web", "None", webPorts),
			svc("ext", "", webPorts, func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeExternalName }),
			svc("six", "fd00::1", webPorts),
		},
		slices:  []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"))},
		wantNot: []string{"dnat to", "goto svc-", "reject-chain,", "fd00"},
	}, {
		name:     "ports match slices by name and protocol; UDP gets its own chain",
		services: []*v1.Service{svc("dns", "10.43.0.10", []v1.ServicePort{udp("dns", 53), tcp("dns-tcp", 53, 53)})},
		slices: []*discovery.EndpointSlice{slice("dns-1", "dns",
			[]slicePort{{"dns", v1.ProtocolUDP, 5353}, {"dns-tcp", v1.ProtocolTCP, 5354}}, ep("10.42.0.5"))},
		want: []string{
			"10.43.0.10 . udp . 53 : goto svc-default/dns/udp/dns,",
			"10.43.0.10 . tcp . 53 : goto svc-default/dns/tcp/dns-tcp,",
			"meta l4proto udp dnat to 10.42.0.5:5353",
			"meta l4proto tcp dnat to 10.42.0.5:5354",
		},
	}, {
		name:     "slices of other services and IPv6 slices are ignored",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices: []*discovery.EndpointSlice{
			slice("other-1", "other", webSlice, ep("10.42.0.5")),
			func() *discovery.EndpointSlice {
				s := slice("web-6", "web", webSlice, ep("fd00::5"))
				s.AddressType = discovery.AddressTypeIPv6
				return s
			}(),
		},
		want: []string{"10.43.0.20 . tcp . 80 : goto reject-chain,"},
	}, {
		name:     "unnamed port chain is named after the port number",
		services: []*v1.Service{svc("web", "10.43.0.20", []v1.ServicePort{tcp("", 80, 80)})},
		slices:   []*discovery.EndpointSlice{slice("web-1", "web", []slicePort{{"", v1.ProtocolTCP, 80}}, ep("10.42.0.5"))},
		want:     []string{"10.43.0.20 . tcp . 80 : goto svc-default/web/tcp/p80,"},
	}, {
		name: "ClientIP affinity: per-endpoint timeout sets, looked up first, updated on use",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts, func(s *v1.Service) {
			s.Spec.SessionAffinity = v1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}
		})},
		slices: []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"), ep("10.42.0.6"))},
		want: []string{
			"set affinity-default/web/tcp/http/10.42.0.5/8080 {",
			"flags dynamic,timeout",
			"timeout 60s",
			"ip saddr @affinity-default/web/tcp/http/10.42.0.5/8080 goto " + epChain5,
			"ip saddr @affinity-default/web/tcp/http/10.42.0.6/8080 goto " + epChain6,
			"update @affinity-default/web/tcp/http/10.42.0.6/8080 { ip saddr }",
		},
	}, {
		name:     "bridge CIDR: traffic from the bridge to a bridge endpoint is masqueraded",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts)},
		slices:   []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"), ep("10.42.1.7"))},
		opts:     Options{BridgeCIDR: "10.42.0.1/24"},
		want: []string{
			"ip saddr 10.42.0.0/24 jump mark-for-masquerade",
			"ip saddr 10.42.1.7 jump mark-for-masquerade",
		},
	}, {
		name: "NodePort: dispatched for local destinations, masqueraded; without endpoints rejected",
		services: []*v1.Service{
			svc("web", "10.43.0.20", webPorts, func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = 30080 }),
			svc("empty", "10.43.0.21", webPorts, func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = 30081 }),
		},
		slices: []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5"))},
		want: []string{
			"tcp . 30080 : goto " + webChain + ",",
			"tcp . 30081 : goto reject-chain,",
			"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport @service-nodeports jump mark-for-masquerade",
			"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
		},
	}, {
		name:     "internalTrafficPolicy Local keeps only this node's endpoints",
		services: []*v1.Service{svc("web", "10.43.0.20", webPorts, localOnly)},
		slices:   []*discovery.EndpointSlice{slice("web-1", "web", webSlice, ep("10.42.0.5", onNode("n1")), ep("10.42.1.6", onNode("n2")))},
		opts:     Options{NodeName: "n1"},
		want:     []string{"goto " + epChain5},
		wantNot:  []string{"10.42.1.6"},
	}, {
		name:     "own table name, replaced atomically",
		services: nil,
		opts:     Options{Table: "t1"},
		want:     []string{"table ip t1", "delete table ip t1", "table ip t1 {"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Render(tc.services, tc.slices, tc.opts)
			lines := map[string]bool{}
			for _, l := range strings.Split(got, "\n") {
				lines[strings.TrimSpace(l)] = true
			}
			for _, w := range tc.want {
				if !lines[w] {
					t.Errorf("missing line %q", w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q", w)
				}
			}
			if again := Render(tc.services, tc.slices, tc.opts); again != got {
				t.Errorf("output is not deterministic")
			}
			if t.Failed() {
				t.Logf("script:\n%s", got)
			}
			checkNft(t, got)
		})
	}
}

// checkNft asks nft to parse and validate the script without loading it (-c), when we
// may (root) and can (nft installed).
func checkNft(t *testing.T, script string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	cmd := exec.Command("nft", "-c", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("nft -c rejects the script: %v\n%s\n%s", err, out, script)
	}
}

func TestUnproxiedServicesAreLeftAlone(t *testing.T) {
	dns := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
		Spec: v1.ServiceSpec{ClusterIP: "10.43.0.10", ClusterIPs: []string{"10.43.0.10"},
			Ports: []v1.ServicePort{{Name: "dns", Port: 53, Protocol: v1.ProtocolUDP}}},
	}
	if out := Render([]*v1.Service{dns}, nil, Options{Unproxied: []string{"kube-system/kube-dns"}}); strings.Contains(out, "10.43.0.10") {
		t.Fatalf("kube-dns without endpoints is proxied or rejected:\n%s", out)
	}
}
