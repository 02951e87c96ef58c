package ingress_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/network/ingress"
)

// seedIngress is pacman-ingress.yaml from seed 004 (90DaysOfDevOps, day 55), as written.
const seedIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: pacman-ingress
  namespace: pacman
spec:
  rules:
  - host: pacman.com
    http:
      paths:
        - path: /
          pathType: Prefix
          backend:
            service:
              name: pacman
              port: 
                number: 80
`

// TestIngressController runs the controller against a real control plane. Plain HTTP
// servers on loopback play pods; selector-less Services with hand-made EndpointSlices
// point at them (the EndpointSlice controller leaves such Services alone), and requests
// go through the proxy on loopback. EndpointSlices may not name loopback addresses, so the
// slices carry pod IPs and the proxy's dialer maps each to its server on 127.0.0.1.
func TestIngressController(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The test runs its own controller, on ports of its own.
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", DisableControllers: []string{"ingress"}})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)

	// The lead creates the class at start-up; until then (and harmlessly after) the test does.
	if _, err := client.NetworkingV1().IngressClasses().Create(ctx, ingress.DefaultIngressClass(), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}

	pods := &podNetwork{}
	podA, podB := pods.start(t, "pod-a", "10.42.0.10"), pods.start(t, "pod-b", "10.42.0.11")
	createService(t, ctx, client, "default", "app-a", corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")})
	createService(t, ctx, client, "default", "app-b", corev1.ServicePort{Port: 8000, TargetPort: intstr.FromInt32(8080)})
	setEndpoints(t, ctx, client, "default", "app-a", "http", podA)
	setEndpoints(t, ctx, client, "default", "app-b", "", podB)

	factory := informers.NewSharedInformerFactory(client, 0)
	ic, err := ingress.New(client, factory, ingress.Options{HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0", DialEndpoint: pods.dial})
	if err != nil {
		t.Fatal(err)
	}
	ictx, stop := context.WithCancel(ctx)
	// The controller stops before the apiserver does.
	defer stop()
	if err := ic.Start(ictx); err != nil {
		t.Fatal(err)
	}
	httpURL, httpsAddr := "http://"+ic.HTTPAddr(), ic.HTTPSAddr()

	// By host, without a class: the default class `ordinal` makes it ours.
	createIngress(t, ctx, client, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "by-host", Namespace: "default"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{
			rule("a.example.test", prefixPath("/", "app-a", networkingv1.ServiceBackendPort{Name: "http"})),
			rule("b.example.test", prefixPath("/", "app-b", networkingv1.ServiceBackendPort{Number: 8000})),
		}},
	})
	// By path, with the class named.
	createIngress(t, ctx, client, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "by-path", Namespace: "default"},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("ordinal"), Rules: []networkingv1.IngressRule{
			rule("paths.example.test",
				prefixPath("/a", "app-a", networkingv1.ServiceBackendPort{Number: 80}),
				networkingv1.HTTPIngressPath{Path: "/b", PathType: ptr.To(networkingv1.PathTypeExact), Backend: backend("app-b", networkingv1.ServiceBackendPort{Number: 8000})}),
		}},
	})
	// Another controller's Ingress is left alone.
	if _, err := client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createIngress(t, ctx, client, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: "default"},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{
			rule("nginx.example.test", prefixPath("/", "app-a", networkingv1.ServiceBackendPort{Number: 80})),
		}},
	})

	expect := func(host, path, want string) {
		t.Helper()
		var got string
		err := poll(func() bool {
			code, body, _ := request(httpURL+path, host)
			got = fmt.Sprintf("%d %s", code, body)
			return strings.HasPrefix(got, want)
		})
		if err != nil {
			t.Fatalf("%s%s: got %q, want %q", host, path, got, want)
		}
	}
	expect("a.example.test", "/hello", "200 pod-a /hello")
	expect("b.example.test", "/hello", "200 pod-b /hello")
	expect("paths.example.test", "/a/x", "200 pod-a /a/x")
	expect("paths.example.test", "/b", "200 pod-b /b")
	expect("paths.example.test", "/b/x", "404")
	expect("paths.example.test", "/ax", "404")
	expect("nginx.example.test", "/", "404")
	expect("unknown.example.test", "/", "404")

	// The forwarding headers, as ingress-nginx sets them.
	_, _, h := request(httpURL+"/", "a.example.test")
	_, port, _ := net.SplitHostPort(ic.HTTPAddr())
	if h.Get("Echo-X-Forwarded-For") != "127.0.0.1" || h.Get("Echo-X-Forwarded-Proto") != "http" ||
		h.Get("Echo-X-Forwarded-Host") != "a.example.test" || h.Get("Echo-X-Forwarded-Port") != port || h.Get("Echo-Host") != "a.example.test" {
		t.Errorf("forwarding headers: %v", h)
	}

	// Status: ours get the proxy's address and ports; theirs get nothing.
	wantPorts := []networkingv1.IngressPortStatus{
		{Port: portOf(ic.HTTPAddr()), Protocol: corev1.ProtocolTCP}, {Port: portOf(ic.HTTPSAddr()), Protocol: corev1.ProtocolTCP},
	}
	for _, name := range []string{"by-host", "by-path"} {
		waitFor(t, name+"'s status", func() bool {
			ing, err := client.NetworkingV1().Ingresses("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil || len(ing.Status.LoadBalancer.Ingress) != 1 {
				return false
			}
			lb := ing.Status.LoadBalancer.Ingress[0]
			return lb.IP == "127.0.0.1" && fmt.Sprint(lb.Ports) == fmt.Sprint(wantPorts)
		})
	}
	if ing, err := client.NetworkingV1().Ingresses("default").Get(ctx, "theirs", metav1.GetOptions{}); err != nil || len(ing.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("another controller's Ingress got a status: %v %v", ing.Status, err)
	}
	waitFor(t, "the Sync event of by-host", func() bool {
		evs, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
			"involvedObject.kind": "Ingress", "involvedObject.name": "by-host", "reason": "Sync"}.String()})
		return err == nil && len(evs.Items) > 0 && evs.Items[0].Message == "Scheduled for sync"
	})

	// Endpoints move: the route follows the EndpointSlice.
	setEndpoints(t, ctx, client, "default", "app-a", "http", podB)
	expect("a.example.test", "/moved", "200 pod-b /moved")
	setEndpoints(t, ctx, client, "default", "app-a", "http", podA)
	expect("a.example.test", "/back", "200 pod-a /back")

	// A defaultBackend takes what matches nothing; deleting it brings the 404 back.
	createIngress(t, ctx, client, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "fallback", Namespace: "default"},
		Spec:       networkingv1.IngressSpec{DefaultBackend: ptr.To(backend("app-b", networkingv1.ServiceBackendPort{Number: 8000}))},
	})
	expect("unknown.example.test", "/anything", "200 pod-b /anything")
	expect("a.example.test", "/still", "200 pod-a /still")
	deleteIngress(t, ctx, client, "default", "fallback")
	expect("unknown.example.test", "/anything", "404")

	// TLS: the Ingress comes first, its Secret later; until then the host gets the
	// self-signed default certificate.
	createIngress(t, ctx, client, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "secure", Namespace: "default"},
		Spec: networkingv1.IngressSpec{
			TLS:   []networkingv1.IngressTLS{{Hosts: []string{"secure.example.test"}, SecretName: "secure-tls"}},
			Rules: []networkingv1.IngressRule{rule("secure.example.test", prefixPath("/", "app-a", networkingv1.ServiceBackendPort{Name: "http"}))},
		},
	})
	waitFor(t, "secure.example.test on the default certificate", func() bool {
		return servedCertificate(httpsAddr, "secure.example.test") == "Ordinal Ingress Controller Fake Certificate"
	})
	crt, key := selfSigned(t, "secure.example.test")
	if _, err := client.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "secure-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: crt, corev1.TLSPrivateKeyKey: key},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(crt)
	httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "secure.example.test"},
		// Only ever loopback, whatever the URL says.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
		},
	}}
	var got string
	if err := poll(func() bool {
		resp, err := httpsClient.Get("https://secure.example.test/tls")
		if err != nil {
			got = err.Error()
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		got = fmt.Sprintf("%d %s proto=%s", resp.StatusCode, body, resp.Header.Get("Echo-X-Forwarded-Proto"))
		return got == "200 pod-a /tls proto=https"
	}); err != nil {
		t.Fatalf("https://secure.example.test/tls with the Secret's certificate: got %q", got)
	}
	if cn := servedCertificate(httpsAddr, "b.example.test"); cn != "Ordinal Ingress Controller Fake Certificate" {
		t.Errorf("a host without a TLS secret: served %q", cn)
	}

	// The seed's Ingress, as written, reaches the pacman Service (port 80 to 8080).
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pacman"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pacman := pods.start(t, "pacman", "10.42.1.5")
	createService(t, ctx, client, "pacman", "pacman", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP})
	setEndpoints(t, ctx, client, "pacman", "pacman", "", pacman)
	var seed networkingv1.Ingress
	if err := yaml.UnmarshalStrict([]byte(seedIngress), &seed); err != nil {
		t.Fatal(err)
	}
	createIngress(t, ctx, client, &seed)
	expect("pacman.com", "/", "200 pacman /")

	// Removing an Ingress removes its routes, and its status goes with it.
	deleteIngress(t, ctx, client, "default", "by-host")
	expect("a.example.test", "/hello", "404")
	expect("paths.example.test", "/a/x", "200 pod-a /a/x")

	// Moving an Ingress to another class clears the status we wrote.
	ing, err := client.NetworkingV1().Ingresses("default").Get(ctx, "by-path", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Spec.IngressClassName = ptr.To("nginx")
	if _, err := client.NetworkingV1().Ingresses("default").Update(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("paths.example.test", "/a/x", "404")
	waitFor(t, "by-path's status to be cleared", func() bool {
		ing, err := client.NetworkingV1().Ingresses("default").Get(ctx, "by-path", metav1.GetOptions{})
		return err == nil && len(ing.Status.LoadBalancer.Ingress) == 0
	})
}

// podNetwork maps pod addresses (ip:8080) to test servers on loopback.
type podNetwork struct {
	mu   sync.Mutex
	pods map[string]string
}

// start serves "<name> <request URI>" and echoes the forwarding headers, like a web pod
// at ip:8080, and returns ip.
func (n *podNetwork) start(t *testing.T, name, ip string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port"} {
			w.Header().Set("Echo-"+h, r.Header.Get(h))
		}
		w.Header().Set("Echo-Host", r.Host)
		fmt.Fprintf(w, "%s %s", name, r.URL.RequestURI())
	}))
	t.Cleanup(s.Close)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pods == nil {
		n.pods = map[string]string{}
	}
	n.pods[net.JoinHostPort(ip, "8080")] = s.Listener.Addr().String()
	return ip
}

// dial connects to the loopback server of a pod address; it never leaves loopback.
func (n *podNetwork) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	target, ok := n.pods[addr]
	n.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("no pod at %s", addr)}
	}
	return (&net.Dialer{}).DialContext(ctx, network, target)
}

func createService(t *testing.T, ctx context.Context, client kubernetes.Interface, ns, name string, port corev1.ServicePort) {
	t.Helper()
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{port}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setEndpoints makes <svc>-manual, the Service's one EndpointSlice: the pod at podIP,
// port 8080 under the Service port's name.
func setEndpoints(t *testing.T, ctx context.Context, client kubernetes.Interface, ns, svc, portName, podIP string) {
	t.Helper()
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc + "-manual", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{podIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	slices := client.DiscoveryV1().EndpointSlices(ns)
	old, err := slices.Get(ctx, slice.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = slices.Create(ctx, slice, metav1.CreateOptions{})
	case err == nil:
		slice.ResourceVersion = old.ResourceVersion
		_, err = slices.Update(ctx, slice, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func createIngress(t *testing.T, ctx context.Context, client kubernetes.Interface, ing *networkingv1.Ingress) {
	t.Helper()
	ns := ing.Namespace
	if _, err := client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func deleteIngress(t *testing.T, ctx context.Context, client kubernetes.Interface, ns, name string) {
	t.Helper()
	if err := client.NetworkingV1().Ingresses(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func rule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func backend(svc string, port networkingv1.ServiceBackendPort) networkingv1.IngressBackend {
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port}}
}

func prefixPath(p, svc string, port networkingv1.ServiceBackendPort) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(networkingv1.PathTypePrefix), Backend: backend(svc, port)}
}

// request GETs url with the given Host header, as `curl -H 'Host: …'` would.
func request(url, host string) (int, string, http.Header) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error(), nil
	}
	req.Host = host
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// servedCertificate is the common name of the certificate the HTTPS listener at addr
// serves for the TLS server name sni.
func servedCertificate(addr, sni string) string {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// selfSigned returns a PEM certificate (its own CA) and key for host.
func selfSigned(t *testing.T, host string) (crt, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func portOf(addr string) int32 {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return int32(n)
}

func poll(cond func() bool) error {
	return wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 20*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := poll(cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
