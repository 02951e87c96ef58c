package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync/atomic"
)

// proxy routes each request by the current config and passes it to an endpoint.
type proxy struct {
	cfg *atomic.Pointer[config]
	rp  *httputil.ReverseProxy
}

func newProxy(cfg *atomic.Pointer[config], dial dialFunc) *proxy {
	return &proxy{cfg: cfg, rp: &httputil.ReverseProxy{
		Rewrite:   rewrite,
		Transport: newUpstreamTransport(dial),
		// Send every write on at once (ingress-nginx turns proxy buffering off): streamed
		// responses and server-sent events must not wait in a buffer.
		FlushInterval: -1,
		ErrorHandler:  upstreamError,
		ErrorLog:      slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
	}}
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := p.cfg.Load()
	if cfg == nil {
		// The caches have not synced yet: say so rather than 404 for a route that exists.
		writeStatus(w, http.StatusServiceUnavailable)
		return
	}
	b := cfg.table.match(normalizeHost(r.Host), r.URL.Path)
	switch {
	case b == nil:
		writeStatus(w, http.StatusNotFound)
	case b.resource:
		// Resource backends belong to controllers that know the resource's kind.
		writeStatus(w, http.StatusServiceUnavailable)
	default:
		up := cfg.upstreams[b.key()]
		if up == nil || len(up.endpoints) == 0 {
			writeStatus(w, http.StatusServiceUnavailable)
			return
		}
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), upstreamKey{}, up)))
	}
}

// rewrite prepares the request for the endpoint as ingress-nginx's default configuration
// does: the Host header unchanged, the client's own forwarding headers replaced by ours
// (an incoming X-Forwarded-For survives as X-Original-Forwarded-For), a new X-Request-ID,
// and no Proxy header (httpoxy). ReverseProxy has already removed hop-by-hop headers and
// the incoming X-Forwarded-For, -Host and -Proto.
func rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	// The transport replaces the host with an endpoint.
	out.URL.Scheme, out.URL.Host = "http", "upstream"
	out.Host = in.Host
	scheme := "http"
	if in.TLS != nil {
		scheme = "https"
	}
	client, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		client = in.RemoteAddr
	}
	port := ""
	if addr, ok := in.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, port, _ = net.SplitHostPort(addr.String())
	}
	h := out.Header
	h.Set("X-Request-ID", fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()))
	h.Set("X-Real-IP", client)
	h.Set("X-Forwarded-For", client)
	h.Set("X-Forwarded-Host", in.Host)
	h.Set("X-Forwarded-Port", port)
	h.Set("X-Forwarded-Proto", scheme)
	h.Set("X-Forwarded-Scheme", scheme)
	h.Set("X-Scheme", scheme)
	if xff := in.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		h.Set("X-Original-Forwarded-For", strings.Join(xff, ", "))
	} else {
		h.Del("X-Original-Forwarded-For")
	}
	h.Del("Proxy")
}

// upstreamError answers a request no endpoint took: 502, or 503 when there was none.
func upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads the answer.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	slog.Debug("ingress: upstream failed", "host", r.Host, "path", r.URL.Path, "err", err)
	if errors.Is(err, errNoUpstream) {
		writeStatus(w, http.StatusServiceUnavailable)
		return
	}
	writeStatus(w, http.StatusBadGateway)
}

// writeStatus answers with a small HTML page, as nginx does for its own errors.
func writeStatus(w http.ResponseWriter, code int) {
	text := fmt.Sprintf("%d %s", code, http.StatusText(code))
	if code == http.StatusServiceUnavailable {
		text = "503 Service Temporarily Unavailable" // nginx's wording
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>ordinal</center>\r\n</body>\r\n</html>\r\n", text, text)
}
