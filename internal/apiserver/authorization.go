package apiserver

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/fields"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/apiserver/auth/user"
	"ordinal.dev/ordinal/internal/registry"
)

// anonymous is the user of a request without credentials, where one is accepted.
var anonymous = &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}

// authenticateAndAuthorize finds who makes the request and whether they may, answering 401
// or 403 itself when not. The request it returns carries the user (for the registry, which
// records a CSR's requestor) and, for nodes, the NodeRestriction admission check.
func (s *Server) authenticateAndAuthorize(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	u, err := s.authn.Authenticate(r)
	attrs := requestAttributes(r, u)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrNoCredentials) && auth.AnonymousAllowed(attrs):
		u, attrs.User = anonymous, anonymous
	default:
		switch {
		case errors.Is(err, auth.ErrUnauthorized):
			slog.Debug("apiserver: authentication failed", "method", r.Method, "path", r.URL.Path, "err", err)
		case !errors.Is(err, auth.ErrNoCredentials):
			// The credentials could not be checked (storage unavailable): 401 as upstream,
			// but worth knowing.
			slog.Warn("apiserver: cannot authenticate", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		s.writeError(w, r, apierrors.NewUnauthorized("Unauthorized"))
		return r, false
	}
	allowed, reason, err := s.authz.Authorize(r.Context(), attrs)
	if err != nil {
		s.writeError(w, r, apierrors.NewInternalError(err))
		return r, false
	}
	if !allowed {
		s.writeError(w, r, auth.Forbidden(attrs, reason))
		return r, false
	}
	ctx := user.NewContext(r.Context(), u)
	if admit := auth.NodeRestriction(u); admit != nil {
		ctx = registry.WithAdmission(ctx, admit)
	}
	return r.WithContext(ctx), true
}

// requestAttributes describes the request for authorization, as upstream's RequestInfo.
func requestAttributes(r *http.Request, u *user.Info) *auth.Attributes {
	a := &auth.Attributes{User: u, Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	info, ok := parseResourcePath(r)
	if !ok {
		return a
	}
	a.ResourceRequest = true
	a.Verb, a.APIGroup, a.APIVersion = info.Verb, info.Group, info.Version
	a.Namespace, a.Resource, a.Subresource, a.Name = info.Namespace, info.Resource, info.Subresource, info.Name
	if (a.Verb == "list" || a.Verb == "watch") && a.Name == "" {
		// A list or watch of one object (a kubelet watches each Secret it mounts so) is
		// authorized like a get. A selector that does not parse is refused by the list itself.
		if sel, err := fields.ParseSelector(r.URL.Query().Get("fieldSelector")); err == nil {
			if name, ok := sel.RequiresExactMatch("metadata.name"); ok && len(path.IsValidPathSegmentName(name)) == 0 {
				a.Name = name
			}
		}
	}
	return a
}
