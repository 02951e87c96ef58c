package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The networking checks of issue 5 with real containers: names resolved from a busybox pod
// through the cluster DNS (short names through the search path, pod FQDNs, the headless
// Service's set, SRV), a ClusterIP answering through the service proxy from a pod and from
// the node, NodePort and ClientIP affinity, records and endpoints following a scale-down,
// the ingress by host and by path, and port-forward to a Service.

const realWebStatefulSet = `
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector: {app: web}
  ports:
  - {name: http, port: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web-read
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html && exec httpd -f -p 80 -h /www"]
        ports:
        - {name: http, containerPort: 80}
        readinessProbe:
          tcpSocket: {port: 80}
          periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: client
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
`

func TestClusterNetworkingWithRealPods(t *testing.T) {
	c, k := newSession(t, withProcessRuntime())
	k.apply(realWebStatefulSet)
	k.run("rollout", "status", "statefulset/web", "--timeout=90s")
	k.run("wait", "--for=condition=Ready", "pod/client", "--timeout=60s")

	podIP := map[string]string{}
	for _, p := range []string{"web-0", "web-1", "web-2"} {
		podIP[p] = k.jsonpath("{.status.podIP}", "pod", p)
	}
	clusterIP := k.jsonpath("{.spec.clusterIP}", "service", "web-read")
	exec := func(args ...string) string {
		return k.run(append([]string{"exec", "client", "--"}, args...)...)
	}
	// busybox's nslookup exits 1 when any of the names it tried (the search list, A and AAAA)
	// was not found, even if one was: its answers are read from the output instead.
	lookup := func(args ...string) []string {
		return addresses(k.try(append([]string{"exec", "client", "--", "nslookup"}, args...)...).stdout)
	}

	t.Run("pod FQDNs, and short names through the search path", func(t *testing.T) {
		for _, p := range []string{"web-0", "web-1", "web-2"} {
			name := p + ".web.default.svc.cluster.local"
			if got := lookup(name); !equal(got, []string{podIP[p]}) {
				t.Errorf("nslookup %s = %v, want [%s]", name, got, podIP[p])
			}
		}
		// busybox's nslookup searches only for names without dots; libc's resolver (ndots:5
		// in the pod's resolv.conf) tries the search list for these first.
		for _, name := range []string{"web-0.web", "web-1.web.default", "web-2.web.default.svc"} {
			pod := strings.SplitN(name, ".", 2)[0]
			if got := exec("wget", "-qO-", "http://"+name+"/"); strings.TrimSpace(got) != "hello from "+pod {
				t.Errorf("wget http://%s/ = %q, want hello from %s", name, got, pod)
			}
		}
	})
	t.Run("the headless service lists every ready pod", func(t *testing.T) {
		want := []string{podIP["web-0"], podIP["web-1"], podIP["web-2"]}
		if got := lookup("web"); !equal(got, want) {
			t.Errorf("nslookup web = %v, want %v", got, want)
		}
		if got := lookup("web-read"); !equal(got, []string{clusterIP}) {
			t.Errorf("nslookup web-read = %v, want [%s]", got, clusterIP)
		}
	})
	t.Run("SRV records name each pod", func(t *testing.T) {
		out := exec("nslookup", "-type=SRV", "_http._tcp.web.default.svc.cluster.local")
		for _, p := range []string{"web-0", "web-1", "web-2"} {
			if !strings.Contains(out, p+".web.default.svc.cluster.local") {
				t.Errorf("SRV answer lacks %s:\n%s", p, out)
			}
		}
		if !strings.Contains(out, " 80 ") {
			t.Errorf("SRV answer lacks port 80:\n%s", out)
		}
	})
	t.Run("a ClusterIP answers from a pod and from the node", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 30 && len(seen) < 2; i++ {
			seen[strings.TrimSpace(exec("wget", "-qO-", "http://web-read"))] = true
		}
		if len(seen) < 2 {
			t.Errorf("30 requests from a pod to web-read reached only %v; want the load spread over the pods", seen)
		}
		out := c.hostRun(t, "curl", "-sS", "--max-time", "5", "http://"+clusterIP+"/")
		if !strings.HasPrefix(out, "hello from web-") {
			t.Errorf("curl http://%s from the node = %q", clusterIP, out)
		}
	})
	t.Run("NodePort and ClientIP affinity", func(t *testing.T) {
		k.apply(`
apiVersion: v1
kind: Service
metadata:
  name: web-sticky
spec:
  type: NodePort
  sessionAffinity: ClientIP
  selector: {app: web}
  ports:
  - {port: 80, targetPort: http}
`)
		port := k.jsonpath("{.spec.ports[0].nodePort}", "service", "web-sticky")
		url := "http://" + net.JoinHostPort(c.netns.nsIP, port) + "/"
		var first string
		eventually(t, 10*time.Second, func() string {
			if status, body := httpStatus(url, ""); status != http.StatusOK {
				return fmt.Sprintf("NodePort %s: %d %s", port, status, body)
			}
			return ""
		})
		for i := 0; i < 10; i++ {
			got := httpGet(t, url, "")
			if first == "" {
				first = got
			} else if got != first {
				t.Fatalf("ClientIP affinity broken: request %d answered %q, the first %q", i, got, first)
			}
		}
		if !strings.HasPrefix(first, "hello from web-") {
			t.Errorf("NodePort %s answered %q", port, first)
		}
	})
	t.Run("port-forward to a service", func(t *testing.T) {
		s := k.start("port-forward", "svc/web-read", ":80")
		defer s.stop()
		line := s.next("Forwarding from 127.0.0.1:")
		local := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)
		if local == nil {
			t.Fatalf("port-forward printed %q", line)
		}
		if got := httpGet(t, "http://127.0.0.1:"+local[1]+"/", ""); !strings.HasPrefix(got, "hello from web-") {
			t.Errorf("through port-forward: %q", got)
		}
	})
	t.Run("the ingress routes by host and by path", func(t *testing.T) {
		k.apply(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: web.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-read, port: {name: http}}}}
  - http:
      paths:
      - {path: /index.html, pathType: Exact, backend: {service: {name: web-0, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: web-0
spec:
  selector: {statefulset.kubernetes.io/pod-name: web-0}
  ports:
  - {port: 80, targetPort: 80}
`)
		ingress := "http://" + net.JoinHostPort(c.netns.nsIP, "8080")
		eventually(t, 20*time.Second, func() string {
			if got := httpGet(t, ingress+"/", "web.example"); !strings.HasPrefix(got, "hello from web-") {
				return fmt.Sprintf("Host: web.example answered %q", got)
			}
			return ""
		})
		// The rule without a host sends /index.html to web-0 alone.
		for i := 0; i < 5; i++ {
			if got := httpGet(t, ingress+"/index.html", ""); got != "hello from web-0" {
				t.Errorf("/index.html through the ingress answered %q, want hello from web-0", got)
			}
		}
		if status, _ := httpStatus(ingress+"/elsewhere", ""); status != http.StatusNotFound {
			t.Errorf("an unmatched path answered %d, want 404", status)
		}
	})
	t.Run("scale-down removes records and endpoints promptly", func(t *testing.T) {
		k.run("scale", "statefulset/web", "--replicas=1")
		start := time.Now()
		eventually(t, 30*time.Second, func() string {
			if got := lookup("web-2.web.default.svc.cluster.local"); len(got) > 0 {
				return fmt.Sprintf("web-2.web.default.svc.cluster.local still resolves to %v", got)
			}
			if got := lookup("web"); !equal(got, []string{podIP["web-0"]}) {
				return fmt.Sprintf("nslookup web = %v, want [%s]", got, podIP["web-0"])
			}
			if got := k.jsonpath("{.subsets[*].addresses[*].ip}", "endpoints", "web"); got != podIP["web-0"] {
				return fmt.Sprintf("endpoints web = %q, want %s", got, podIP["web-0"])
			}
			return ""
		})
		t.Logf("records and endpoints followed the scale-down %v after kubectl scale returned", time.Since(start).Round(time.Millisecond))
	})
}

// addresses are the IPv4 answers in nslookup's output (the server's own address excluded).
func addresses(out string) []string {
	var ips []string
	sc := bufio.NewScanner(strings.NewReader(out))
	answers := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Name:") {
			answers = true
		}
		if !answers || !strings.HasPrefix(line, "Address:") {
			continue
		}
		ip := strings.TrimSpace(strings.TrimPrefix(line, "Address:"))
		if net.ParseIP(ip).To4() != nil {
			ips = append(ips, ip)
		}
	}
	sort.Strings(ips)
	return ips
}

func equal(got, want []string) bool {
	want = append([]string(nil), want...)
	sort.Strings(want)
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// httpGet fetches url (with a Host header when host is set) and fails t unless it answers 200.
func httpGet(t *testing.T, url, host string) string {
	t.Helper()
	status, body := httpStatus(url, host)
	if status != http.StatusOK {
		t.Fatalf("GET %s (Host %q): status %d: %s", url, host, status, body)
	}
	return strings.TrimSpace(body)
}

// httpStatus fetches url and returns the status (0 when the request failed) and body.
func httpStatus(url, host string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err.Error()
	}
	if host != "" {
		req.Host = host
	}
	// A new connection each time: ClientIP affinity and load spreading are per connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
