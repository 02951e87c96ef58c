// Package user names who made a request: the identity the apiserver's authenticators produce,
// the well-known users and groups of Kubernetes, and the request-context plumbing that hands
// the identity to authorization, admission and the registry (which records it, e.g. as a
// CertificateSigningRequest's requestor).
package user

import (
	"context"
	"slices"
	"strings"
)

// Well-known users and groups, as upstream names them.
const (
	// SystemPrivilegedGroup (system:masters) may do everything; the admin token is in it.
	SystemPrivilegedGroup = "system:masters"
	// NodesGroup holds every node agent's identity, system:node:<node name>.
	NodesGroup = "system:nodes"
	// NodeUserPrefix starts a node agent's user name.
	NodeUserPrefix = "system:node:"
	// BootstrappersGroup holds the users of bootstrap tokens, system:bootstrap:<token id>.
	BootstrappersGroup = "system:bootstrappers"
	// BootstrapUserPrefix starts a bootstrap token's user name.
	BootstrapUserPrefix = "system:bootstrap:"
	// AllAuthenticated is added to every authenticated user's groups.
	AllAuthenticated = "system:authenticated"
	// Anonymous is the user of a request without credentials; AllUnauthenticated its group.
	Anonymous          = "system:anonymous"
	AllUnauthenticated = "system:unauthenticated"
)

// Info is an authenticated identity.
type Info struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// InGroup reports whether the user is a member of group.
func (u *Info) InGroup(group string) bool { return u != nil && slices.Contains(u.Groups, group) }

// NodeName returns the node a node agent's identity speaks for: the user must be
// system:node:<name> in the system:nodes group, as upstream's node identifier requires.
func (u *Info) NodeName() (string, bool) {
	if u == nil || !u.InGroup(NodesGroup) {
		return "", false
	}
	name, ok := strings.CutPrefix(u.Name, NodeUserPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

type contextKey struct{}

// NewContext returns ctx carrying u.
func NewContext(ctx context.Context, u *Info) context.Context {
	return context.WithValue(ctx, contextKey{}, u)
}

// From returns the user a request context carries.
func From(ctx context.Context) (*Info, bool) {
	u, ok := ctx.Value(contextKey{}).(*Info)
	return u, ok && u != nil
}
