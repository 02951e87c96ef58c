package apiserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/registry"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
	"ordinal.dev/ordinal/internal/storage"
)

func twoContainerPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid-1"},
		Spec: corev1.PodSpec{
			NodeName:       "n",
			InitContainers: []corev1.Container{{Name: "init"}},
			Containers:     []corev1.Container{{Name: "a"}, {Name: "b"}},
		},
	}
}

func TestValidateContainer(t *testing.T) {
	pod := twoContainerPod()
	for _, tc := range []struct {
		pod       *corev1.Pod
		container string
		want      string
		wantErr   string
	}{
		{pod: pod, container: "b", want: "b"},
		{pod: pod, container: "init", want: "init"},
		{pod: pod, container: "", wantErr: "a container name must be specified for pod p, choose one of: [init a b]"},
		{pod: pod, container: "x", wantErr: "container x is not valid for pod p"},
		{pod: &corev1.Pod{ObjectMeta: pod.ObjectMeta, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "only"}}}}, want: "only"},
		{pod: &corev1.Pod{ObjectMeta: pod.ObjectMeta}, wantErr: "a container name must be specified for pod p"},
	} {
		got, err := validateContainer(tc.container, tc.pod)
		if tc.wantErr != "" {
			if !apierrors.IsBadRequest(err) || err.Error() != tc.wantErr {
				t.Errorf("%q: error %v, want 400 %q", tc.container, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.container, got, err, tc.want)
		}
	}
}

func TestNodeTarget(t *testing.T) {
	pod := twoContainerPod()
	for _, tc := range []struct {
		subresource, query string
		want               string
		wantErr            string
		wantCode           int32
	}{
		{subresource: "log", query: "container=a&follow=true&tailLines=5&timestamps=1&sinceSeconds=10&limitBytes=100&previous=false",
			want: "/containerLogs/ns/p/a?follow=true&limitBytes=100&sinceSeconds=10&tailLines=5&timestamps=true"},
		{subresource: "log", query: "container=a&sinceTime=2026-01-02T03:04:05Z", want: "/containerLogs/ns/p/a?sinceTime=2026-01-02T03%3A04%3A05Z"},
		{subresource: "log", query: "container=a&tailLines=-1", wantCode: 422, wantErr: `PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`},
		{subresource: "log", query: "container=a&limitBytes=0", wantCode: 422, wantErr: "limitBytes: Invalid value: 0: must be greater than 0"},
		{subresource: "log", query: "container=a&sinceSeconds=0", wantCode: 422, wantErr: "sinceSeconds: Invalid value: 0: must be greater than 0"},
		{subresource: "log", query: "container=a&sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", wantCode: 422, wantErr: "at most one of `sinceTime` or `sinceSeconds` may be specified"},
		{subresource: "log", query: "container=a&tailLines=many", wantCode: 400, wantErr: `tailLines: invalid number "many"`},
		{subresource: "log", query: "container=a&follow=maybe", wantCode: 400, wantErr: `follow: invalid boolean "maybe"`},
		{subresource: "log", query: "", wantCode: 400, wantErr: "a container name must be specified for pod p, choose one of: [init a b]"},
		{subresource: "exec", query: "container=b&command=sh&command=-c&command=exit+3&stdin=true&stdout=true&tty=true&extra=x",
			want: "/exec/ns/p/uid-1/b?command=sh&command=-c&command=exit+3&stdin=true&stdout=true&tty=true"},
		{subresource: "attach", query: "container=a&stdin=true&stdout=true&command=ignored", want: "/attach/ns/p/uid-1/a?stdin=true&stdout=true"},
		{subresource: "exec", query: "container=x&command=true", wantCode: 400, wantErr: "container x is not valid for pod p"},
		{subresource: "portforward", query: "ports=80&ports=8080", want: "/portForward/ns/p/uid-1"},
		{subresource: "portforward", query: "ports=0", wantCode: 400, wantErr: `invalid port "0"`},
	} {
		q, _ := url.ParseQuery(tc.query)
		got, err := nodeTarget(pod, tc.subresource, q)
		if tc.wantErr != "" {
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Code != tc.wantCode || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s?%s: error %v, want %d %q", tc.subresource, tc.query, err, tc.wantCode, tc.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%s?%s: got %v, %v; want %s", tc.subresource, tc.query, got, err, tc.want)
		}
	}
}

// newTestServer is an apiserver on a fresh etcd, without authentication troubles: the
// token "t" is admin.
func newTestServer(t *testing.T) (*Server, *registry.Registry, string) {
	t.Helper()
	e, err := storage.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	_, cidr, _ := net.ParseCIDR("10.43.0.0/16")
	reg := registry.New(storage.New(e.Client, scheme.Scheme), registry.All(), cidr)
	s := New(Config{Registry: reg, Tokens: map[string]string{"t": "admin"}})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, reg, ts.URL
}

func TestPodStreamErrors(t *testing.T) {
	_, reg, base := newTestServer(t)
	ctx := context.Background()
	create := func(resource, ns string, obj kruntime.Object) {
		t.Helper()
		res, _ := reg.Lookup("", "v1", resource)
		if _, err := reg.Create(ctx, res, ns, obj, false); err != nil {
			t.Fatalf("creating a %s: %v", resource, err)
		}
	}
	create("namespaces", "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}})
	unbound := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "unbound", Namespace: "ns"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	create("pods", "ns", unbound)
	two := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "two", Namespace: "ns"},
		Spec:       corev1.PodSpec{NodeName: "gone", Containers: []corev1.Container{{Name: "a", Image: "busybox"}, {Name: "b", Image: "busybox"}}},
	}
	create("pods", "ns", two)
	remote := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "remote", Namespace: "ns"},
		Spec:       corev1.PodSpec{NodeName: "far", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	create("pods", "ns", remote)
	create("nodes", "", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "far"}})

	for _, tc := range []struct {
		method, path string
		code         int
		message      string
	}{
		{"GET", "/api/v1/namespaces/ns/pods/nope/log", 404, `pods "nope" not found`},
		{"GET", "/api/v1/namespaces/ns/pods/unbound/log", 200, ""},
		{"POST", "/api/v1/namespaces/ns/pods/unbound/exec?command=true&stdout=true", 400, "pod unbound does not have a host assigned"},
		{"GET", "/api/v1/namespaces/ns/pods/unbound/portforward", 400, "pod unbound does not have a host assigned"},
		{"GET", "/api/v1/namespaces/ns/pods/two/log", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"POST", "/api/v1/namespaces/ns/pods/two/exec?container=c&command=true", 400, "container c is not valid for pod two"},
		{"GET", "/api/v1/namespaces/ns/pods/two/attach?container=a&stdout=true", 404, `nodes "gone" not found`},
		{"POST", "/api/v1/namespaces/ns/pods/two/log?container=a", 405, "is not supported"},
		{"PUT", "/api/v1/namespaces/ns/pods/two/exec", 405, "is not supported"},
		{"GET", "/api/v1/namespaces/ns/pods/remote/log", 503, "node far's agent is not reachable from the apiserver"},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.code)
			continue
		}
		if tc.code == 200 {
			if len(body) != 0 {
				t.Errorf("%s %s: body %q, want none", tc.method, tc.path, body)
			}
			continue
		}
		var status metav1.Status
		if err := json.Unmarshal(body, &status); err != nil || !strings.Contains(status.Message, tc.message) {
			t.Errorf("%s %s: %s, want a Status saying %q", tc.method, tc.path, body, tc.message)
		}
	}
}

// TestRemoteNode runs a node's streaming server over HTTPS with certificates from the
// cluster CA and reaches it through the apiserver's reverse proxy, upgrades included.
func TestRemoteNode(t *testing.T) {
	pki := t.TempDir()
	if _, err := LoadOrCreatePKI(pki, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	clientCert, err := KubeletClientCertificate(pki)
	if err != nil {
		t.Fatal(err)
	}
	servingCert, err := NodeServingCertificate(pki, "far", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// Issued once: loading again gives the same certificate.
	if again, err := KubeletClientCertificate(pki); err != nil || !bytes.Equal(again.Certificate[0], clientCert.Certificate[0]) {
		t.Errorf("the client certificate was issued again (%v)", err)
	}

	// The node: a running pod on a sim runtime, served over TLS.
	ctx := context.Background()
	rt := sim.New(sim.Options{})
	rt.UpdatePodCIDR(ctx, "10.42.0.0/24")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid-p"},
		Spec:       corev1.PodSpec{NodeName: "far", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if err := rt.RunPodSandbox(ctx, &runtime.SandboxConfig{Pod: pod}); err != nil {
		t.Fatal(err)
	}
	id, _ := rt.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", ContainerID: "sim://" + id, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	agentServer, err := streaming.NewServer(streaming.Config{NodeName: "far", Client: fake.NewClientset(pod), Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	agentCtx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	go agentServer.ServeTLS(agentCtx, ln, servingCert, pool)
	port := ln.Addr().(*net.TCPAddr).Port
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "far"},
		Status: corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "far"}, {Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		},
	}

	// The apiserver's side: NodeStreaming.serve behind a plain HTTP front.
	transport, err := NewNodeTransport(clientCert, caPEM)
	if err != nil {
		t.Fatal(err)
	}
	ns := &NodeStreaming{Transport: transport}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, err := nodeTarget(pod, strings.TrimPrefix(r.URL.Path, "/"), r.URL.Query())
		if err != nil {
			t.Error(err)
			return
		}
		ns.serve(w, r, node, target, func(err error) { http.Error(w, err.Error(), http.StatusBadGateway) })
	}))
	defer front.Close()

	resp, err := http.Get(front.URL + "/log?container=c")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `sim: container "c" started`) {
		t.Errorf("logs through the proxy: %d %q", resp.StatusCode, body)
	}

	q := url.Values{"container": {"c"}, "command": {"sh", "-c", "echo hi; exit 3"}, "stdout": {"true"}}
	for name, newExecutor := range map[string]func() (remotecommand.Executor, error){
		"websocket": func() (remotecommand.Executor, error) {
			return remotecommand.NewWebSocketExecutor(&rest.Config{Host: front.URL}, "GET", front.URL+"/exec?"+q.Encode())
		},
		"spdy": func() (remotecommand.Executor, error) {
			u, _ := url.Parse(front.URL + "/exec?" + q.Encode())
			return remotecommand.NewSPDYExecutor(&rest.Config{Host: front.URL}, "POST", u)
		},
	} {
		ex, err := newExecutor()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err = ex.StreamWithContext(sctx, remotecommand.StreamOptions{Stdout: &out})
		cancel()
		var exit utilexec.CodeExitError
		if !errors.As(err, &exit) || exit.Code != 3 || out.String() != "hi\n" {
			t.Errorf("%s exec through the proxy: %q, %v", name, out.String(), err)
		}
	}

	// Without the apiserver's certificate the node serves nobody.
	anonymous := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if resp, err := anonymous.Get("https://" + ln.Addr().String() + "/containerLogs/ns/p/c"); err == nil {
		resp.Body.Close()
		t.Errorf("a client without a certificate got %d", resp.StatusCode)
	}
	other, err := loadOrIssue(pki, "someone", &x509.Certificate{
		Subject: pkix.Name{CommonName: "someone-else"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	impostor := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{other}}}}
	resp, err = impostor.Get("https://" + ln.Addr().String() + "/containerLogs/ns/p/c")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a client certificate for someone else got %d, want 403", resp.StatusCode)
	}
}
