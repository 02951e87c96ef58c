package ingress

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

const (
	// maxUpstreamTries is how many endpoints one request tries before it fails, as
	// ingress-nginx's proxy-next-upstream-tries default.
	maxUpstreamTries = 3
	// upstreamConnectTimeout bounds opening a connection to an endpoint, as ingress-nginx's
	// proxy-connect-timeout default: a dead endpoint costs one request this much at most.
	upstreamConnectTimeout = 5 * time.Second
)

// upstreamKey carries the request's *upstream from the handler to the transport.
type upstreamKey struct{}

var errNoUpstream = errors.New("no endpoints")

// upstreamTransport sends each request to the next endpoint of its upstream, round-robin,
// and moves on to the following endpoint when a connection cannot be opened. Only dial
// failures are retried: then nothing of the request has been sent, so even a POST is safe
// to send again.
type upstreamTransport struct {
	base http.RoundTripper
}

// dialFunc opens a connection to an endpoint.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func newUpstreamTransport(dial dialFunc) *upstreamTransport {
	if dial == nil {
		dial = (&net.Dialer{Timeout: upstreamConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return &upstreamTransport{base: &http.Transport{
		// Never through the host's HTTP_PROXY: endpoints are cluster addresses.
		Proxy:                 nil,
		DialContext:           dial,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       60 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Pass Accept-Encoding and compressed bodies through untouched.
		DisableCompression: true,
	}}
}

func (t *upstreamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	up, _ := req.Context().Value(upstreamKey{}).(*upstream)
	if up == nil || len(up.endpoints) == 0 {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errNoUpstream
	}
	n := uint32(len(up.endpoints))
	start := up.next.Add(1) - 1
	tries := min(int(n), maxUpstreamTries)
	hasBody := req.Body != nil && req.Body != http.NoBody
	for i := range tries {
		ep := up.endpoints[(start+uint32(i))%n]
		out := *req
		u := *req.URL
		u.Host = ep
		out.URL = &u
		last := i == tries-1
		var body *keepOpenBody
		if hasBody && !last {
			// The transport closes the body when it fails; keep it open for the next try.
			body = &keepOpenBody{ReadCloser: req.Body}
			out.Body = body
		}
		resp, err := t.base.RoundTrip(&out)
		if err == nil {
			return resp, nil
		}
		if last || !isDialError(err) || (body != nil && body.read.Load()) || req.Context().Err() != nil {
			if body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		slog.Debug("ingress: endpoint unreachable, trying the next one", "endpoint", ep, "err", err)
	}
	return nil, errNoUpstream // not reached: the last try returns
}

// isDialError reports whether err says a connection could not be opened.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// keepOpenBody lets a request body survive a failed try: Close is ignored, and Read
// records that the body was touched, after which the request is not retried.
type keepOpenBody struct {
	io.ReadCloser
	read atomic.Bool
}

func (b *keepOpenBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.ReadCloser.Read(p)
}

func (b *keepOpenBody) Close() error { return nil }
