package ingress

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// backend is where a route sends requests: a Service port in the Ingress's namespace, or
// a resource (which ordinal does not serve).
type backend struct {
	namespace string
	service   string
	port      networkingv1.ServiceBackendPort
	resource  bool
	// ingress names the Ingress the backend comes from (namespace/name), for logs.
	ingress string
}

// key names the backend's upstream: "<ns>/<svc>:<port number or name>".
func (b *backend) key() string {
	if b.resource {
		return b.namespace + "/resource"
	}
	port := b.port.Name
	if port == "" {
		port = strconv.Itoa(int(b.port.Number))
	}
	return b.namespace + "/" + b.service + ":" + port
}

// route is one path of a rule.
type route struct {
	// path is the path as written for Exact, and without trailing slashes for Prefix
	// ("" for the Prefix "/", which matches everything).
	path    string
	exact   bool
	backend *backend
}

// matches reports whether the request path p (never empty) is matched by the route.
// Prefix matching is element-wise: /foo matches /foo, /foo/ and /foo/bar, not /foobar.
func (r route) matches(p string) bool {
	if r.exact {
		return p == r.path
	}
	return r.path == "" || p == r.path || strings.HasPrefix(p, r.path+"/")
}

// server holds the routes of every Ingress for one host, in match order.
type server struct {
	routes []route
	// fallback serves requests that match no route: the defaultBackend of the oldest
	// Ingress with rules for this host that has one.
	fallback *backend
}

// table is the routing decision for all our Ingresses.
type table struct {
	exact map[string]*server
	// wildcard holds the servers of *.<domain> hosts, by <domain>.
	wildcard map[string]*server
	catchAll *server
	// fallback serves requests that match nothing else (the cluster's default backend).
	fallback *backend
}

// match picks the backend for a request; host is normalized (see normalizeHost) and path
// is the URL path. Nil means 404.
func (t *table) match(host, path string) *backend {
	if path == "" {
		path = "/"
	}
	srv := t.exact[host]
	if srv == nil {
		if i := strings.IndexByte(host, '.'); i > 0 {
			srv = t.wildcard[host[i+1:]]
		}
	}
	if srv == nil {
		srv = t.catchAll
	}
	if srv != nil {
		for _, r := range srv.routes {
			if r.matches(path) {
				return r.backend
			}
		}
		if srv.fallback != nil {
			return srv.fallback
		}
	}
	return t.fallback
}

// buildTable merges the rules of ings (all ours) into one table. Older Ingresses win
// conflicts, so the order of ings does not matter.
func buildTable(ings []*networkingv1.Ingress) *table {
	t := &table{exact: map[string]*server{}, wildcard: map[string]*server{}}
	seen := map[*server]map[route]bool{}
	rulelessFallback := false
	for _, ing := range oldestFirst(ings) {
		var def *backend
		if ing.Spec.DefaultBackend != nil {
			def = toBackend(ing, *ing.Spec.DefaultBackend)
			// An Ingress with only a defaultBackend configures the cluster's default, as in
			// ingress-nginx; failing that, any Ingress's defaultBackend serves requests that
			// match no rule, as the API describes the field.
			if len(ing.Spec.Rules) == 0 && !rulelessFallback {
				t.fallback, rulelessFallback = def, true
			} else if t.fallback == nil {
				t.fallback = def
			}
		}
		for _, rule := range ing.Spec.Rules {
			srv := t.server(strings.ToLower(rule.Host))
			if seen[srv] == nil {
				seen[srv] = map[route]bool{}
			}
			if def != nil && srv.fallback == nil {
				srv.fallback = def
			}
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				r := toRoute(p)
				id := route{path: r.path, exact: r.exact}
				if seen[srv][id] {
					continue // an older Ingress has this path
				}
				seen[srv][id] = true
				r.backend = toBackend(ing, p.Backend)
				srv.routes = append(srv.routes, r)
			}
		}
	}
	for srv := range seen {
		// Longest path first, Exact before Prefix at equal length. Stable, though paths
		// are unique per server by now.
		slices.SortStableFunc(srv.routes, func(a, b route) int {
			if c := cmp.Compare(len(b.path), len(a.path)); c != 0 {
				return c
			}
			switch {
			case a.exact && !b.exact:
				return -1
			case b.exact && !a.exact:
				return 1
			}
			return 0
		})
	}
	return t
}

func (t *table) server(host string) *server {
	var m map[string]*server
	switch {
	case host == "":
		if t.catchAll == nil {
			t.catchAll = &server{}
		}
		return t.catchAll
	case strings.HasPrefix(host, "*."):
		m, host = t.wildcard, host[2:]
	default:
		m = t.exact
	}
	srv := m[host]
	if srv == nil {
		srv = &server{}
		m[host] = srv
	}
	return srv
}

func toRoute(p networkingv1.HTTPIngressPath) route {
	path := p.Path
	if path == "" {
		path = "/"
	}
	if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
		return route{path: path, exact: true}
	}
	// Prefix, and ImplementationSpecific, which ordinal implements as Prefix.
	return route{path: strings.TrimRight(path, "/")}
}

func toBackend(ing *networkingv1.Ingress, b networkingv1.IngressBackend) *backend {
	out := &backend{namespace: ing.Namespace, ingress: ing.Namespace + "/" + ing.Name}
	if b.Service == nil {
		out.resource = true
		return out
	}
	out.service, out.port = b.Service.Name, b.Service.Port
	return out
}

// oldestFirst orders Ingresses by creation, then by namespace and name, so that the
// older of two conflicting Ingresses wins however the cache lists them.
func oldestFirst(ings []*networkingv1.Ingress) []*networkingv1.Ingress {
	out := slices.Clone(ings)
	slices.SortFunc(out, func(a, b *networkingv1.Ingress) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// normalizeHost turns a request's Host header into the name rules are matched against:
// without port, lower case, without a trailing dot.
func normalizeHost(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}
