package apiserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/registry"
)

type nowFunc func() time.Time

// Config is what the server needs.
type Config struct {
	Registry *registry.Registry
	// Tokens maps accepted bearer tokens to the user they authenticate, who may do everything
	// (group system:masters).
	Tokens map[string]string
	// ClientCA is the PEM of the CA whose client certificates authenticate users (CN = user,
	// O = groups), e.g. the certificates nodes obtain by joining; empty: client certificates
	// are not accepted. The TLS listener must request them (tls.RequestClientCert). It must
	// hold a certificate: New panics otherwise.
	ClientCA []byte
	// OpenAPI serves /openapi/v3 (nil: not served).
	OpenAPI http.Handler
	// Ready reports whether the server can take requests (for /readyz).
	Ready func() error
	// Metrics collects request metrics (nil: none).
	Metrics *Metrics
	// NodeStreaming is how pods/log, exec, attach and portforward reach node agents (nil:
	// the agents of this process registered in streaming.Local).
	NodeStreaming *NodeStreaming
}

// Server is the API server's HTTP handler.
type Server struct {
	reg       *registry.Registry
	authn     *auth.Authenticator
	authz     *auth.Authorizer
	openapi   http.Handler
	ready     func() error
	metrics   *Metrics
	nodes     *NodeStreaming
	discovery *discovery
	now       nowFunc
}

// New builds the handler.
func New(cfg Config) *Server {
	s := &Server{reg: cfg.Registry, openapi: cfg.OpenAPI, ready: cfg.Ready, metrics: cfg.Metrics, nodes: cfg.NodeStreaming, now: time.Now}
	s.discovery = newDiscovery(cfg.Registry.Resources())
	objects := auth.NewRegistryObjects(cfg.Registry)
	authn, err := auth.NewAuthenticator(auth.AuthenticatorConfig{Tokens: cfg.Tokens, ClientCA: cfg.ClientCA, Secrets: objects.Secret})
	if err != nil {
		panic(fmt.Sprintf("apiserver: Config.ClientCA: %v", err))
	}
	s.authn, s.authz = authn, auth.NewAuthorizer(objects)
	return s
}

// Version is what /version reports: API level 1.32 (shared/DESIGN.md), which also makes the
// kubectl dispatcher pick its 1.32 client.
var Version = version.Info{
	Major: "1", Minor: "32", GitVersion: "v1.32.13", Platform: "linux/amd64", Compiler: "gc",
}

// ServeHTTP authenticates the request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug in one handler must not take the server down; the client gets a 500 and
		// the log gets the stack.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			slog.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("internal error: %v", p)))
		}
	}()
	if s.metrics != nil {
		w = s.metrics.instrument(w, r)
		defer s.metrics.done(w, r)
	}
	path := r.URL.Path
	// As upstream, health and version are public; everything else needs a token.
	switch path {
	case "/healthz", "/livez":
		writeText(w, http.StatusOK, "ok")
		return
	case "/readyz":
		if s.ready != nil {
			if err := s.ready(); err != nil {
				writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		writeText(w, http.StatusOK, "ok")
		return
	case "/version", "/version/":
		writeJSON(w, http.StatusOK, Version)
		return
	}
	r, ok := s.authenticateAndAuthorize(w, r)
	if !ok {
		return
	}
	switch {
	case path == "/metrics" && s.metrics != nil:
		s.metrics.ServeHTTP(w, r)
	case path == "/openapi/v3" || strings.HasPrefix(path, "/openapi/v3/"):
		if s.openapi == nil {
			s.writeError(w, r, apierrors.NewNotFound(openapiGR, path))
			return
		}
		s.openapi.ServeHTTP(w, r)
	case s.discovery.serve(w, r):
	default:
		s.serveResource(w, r)
	}
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write([]byte(text))
}
