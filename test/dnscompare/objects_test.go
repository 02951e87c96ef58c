package dnscompare

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// ns is the namespace the test's objects live in.
const ns = "dnstest"

// bigEndpoints is the number of ready endpoints of the headless Service "big": enough that
// its A answer (about 16 bytes a record, compressed) does not fit 512 or 1232 bytes but
// fits 4096.
const bigEndpoints = 100

// neverReady makes a simulated container run without ever passing readiness.
const neverReady = "sim.ordinal.dev/never-ready"

// cluster is what the test created, read back from the API once everything settled: the
// IPs the questions are built from.
type cluster struct {
	clusterIPs map[string]netip.Addr // Service name → cluster IP ("default/kubernetes" etc. for other namespaces)
	podIPs     map[string]netip.Addr // pod name → IP (namespace ns)
	known      map[netip.Addr]bool   // every IP ordinal's DNS server knows: reverse names of others go upstream
	stsPods    []string              // pods of the StatefulSet "sts"
}

// createObjects creates the test's namespace and objects, covering the cases of the
// Kubernetes DNS specification, and waits until the pods are running (ready unless meant not
// to be) and the EndpointSlice controller lists them.
func createObjects(t *testing.T, client kubernetes.Interface) *cluster {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("creating %s: %v", what, err)
		}
	}
	_, err := client.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must("namespace "+ns, err)

	// web: a ClusterIP Service with named TCP and UDP ports, two pods without hostnames.
	// noports: a headless Service without ports over the same pods (A records, no SRV).
	for _, name := range []string{"web-1", "web-2"} {
		_, err := client.CoreV1().Pods(ns).Create(ctx, pod(name, "web", "", "", false), metav1.CreateOptions{})
		must("pod "+name, err)
	}
	must("service web", createService(ctx, client, service("web", "web", false, false,
		port("http", v1.ProtocolTCP, 80), port("dns", v1.ProtocolUDP, 53), port("dns-tcp", v1.ProtocolTCP, 53))))
	must("service noports", createService(ctx, client, service("noports", "web", true, false)))

	// loner: a pod in no Service, whose IP only the pod records name.
	_, err = client.CoreV1().Pods(ns).Create(ctx, pod("loner", "loner", "", "", false), metav1.CreateOptions{})
	must("pod loner", err)

	// db: a headless Service whose pods have hostname and subdomain, as a StatefulSet's do;
	// db-2 never becomes ready, db-x has no hostname (named by its dashed IP). db-all is a
	// headless Service over the same pods that publishes not-ready addresses.
	for _, p := range []struct {
		name, hostname string
		notReady       bool
	}{{"db-0", "db-0", false}, {"db-1", "db-1", false}, {"db-2", "db-2", true}, {"db-x", "", false}} {
		subdomain := ""
		if p.hostname != "" {
			subdomain = "db"
		}
		_, err := client.CoreV1().Pods(ns).Create(ctx, pod(p.name, "db", p.hostname, subdomain, p.notReady), metav1.CreateOptions{})
		must("pod "+p.name, err)
	}
	must("service db", createService(ctx, client, service("db", "db", true, false,
		port("pg", v1.ProtocolTCP, 5432), port("metrics", v1.ProtocolTCP, 9187))))
	must("service db-all", createService(ctx, client, service("db-all", "db", true, true, port("pg", v1.ProtocolTCP, 5432))))

	// ExternalName Services: to a Service in the zone, to a name outside it, to a name in
	// the zone that does not exist, and to another ExternalName (a chain).
	for name, target := range map[string]string{
		"ext":          "web." + ns + ".svc.cluster.local",
		"ext-out":      "www.example.invalid",
		"ext-dangling": "nothing." + ns + ".svc.cluster.local",
		"ext-chain":    "ext." + ns + ".svc.cluster.local",
	} {
		svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeExternalName, ExternalName: target}}
		must("service "+name, createService(ctx, client, svc))
	}

	// manual: a selector-less ClusterIP Service with a hand-made IPv4 slice; manual-hl: a
	// selector-less headless Service with hand-made IPv4 and IPv6 slices (one port without
	// a name); big: a selector-less headless Service with bigEndpoints ready endpoints;
	// empty-hl: a headless Service whose only endpoint is not ready; noeps: a ClusterIP
	// Service without any slice.
	must("service manual", createService(ctx, client, service("manual", "", false, false, port("http", v1.ProtocolTCP, 8080))))
	must("service empty-hl", createService(ctx, client, service("empty-hl", "", true, false, port("http", v1.ProtocolTCP, 8080))))
	must("service noeps", createService(ctx, client, service("noeps", "", false, false, port("http", v1.ProtocolTCP, 8080))))
	must("service manual-hl", createService(ctx, client, service("manual-hl", "", true, false, port("http", v1.ProtocolTCP, 8080))))
	must("service big", createService(ctx, client, service("big", "", true, false, port("http", v1.ProtocolTCP, 80))))
	made := []*discovery.EndpointSlice{
		endpointSlice("manual-v4", "manual", discovery.AddressTypeIPv4, []discovery.EndpointPort{slicePort("http", v1.ProtocolTCP, 8080)},
			endpoint("10.99.0.1", "alpha", ptr.To(true)),
			endpoint("10.99.0.2", "", ptr.To(true)),
			endpoint("10.99.0.3", "gamma", ptr.To(false)),
			endpoint("10.99.0.4", "", nil), // ready unset counts as ready
		),
		endpointSlice("manual-hl-v4", "manual-hl", discovery.AddressTypeIPv4, []discovery.EndpointPort{slicePort("http", v1.ProtocolTCP, 8080), slicePort("", v1.ProtocolUDP, 8081)},
			endpoint("10.99.1.1", "alpha", ptr.To(true)),
			endpoint("10.99.1.2", "", ptr.To(true)),
			endpoint("10.99.1.3", "", ptr.To(false)),
		),
		endpointSlice("empty-hl-v4", "empty-hl", discovery.AddressTypeIPv4, []discovery.EndpointPort{slicePort("http", v1.ProtocolTCP, 8080)},
			endpoint("10.99.2.1", "", ptr.To(false)),
		),
		endpointSlice("manual-hl-v6", "manual-hl", discovery.AddressTypeIPv6, []discovery.EndpointPort{slicePort("http", v1.ProtocolTCP, 8080)},
			endpoint("fd00:99::1", "beta", ptr.To(true)),
			endpoint("fd00:99::", "", ptr.To(true)), // its dashed name ends in "-"
			endpoint("fd00:99::2:0:0:5", "", ptr.To(true)),
		),
	}
	var bigEps []discovery.Endpoint
	for i := range bigEndpoints {
		bigEps = append(bigEps, endpoint(fmt.Sprintf("10.98.0.%d", i+1), "", ptr.To(true)))
	}
	made = append(made, endpointSlice("big-1", "big", discovery.AddressTypeIPv4, []discovery.EndpointPort{slicePort("http", v1.ProtocolTCP, 80)}, bigEps...))
	for _, s := range made {
		_, err := client.DiscoveryV1().EndpointSlices(ns).Create(ctx, s, metav1.CreateOptions{})
		must("endpointslice "+s.Name, err)
	}

	// sts: a StatefulSet of three with its governing headless Service.
	must("service sts", createService(ctx, client, service("sts", "sts", true, false, port("web", v1.ProtocolTCP, 80))))
	_, err = client.AppsV1().StatefulSets(ns).Create(ctx, statefulSet("sts", 3), metav1.CreateOptions{})
	must("statefulset sts", err)

	waitSettled(t, client)
	return readCluster(t, client, made)
}

func createService(ctx context.Context, client kubernetes.Interface, svc *v1.Service) error {
	_, err := client.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
	return err
}

func pod(name, app, hostname, subdomain string, notReady bool) *v1.Pod {
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: v1.PodSpec{
			Hostname:                      hostname,
			Subdomain:                     subdomain,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers:                    []v1.Container{{Name: "c", Image: "busybox"}},
		},
	}
	if notReady {
		p.Annotations = map[string]string{neverReady: "true"}
	}
	return p
}

func port(name string, proto v1.Protocol, n int32) v1.ServicePort {
	return v1.ServicePort{Name: name, Protocol: proto, Port: n, TargetPort: intstr.FromInt32(n)}
}

// service is a Service in ns selecting app (none when app is "").
func service(name, app string, headless, publishNotReady bool, ports ...v1.ServicePort) *v1.Service {
	s := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1.ServiceSpec{Ports: ports, PublishNotReadyAddresses: publishNotReady},
	}
	if app != "" {
		s.Spec.Selector = map[string]string{"app": app}
	}
	if headless {
		s.Spec.ClusterIP = v1.ClusterIPNone
	}
	return s
}

func endpointSlice(name, svc string, family discovery.AddressType, ports []discovery.EndpointPort, eps ...discovery.Endpoint) *discovery.EndpointSlice {
	return &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			discovery.LabelServiceName: svc,
			discovery.LabelManagedBy:   "dnscompare.test",
		}},
		AddressType: family,
		Ports:       ports,
		Endpoints:   eps,
	}
}

func slicePort(name string, proto v1.Protocol, n int32) discovery.EndpointPort {
	return discovery.EndpointPort{Name: ptr.To(name), Protocol: ptr.To(proto), Port: ptr.To(n)}
}

func endpoint(ip, hostname string, ready *bool) discovery.Endpoint {
	e := discovery.Endpoint{Addresses: []string{ip}, Conditions: discovery.EndpointConditions{Ready: ready}}
	if hostname != "" {
		e.Hostname = ptr.To(hostname)
	}
	return e
}

func statefulSet(name string, replicas int32) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: name,
			Replicas:    ptr.To(replicas),
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: v1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					Containers:                    []v1.Container{{Name: "c", Image: "busybox", Ports: []v1.ContainerPort{{Name: "web", ContainerPort: 80}}}},
				},
			},
		},
	}
}

// settleTimeout bounds the wait for pods to run and slices to list them.
const settleTimeout = 90 * time.Second

// waitSettled waits until every pod of ns has an IP and is ready (db-2 running but not
// ready), the StatefulSet has all its pods, and the controller-made EndpointSlices list
// them as the test expects.
func waitSettled(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	// ready endpoints expected per Service from the EndpointSlice controller
	want := map[string]int{"web": 2, "noports": 2, "db": 3, "db-all": 4, "sts": 3}
	var last string
	deadline := time.Now().Add(settleTimeout)
	for {
		last = settled(ctx, client, want)
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("objects not settled within %v: %s", settleTimeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settled returns "" when the cluster is as waitSettled wants it, else what is missing.
func settled(ctx context.Context, client kubernetes.Interface, want map[string]int) string {
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	if len(pods.Items) != 10 {
		return fmt.Sprintf("%d pods, want 10 (7 bare, 3 of sts)", len(pods.Items))
	}
	for _, p := range pods.Items {
		if p.Status.PodIP == "" || p.Status.Phase != v1.PodRunning {
			return fmt.Sprintf("pod %s: phase %s, IP %q", p.Name, p.Status.Phase, p.Status.PodIP)
		}
		if ready := podReady(&p); ready == (p.Annotations[neverReady] == "true") {
			return fmt.Sprintf("pod %s: ready=%v", p.Name, ready)
		}
	}
	eps, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	got := map[string]int{}
	for _, s := range eps.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				got[s.Labels[discovery.LabelServiceName]] += len(e.Addresses)
			}
		}
	}
	for svc, n := range want {
		if got[svc] != n {
			return fmt.Sprintf("service %s: %d ready endpoint addresses in its slices, want %d", svc, got[svc], n)
		}
	}
	return ""
}

func podReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// readCluster reads back the IPs the questions need.
func readCluster(t *testing.T, client kubernetes.Interface, made []*discovery.EndpointSlice) *cluster {
	t.Helper()
	ctx := context.Background()
	c := &cluster{clusterIPs: map[string]netip.Addr{}, podIPs: map[string]netip.Addr{}, known: map[netip.Addr]bool{}}
	svcs, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		ip, err := netip.ParseAddr(s.Spec.ClusterIP)
		if err != nil {
			continue // headless or ExternalName
		}
		key := s.Name
		if s.Namespace != ns {
			key = s.Namespace + "/" + s.Name
		}
		c.clusterIPs[key] = ip
		c.known[ip] = true
	}
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		ip := netip.MustParseAddr(p.Status.PodIP)
		c.podIPs[p.Name] = ip
		c.known[ip] = true
		if p.Labels["app"] == "sts" {
			c.stsPods = append(c.stsPods, p.Name)
		}
	}
	slices.Sort(c.stsPods)
	for _, s := range made {
		for _, e := range s.Endpoints {
			for _, a := range e.Addresses {
				ip := netip.MustParseAddr(a)
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					c.known[ip] = true
				}
			}
		}
	}
	return c
}
