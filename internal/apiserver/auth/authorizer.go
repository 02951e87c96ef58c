package auth

import (
	"context"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Objects is what the authorizer reads to decide on a node's request: the pods bound to the
// node, whose references say which Secrets, ConfigMaps and claims it may read.
type Objects interface {
	// PodsOnNode lists the pods in namespace bound to node (spec.nodeName).
	PodsOnNode(ctx context.Context, namespace, node string) ([]*corev1.Pod, error)
}

// Authorizer decides whether a user may make a request. It is the whole policy: there is no
// RBAC API (docs/COMPATIBILITY.md).
type Authorizer struct {
	objects Objects
}

// NewAuthorizer returns the authorizer; objects answers the node authorizer's questions.
func NewAuthorizer(objects Objects) *Authorizer { return &Authorizer{objects: objects} }

// Authorize reports whether the request is allowed and, if not, why (the reason upstream
// appends to the Forbidden message; often empty). An error means a lookup failed and nothing
// was decided.
func (z *Authorizer) Authorize(ctx context.Context, a *Attributes) (allowed bool, reason string, err error) {
	u := a.User
	switch {
	case u == nil:
		return false, "", nil
	case u.InGroup(user.SystemPrivilegedGroup):
		return true, "", nil
	case !a.ResourceRequest:
		return u.InGroup(user.AllAuthenticated) && discoveryPath(a), "", nil
	case u.Name == user.Anonymous:
		return AnonymousAllowed(a), "", nil
	}
	if node, ok := u.NodeName(); ok {
		return z.authorizeNode(ctx, node, a)
	}
	if u.InGroup(user.NodesGroup) {
		return false, "unknown node for user " + quote(u.Name), nil
	}
	if u.InGroup(user.BootstrappersGroup) && bootstrapperRule.allows(a) {
		return true, "", nil
	}
	return false, "", nil
}

// discoveryPath: what upstream's system:discovery and system:public-info-viewer roles let
// every authenticated user read.
func discoveryPath(a *Attributes) bool {
	if a.Verb != "get" && a.Verb != "head" {
		return false
	}
	switch a.Path {
	case "/api", "/apis", "/openapi", "/version", "/version/", "/healthz", "/livez", "/readyz":
		return true
	}
	for _, prefix := range []string{"/api/", "/apis/", "/openapi/"} {
		if strings.HasPrefix(a.Path, prefix) {
			return true
		}
	}
	return false
}

// AnonymousAllowed reports whether a request without credentials may be served: only the read
// of kube-public/cluster-info, which kubeadm also opens to system:anonymous, so that a
// joining node can fetch the CA it then checks against its pin. Any other request without
// credentials is answered 401, as a kube-apiserver that allows anonymous requests on
// configured endpoints only does.
func AnonymousAllowed(a *Attributes) bool {
	return a.resourceIs("", "configmaps") && a.Verb == "get" && a.Subresource == "" &&
		a.Namespace == metav1.NamespacePublic && a.Name == ClusterInfoConfigMapName
}

// rule allows verbs on resources (resource or resource/subresource) of one API group, like an
// RBAC PolicyRule.
type rule struct {
	verbs     []string
	groups    []string
	resources []string
}

var (
	readVerbs = []string{"get", "list", "watch"}
	coreGroup = []string{""}
)

func (r rule) allows(a *Attributes) bool {
	resource := a.Resource
	if a.Subresource != "" {
		resource += "/" + a.Subresource
	}
	return a.ResourceRequest && slices.Contains(r.verbs, a.Verb) && slices.Contains(r.groups, a.APIGroup) && slices.Contains(r.resources, resource)
}

func anyRuleAllows(rules []rule, a *Attributes) bool {
	return slices.ContainsFunc(rules, func(r rule) bool { return r.allows(a) })
}

// bootstrapperRule is upstream's system:node-bootstrapper role: ask for a certificate and
// watch for it to be issued.
var bootstrapperRule = rule{verbs: []string{"create", "get", "list", "watch"}, groups: []string{"certificates.k8s.io"}, resources: []string{"certificatesigningrequests"}}

func quote(s string) string { return `"` + s + `"` }
