package dns_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/endpointslice"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/network/dns"
)

// TestClusterDNS runs the EndpointSlice controller and the DNS server against a real
// control plane, plays the node agent for a StatefulSet-like set of pods, and asks the
// server over UDP and TCP on loopback.
func TestClusterDNS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		DisableControllers: []string{"endpointslice", "endpoints", "endpointslicemirroring"}})
	if err != nil {
		t.Fatal(err)
	}
	// The controller stops before the apiserver does.
	defer cp.Stop()
	defer cancel()
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	factory := informers.NewSharedInformerFactory(client, 0)
	esc, err := endpointslice.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	server, err := dns.New(factory, dns.Options{Upstreams: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go esc.Run(ctx, 5)
	addrs, err := server.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := addrs[0]

	mustCreate(t, func() error {
		_, err := client.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1",
			Labels: map[string]string{"kubernetes.io/hostname": "node-1", v1.LabelTopologyZone: "zone-a"}}}, metav1.CreateOptions{})
		return err
	})
	webPort := []v1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromString("web")}}
	mustCreate(t, func() error {
		_, err := client.CoreV1().Services("default").Create(ctx, &v1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
			Spec:       v1.ServiceSpec{ClusterIP: v1.ClusterIPNone, Selector: map[string]string{"app": "nginx"}, Ports: webPort},
		}, metav1.CreateOptions{})
		return err
	})
	var read *v1.Service
	mustCreate(t, func() (err error) {
		read, err = client.CoreV1().Services("default").Create(ctx, &v1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx-read"},
			Spec:       v1.ServiceSpec{Selector: map[string]string{"app": "nginx"}, Ports: webPort},
		}, metav1.CreateOptions{})
		return err
	})
	waitUntil(t, "the server to sync", func() bool { return server.Ready() })

	ask := func(name string, qtype uint16, network string) *mdns.Msg {
		c := &mdns.Client{Net: network, Timeout: 2 * time.Second}
		m := new(mdns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := c.Exchange(m, addr)
		if err != nil {
			t.Fatalf("%s %s over %s: %v", name, mdns.TypeToString[qtype], network, err)
		}
		return r
	}
	addresses := func(m *mdns.Msg) []string {
		var out []string
		for _, rr := range m.Answer {
			if a, ok := rr.(*mdns.A); ok {
				out = append(out, a.A.String())
			}
		}
		slices.Sort(out)
		return out
	}

	// The ClusterIP Service answers at once, pods or not.
	waitUntil(t, "nginx-read to answer its cluster IP", func() bool {
		return slices.Equal(addresses(ask("nginx-read.default.svc.cluster.local.", mdns.TypeA, "udp")), []string{read.Spec.ClusterIP})
	})

	// The controller is running once it has written the Services' placeholder slices.
	waitUntil(t, "placeholder slices", func() bool {
		l, err := client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 2
	})

	ips := map[string]string{"web-0": "10.42.0.10", "web-1": "10.42.0.11"}
	for _, name := range []string{"web-0", "web-1"} {
		createRunningPod(t, ctx, client, name, ips[name])
	}
	// Nothing is ready yet: the headless name does not exist.
	waitUntil(t, "slices to list the pods", func() bool {
		return ask("nginx.default.svc.cluster.local.", mdns.TypeA, "udp").Rcode == mdns.RcodeNameError
	})
	m := ask("web-0.nginx.default.svc.cluster.local.", mdns.TypeA, "udp")
	if m.Rcode != mdns.RcodeNameError || len(m.Ns) != 1 || m.Ns[0].(*mdns.SOA).Minttl != 5 {
		t.Fatalf("web-0 before Ready: %v", m)
	}

	for _, name := range []string{"web-0", "web-1"} {
		readyAt := setReady(t, ctx, client, name)
		fqdn := name + ".nginx.default.svc.cluster.local."
		waitUntil(t, fqdn+" to answer", func() bool {
			return slices.Equal(addresses(ask(fqdn, mdns.TypeA, "udp")), []string{ips[name]})
		})
		t.Logf("%s answered %v after its pod turned Ready", fqdn, time.Since(readyAt).Round(time.Millisecond))
	}
	if got := addresses(ask("nginx.default.svc.cluster.local.", mdns.TypeA, "tcp")); !slices.Equal(got, []string{"10.42.0.10", "10.42.0.11"}) {
		t.Errorf("nginx over TCP: %v", got)
	}
	srv := ask("_web._tcp.nginx.default.svc.cluster.local.", mdns.TypeSRV, "udp")
	var targets []string
	for _, rr := range srv.Answer {
		s := rr.(*mdns.SRV)
		targets = append(targets, fmt.Sprintf("%d %s", s.Port, s.Target))
	}
	slices.Sort(targets)
	if want := []string{"8080 web-0.nginx.default.svc.cluster.local.", "8080 web-1.nginx.default.svc.cluster.local."}; !slices.Equal(targets, want) {
		t.Errorf("SRV targets %v, want %v (the pods' named port)", targets, want)
	}
	// The ClusterIP Service's SRV record names the Service and its own port.
	if m := ask("_web._tcp.nginx-read.default.svc.cluster.local.", mdns.TypeSRV, "udp"); len(m.Answer) != 1 ||
		m.Answer[0].(*mdns.SRV).Target != "nginx-read.default.svc.cluster.local." || m.Answer[0].(*mdns.SRV).Port != 80 {
		t.Errorf("nginx-read SRV: %v", m.Answer)
	}

	// Scale down: web-1 is deleted (gracefully, as it has a node); its name goes while it
	// terminates.
	if err := client.CoreV1().Pods("default").Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	waitUntil(t, "web-1 to go", func() bool {
		return ask("web-1.nginx.default.svc.cluster.local.", mdns.TypeA, "udp").Rcode == mdns.RcodeNameError
	})
	t.Logf("web-1 stopped answering %v after its deletion", time.Since(deleted).Round(time.Millisecond))
	if got := addresses(ask("nginx.default.svc.cluster.local.", mdns.TypeA, "udp")); !slices.Equal(got, []string{"10.42.0.10"}) {
		t.Errorf("nginx after scale-down: %v", got)
	}
	zero := int64(0)
	if err := client.CoreV1().Pods("default").Delete(ctx, "web-1", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "web-1's PTR to go", func() bool {
		m := ask("11.0.42.10.in-addr.arpa.", mdns.TypePTR, "udp")
		return m.Rcode != mdns.RcodeSuccess || len(m.Answer) == 0
	})
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// createRunningPod creates a StatefulSet-style pod bound to node-1 and reports it running
// with ip, not yet Ready, as a node agent would.
func createRunningPod(t *testing.T, ctx context.Context, client kubernetes.Interface, name, ip string) {
	t.Helper()
	pod, err := client.CoreV1().Pods("default").Create(ctx, &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "nginx"}},
		Spec: v1.PodSpec{
			NodeName: "node-1", Hostname: name, Subdomain: "nginx",
			Containers: []v1.Container{{Name: "nginx", Image: "nginx", Ports: []v1.ContainerPort{{Name: "web", ContainerPort: 8080}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = v1.PodStatus{
		Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}},
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionFalse, LastTransitionTime: metav1.Now()}},
	}
	if _, err := client.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setReady marks the pod Ready and returns when the write was acknowledged.
func setReady(t *testing.T, ctx context.Context, client kubernetes.Interface, name string) time.Time {
	t.Helper()
	pod, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := client.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}
