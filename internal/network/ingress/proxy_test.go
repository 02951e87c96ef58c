package ingress

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// echoServer answers with its name, the request's body and the headers the proxy set.
func echoServer(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for _, h := range []string{"X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto",
			"X-Forwarded-Scheme", "X-Scheme", "X-Original-Forwarded-For", "X-Request-ID", "Proxy"} {
			w.Header().Set("Echo-"+h, r.Header.Get(h))
		}
		w.Header().Set("Echo-Host", r.Host)
		fmt.Fprintf(w, "%s %s %s", name, r.URL.RequestURI(), body)
	}))
	t.Cleanup(s.Close)
	return s
}

// deadAddress is a loopback address nobody listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func hostPort(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

// proxyFor serves ings with the given upstreams (by backend key) on a test server.
func proxyFor(t *testing.T, ings []*networkingv1.Ingress, upstreams map[string][]string) *httptest.Server {
	t.Helper()
	cfg := &config{table: buildTable(ings), upstreams: map[string]*upstream{}}
	for k, eps := range upstreams {
		cfg.upstreams[k] = &upstream{endpoints: eps, next: new(atomic.Uint32)}
	}
	var p atomic.Pointer[config]
	p.Store(cfg)
	s := httptest.NewServer(newProxy(&p, nil))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, url, host string, header http.Header) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestProxyRoundRobinAndRetry(t *testing.T) {
	a, b := echoServer(t, "a"), echoServer(t, "b")
	ings := []*networkingv1.Ingress{newIngress("web", 0,
		withRule("rr.com", prefix("/", "rr")),
		withRule("retry.com", prefix("/", "retry")),
		withRule("dead.com", prefix("/", "dead")),
		withRule("none.com", prefix("/", "none")),
		withRule("resource.com", resourcePath("/")),
	)}
	p := proxyFor(t, ings, map[string][]string{
		"default/rr:80":    {hostPort(a), hostPort(b)},
		"default/retry:80": {deadAddress(t), hostPort(a), deadAddress(t)},
		"default/dead:80":  {deadAddress(t), deadAddress(t)},
		"default/none:80":  nil,
	})

	counts := map[string]int{}
	for range 6 {
		code, body, _ := get(t, p.URL+"/x", "rr.com", nil)
		if code != http.StatusOK {
			t.Fatalf("rr.com: %d %s", code, body)
		}
		counts[strings.Fields(body)[0]]++
	}
	if counts["a"] != 3 || counts["b"] != 3 {
		t.Errorf("round-robin over two endpoints, 6 requests: got %v", counts)
	}

	// Every request reaches the live endpoint, whichever dead one it starts with; a POST
	// body survives the failed connection attempts.
	for i := range 6 {
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/submit", strings.NewReader(fmt.Sprintf("payload-%d", i)))
		req.Host = "retry.com"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("a /submit payload-%d", i); resp.StatusCode != http.StatusOK || string(body) != want {
			t.Fatalf("retry.com request %d: %d %q, want 200 %q", i, resp.StatusCode, body, want)
		}
	}

	for host, want := range map[string]int{
		"dead.com":     http.StatusBadGateway,
		"none.com":     http.StatusServiceUnavailable,
		"resource.com": http.StatusServiceUnavailable,
		"nowhere.com":  http.StatusNotFound,
	} {
		code, body, _ := get(t, p.URL+"/", host, nil)
		if code != want {
			t.Errorf("%s: got %d, want %d", host, code, want)
		}
		if !strings.Contains(body, fmt.Sprint(want)) {
			t.Errorf("%s: body %q does not say %d", host, body, want)
		}
	}
}

func TestProxyHeaders(t *testing.T) {
	a := echoServer(t, "a")
	p := proxyFor(t, []*networkingv1.Ingress{newIngress("web", 0, withRule("app.com", prefix("/", "web")))},
		map[string][]string{"default/web:80": {hostPort(a)}})
	_, proxyPort, _ := net.SplitHostPort(hostPort(p))

	code, body, h := get(t, p.URL+"/path?q=1", "app.com:"+proxyPort, http.Header{
		"X-Forwarded-For":   {"203.0.113.7"},
		"X-Forwarded-Host":  {"spoofed.com"},
		"X-Real-Ip":         {"203.0.113.8"},
		"Proxy":             {"http://evil"},
		"X-Forwarded-Proto": {"https"},
	})
	if code != http.StatusOK || body != "a /path?q=1 " {
		t.Fatalf("got %d %q", code, body)
	}
	want := map[string]string{
		"Echo-Host":                     "app.com:" + proxyPort,
		"Echo-X-Forwarded-For":          "127.0.0.1",
		"Echo-X-Real-Ip":                "127.0.0.1",
		"Echo-X-Forwarded-Host":         "app.com:" + proxyPort,
		"Echo-X-Forwarded-Port":         proxyPort,
		"Echo-X-Forwarded-Proto":        "http",
		"Echo-X-Forwarded-Scheme":       "http",
		"Echo-X-Scheme":                 "http",
		"Echo-X-Original-Forwarded-For": "203.0.113.7",
		"Echo-Proxy":                    "",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", strings.TrimPrefix(k, "Echo-"), got, v)
		}
	}
	if id := h.Get("Echo-X-Request-Id"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("X-Request-ID: got %q, want 32 hex digits", id)
	}
}

// TestProxyUpgrade sends a WebSocket-style upgrade through the proxy and talks over the
// upgraded connection both ways.
func TestProxyUpgrade(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		fmt.Fprint(rw, "echo: "+line)
		rw.Flush()
	}))
	defer backend.Close()
	p := proxyFor(t, []*networkingv1.Ingress{newIngress("ws", 0, withRule("ws.com", prefix("/socket", "ws")))},
		map[string][]string{"default/ws:80": {hostPort(backend)}})

	conn, err := net.Dial("tcp", hostPort(p))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /socket HTTP/1.1\r\nHost: ws.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: got %s", resp.Status)
	}
	fmt.Fprint(conn, "hello\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "echo: hello\n" {
		t.Fatalf("over the upgraded connection: got %q, %v", line, err)
	}
}
