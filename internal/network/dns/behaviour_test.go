package dns

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	mdns "github.com/miekg/dns"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	v1 "k8s.io/api/core/v1"
)

func query(s *Server, name string, qtype uint16, edns uint16, tcp bool) *mdns.Msg {
	req := new(mdns.Msg)
	req.SetQuestion(name, qtype)
	if edns > 0 {
		req.SetEdns0(edns, false)
	}
	return s.reply(context.Background(), req, tcp)
}

func TestNotFoundIsServfailUntilSynced(t *testing.T) {
	client := fake.NewSimpleClientset(clusterObjects()...)
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := New(factory, Options{Upstreams: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	// The informers never start: nothing is known, nothing may be denied.
	if m := query(s, "web.default.svc.cluster.local.", mdns.TypeA, 0, false); m.Rcode != mdns.RcodeServerFailure {
		t.Errorf("unsynced: rcode %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
	// What does not depend on the cluster is answered.
	if m := query(s, "dns-version.cluster.local.", mdns.TypeTXT, 0, false); m.Rcode != mdns.RcodeSuccess || len(m.Answer) != 1 {
		t.Errorf("unsynced dns-version: %v", m)
	}
	// No upstream configured: names outside the zone fail.
	if m := query(s, "example.com.", mdns.TypeA, 0, false); m.Rcode != mdns.RcodeServerFailure {
		t.Errorf("no upstream: rcode %s, want SERVFAIL", mdns.RcodeToString[m.Rcode])
	}
}

func bigHeadless(n int) []runtime.Object {
	var eps []ep
	for i := range n {
		eps = append(eps, ep{fmt.Sprintf("10.42.1.%d", i+1), fmt.Sprintf("web-%d", i), true})
	}
	p := []v1.ServicePort{svcPort("web", 80, v1.ProtocolTCP)}
	return []runtime.Object{svcObject("default", "big", v1.ClusterIPNone, p...), endpointSlice("default", "big-1", "big", p, eps...)}
}

func TestTruncationAndEDNS0(t *testing.T) {
	s, _ := newTestServer(t, bigHeadless(100)...)
	name := "big.default.svc.cluster.local."
	tests := []struct {
		what      string
		edns      uint16
		tcp       bool
		truncated bool
		maxSize   int
	}{
		{"UDP without EDNS0 is cut at 512 bytes", 0, false, true, 512},
		{"UDP with a 1232-byte EDNS0 buffer", 1232, false, true, 1232},
		{"UDP with a 4096-byte EDNS0 buffer holds all", 4096, false, false, 4096},
		{"TCP holds all", 0, true, false, 65535},
	}
	for _, tc := range tests {
		t.Run(tc.what, func(t *testing.T) {
			m := query(s, name, mdns.TypeA, tc.edns, tc.tcp)
			packed, err := m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			if m.Truncated != tc.truncated || len(packed) > tc.maxSize {
				t.Errorf("truncated %v with %d answers in %d bytes", m.Truncated, len(m.Answer), len(packed))
			}
			if !tc.truncated && len(m.Answer) != 100 {
				t.Errorf("%d answers, want 100", len(m.Answer))
			}
			if (m.IsEdns0() != nil) != (tc.edns > 0) {
				t.Errorf("OPT in reply: %v, want %v", m.IsEdns0() != nil, tc.edns > 0)
			}
		})
	}
	req := new(mdns.Msg)
	req.SetQuestion(name, mdns.TypeA)
	req.SetEdns0(4096, false)
	req.IsEdns0().SetVersion(1)
	if m := s.reply(context.Background(), req, false); m.Rcode != mdns.RcodeBadVers {
		t.Errorf("EDNS version 1: rcode %s, want BADVERS", mdns.RcodeToString[m.Rcode])
	}
}

// TestIndexFollowsEvents changes objects through the API and sees each change answered.
func TestIndexFollowsEvents(t *testing.T) {
	s, client := newTestServer(t, clusterObjects()...)
	ctx := context.Background()
	answers := func(name string, qtype uint16) func() bool {
		return func() bool { m := query(s, name, qtype, 0, false); return len(m.Answer) > 0 }
	}
	gone := func(name string) func() bool {
		return func() bool { return query(s, name, mdns.TypeA, 0, false).Rcode == mdns.RcodeNameError }
	}

	// web-2 turns ready.
	slice, err := client.DiscoveryV1().EndpointSlices("default").Get(ctx, "nginx-abcde", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := true
	slice.Endpoints[2].Conditions.Ready = &ready
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web-2 to answer", answers("web-2.nginx.default.svc.cluster.local.", mdns.TypeA))
	waitFor(t, "web-2's PTR", answers("12.0.42.10.in-addr.arpa.", mdns.TypePTR))

	// web-0 leaves.
	slice.Endpoints = slice.Endpoints[1:]
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web-0 to go", gone("web-0.nginx.default.svc.cluster.local."))

	// The slice without hostnames is deleted; the Service goes.
	if err := client.DiscoveryV1().EndpointSlices("default").Delete(ctx, "nginx-fghij", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "10-42-0-13 to go", gone("10-42-0-13.nginx.default.svc.cluster.local."))
	if err := client.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web to go", gone("web.default.svc.cluster.local."))
	waitFor(t, "web's PTR to go", func() bool {
		return query(s, "20.0.43.10.in-addr.arpa.", mdns.TypePTR, 0, false).Rcode == mdns.RcodeNameError
	})

	// A new Service and a slice whose label moves it to another Service.
	if _, err := client.CoreV1().Services("default").Create(ctx, svcObject("default", "db", "10.43.0.30"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "db to answer", answers("db.default.svc.cluster.local.", mdns.TypeA))
	slice.Labels[discovery.LabelServiceName] = "noports"
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "nginx to lose its last endpoints", gone("nginx.default.svc.cluster.local."))
	waitFor(t, "web-1 under noports", answers("web-1.noports.default.svc.cluster.local.", mdns.TypeA))

	// A namespace comes and goes, and with it its names.
	if _, err := client.CoreV1().Namespaces().Create(ctx, namespace("late"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "late's pod names", answers("10-42-0-99.late.pod.cluster.local.", mdns.TypeA))
	if m := query(s, "late.svc.cluster.local.", mdns.TypeA, 0, false); m.Rcode != mdns.RcodeSuccess {
		t.Errorf("late.svc.cluster.local.: rcode %s, want NOERROR", mdns.RcodeToString[m.Rcode])
	}
	if err := client.CoreV1().Namespaces().Delete(ctx, "late", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "late's pod names to go", gone("10-42-0-99.late.pod.cluster.local."))
	waitFor(t, "late.svc to go", gone("late.svc.cluster.local."))
}

func TestPodsVerified(t *testing.T) {
	client := fake.NewSimpleClientset(clusterObjects()...)
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := New(factory, Options{Upstreams: []string{}, PodsVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory.Start(ctx.Done())
	waitFor(t, "sync", s.Ready)
	for _, tc := range []dnsCase{
		{qname: "10-42-0-40.default.pod.cluster.local.", qtype: A, answer: []string{"10-42-0-40.default.pod.cluster.local. 5 IN A 10.42.0.40"}},
		{qname: "10-42-0-40.other.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
		{qname: "10-42-0-99.default.pod.cluster.local.", qtype: A, rcode: nxdomain, ns: []string{soaRR}},
	} {
		t.Run(tc.name(), func(t *testing.T) { tc.check(t, s) })
	}
}

func TestDashed(t *testing.T) {
	for ip, want := range map[string]string{
		"10.42.0.5":   "10-42-0-5",
		"2001:db8::1": "2001-db8--1",
		"2001:db8::":  "2001-db8--0",
		"::1":         "--1",
	} {
		a := netip.MustParseAddr(ip)
		got := dashed(a)
		if got != want {
			t.Errorf("dashed(%s) = %q, want %q", ip, got, want)
		}
		if back, ok := undashed(got); !ok || back != a {
			t.Errorf("undashed(%q) = %v, %v; want %s", got, back, ok, ip)
		}
	}
}

func TestReverseIP(t *testing.T) {
	for name, want := range map[string]string{
		"1.0.42.10.in-addr.arpa.": "10.42.0.1",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": "2001:db8::1",
		"0.42.10.in-addr.arpa.":     "",
		"300.0.42.10.in-addr.arpa.": "",
	} {
		ip, ok := reverseIP(name)
		if got := ip.String(); (want == "" && ok) || (want != "" && got != want) {
			t.Errorf("reverseIP(%q) = %s, %v; want %q", name, got, ok, want)
		}
	}
}
