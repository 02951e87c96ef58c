package dns

import (
	"context"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// The fixtures are the objects of a small cluster, as the EndpointSlice controller would
// have written them.

func svcObject(ns, name, clusterIP string, ports ...v1.ServicePort) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1.ServiceSpec{ClusterIP: clusterIP, ClusterIPs: []string{clusterIP}, Ports: ports, Selector: map[string]string{"app": name}},
	}
}

func externalName(ns, name, target string) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeExternalName, ExternalName: target},
	}
}

func svcPort(name string, port int32, proto v1.Protocol) v1.ServicePort {
	return v1.ServicePort{Name: name, Port: port, Protocol: proto}
}

type ep struct {
	ip, hostname string
	ready        bool
}

func endpointSlice(ns, name, svc string, ports []v1.ServicePort, eps ...ep) *discovery.EndpointSlice {
	s := &discovery.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discovery.LabelServiceName: svc}},
		AddressType: discovery.AddressTypeIPv4,
	}
	for _, p := range ports {
		p := p
		s.Ports = append(s.Ports, discovery.EndpointPort{Name: &p.Name, Port: &p.Port, Protocol: &p.Protocol})
	}
	for _, e := range eps {
		e := e
		x := discovery.Endpoint{Addresses: []string{e.ip}, Conditions: discovery.EndpointConditions{Ready: &e.ready}}
		if e.hostname != "" {
			x.Hostname = &e.hostname
		}
		s.Endpoints = append(s.Endpoints, x)
	}
	return s
}

func podWithIP(ns, name, ip string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Status:     v1.PodStatus{Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}}},
	}
}

func namespace(name string) *v1.Namespace {
	return &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// ipv6Slice is a slice of IPv6 endpoints without hostnames.
func ipv6Slice(ns, name, svc string, ips ...string) *discovery.EndpointSlice {
	s := endpointSlice(ns, name, svc, nil)
	s.AddressType = discovery.AddressTypeIPv6
	ready := true
	for _, ip := range ips {
		s.Endpoints = append(s.Endpoints, discovery.Endpoint{Addresses: []string{ip}, Conditions: discovery.EndpointConditions{Ready: &ready}})
	}
	return s
}

func clusterObjects() []runtime.Object {
	web := []v1.ServicePort{svcPort("web", 80, v1.ProtocolTCP)}
	return []runtime.Object{
		namespace("default"),
		namespace("kube-system"),
		svcObject("default", "web", "10.43.0.20", svcPort("http", 80, v1.ProtocolTCP), svcPort("", 8443, v1.ProtocolTCP), svcPort("dns", 53, v1.ProtocolUDP)),
		svcObject("kube-system", "kube-dns", "10.43.0.10", svcPort("dns", 53, v1.ProtocolUDP)),
		svcObject("default", "nginx", v1.ClusterIPNone, web...),
		endpointSlice("default", "nginx-abcde", "nginx", web,
			ep{"10.42.0.10", "web-0", true}, ep{"10.42.0.11", "web-1", true}, ep{"10.42.0.12", "web-2", false}),
		endpointSlice("default", "nginx-fghij", "nginx", web, ep{"10.42.0.13", "", true}),
		svcObject("default", "empty", v1.ClusterIPNone, web...),
		endpointSlice("default", "empty-abcde", "empty", web, ep{"10.42.0.20", "", false}),
		svcObject("default", "noports", v1.ClusterIPNone),
		endpointSlice("default", "noports-abcde", "noports", nil, ep{"10.42.0.30", "", true}),
		endpointSlice("default", "web-abcde", "web", []v1.ServicePort{svcPort("http", 8080, v1.ProtocolTCP)}, ep{"10.42.0.50", "", true}),
		externalName("default", "alias", "web.default.svc.cluster.local"),
		externalName("default", "ext", "example.com"),
		podWithIP("default", "lonely", "10.42.0.40"),
		svcObject("default", "v6", v1.ClusterIPNone),
		ipv6Slice("default", "v6-abcde", "v6", "fd00:10::1", "fd00:10::"),
	}
}

// upstream is a stand-in for the host's resolver on loopback: example.com has an address,
// everything else does not exist.
func upstream(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case strings.EqualFold(q.Name, "example.com.") && q.Qtype == mdns.TypeA:
			rr, _ := mdns.NewRR("example.com. 300 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		case strings.EqualFold(q.Name, "example.com."):
		default:
			m.Rcode = mdns.RcodeNameError
			soa, _ := mdns.NewRR(". 60 IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400")
			m.Ns = append(m.Ns, soa)
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// newTestServer serves objects through a fake clientset's informers, with the upstream
// stand-in, once synced.
func newTestServer(t testing.TB, objects ...runtime.Object) (*Server, *fake.Clientset) {
	t.Helper()
	client := fake.NewSimpleClientset(objects...)
	factory := informers.NewSharedInformerFactory(client, 0)
	s, err := New(factory, Options{Upstreams: []string{upstream(t)}, NameserverIPs: []string{"10.43.0.10"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	waitFor(t, "informers to sync", s.Ready)
	return s, client
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// dnsCase is one query and the answer expected, in zone-file text. The SOA serial is
// written as 0 (it is the time of the last change).
type dnsCase struct {
	qname  string
	qtype  uint16
	rcode  int
	answer []string
	ns     []string
	extra  []string
}

func (tc dnsCase) name() string {
	return tc.qname + " " + mdns.TypeToString[tc.qtype]
}

// check runs a case against s (over UDP with EDNS0, so nothing is truncated) and compares
// sections regardless of record order.
func (tc dnsCase) check(t *testing.T, s *Server) {
	t.Helper()
	req := new(mdns.Msg)
	req.SetQuestion(tc.qname, tc.qtype)
	req.SetEdns0(4096, false)
	m := s.reply(context.Background(), req, false)
	if m.Rcode != tc.rcode {
		t.Errorf("rcode %s, want %s", mdns.RcodeToString[m.Rcode], mdns.RcodeToString[tc.rcode])
	}
	if m.Id != req.Id || len(m.Question) != 1 || m.Question[0].Name != tc.qname {
		t.Errorf("reply header/question %v %v", m.Id, m.Question)
	}
	compareSection(t, "answer", m.Answer, tc.answer)
	compareSection(t, "authority", m.Ns, tc.ns)
	var extra []mdns.RR
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != mdns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	compareSection(t, "additional", extra, tc.extra)
}

func compareSection(t *testing.T, what string, got []mdns.RR, want []string) {
	t.Helper()
	var g, w []string
	for _, rr := range got {
		if soa, ok := rr.(*mdns.SOA); ok {
			c := *soa
			c.Serial = 0
			rr = &c
		}
		g = append(g, rr.String())
	}
	for _, s := range want {
		rr, err := mdns.NewRR(s)
		if err != nil {
			t.Fatalf("bad expected record %q: %v", s, err)
		}
		w = append(w, rr.String())
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s section:\n got:\n\t%s\nwant:\n\t%s", what, strings.Join(g, "\n\t"), strings.Join(w, "\n\t"))
	}
}

const soaRR = "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 5"
