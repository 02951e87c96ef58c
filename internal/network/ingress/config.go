package ingress

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"

	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
)

// config is one immutable snapshot of everything a request needs.
type config struct {
	table     *table
	upstreams map[string]*upstream // by backend key
	certs     *certificates
}

// refs names the Services and Secrets the current Ingresses use ("namespace/name"), so
// that events about any other one do not cause a rebuild.
type refs struct {
	services map[string]bool
	secrets  map[string]bool
}

// refsOf lists what ings (ours) refer to.
func refsOf(ings []*networkingv1.Ingress) *refs {
	r := &refs{services: map[string]bool{}, secrets: map[string]bool{}}
	add := func(ns string, b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil {
			r.services[ns+"/"+b.Service.Name] = true
		}
	}
	for _, ing := range ings {
		add(ing.Namespace, ing.Spec.DefaultBackend)
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for i := range rule.HTTP.Paths {
				add(ing.Namespace, &rule.HTTP.Paths[i].Backend)
			}
		}
		for _, t := range ing.Spec.TLS {
			if t.SecretName != "" {
				r.secrets[ing.Namespace+"/"+t.SecretName] = true
			}
		}
	}
	return r
}

// backends lists every backend the table routes to, each key once.
func (t *table) backends() []*backend {
	seen := map[string]bool{}
	var out []*backend
	add := func(b *backend) {
		if b != nil && !b.resource && !seen[b.key()] {
			seen[b.key()] = true
			out = append(out, b)
		}
	}
	add(t.fallback)
	servers := []*server{t.catchAll}
	for _, m := range []map[string]*server{t.exact, t.wildcard} {
		for _, srv := range m {
			servers = append(servers, srv)
		}
	}
	for _, srv := range servers {
		if srv == nil {
			continue
		}
		add(srv.fallback)
		for _, r := range srv.routes {
			add(r.backend)
		}
	}
	return out
}

// cachedCert is a parsed TLS Secret, kept while its resourceVersion stays the same.
type cachedCert struct {
	resourceVersion string
	cert            *tls.Certificate
	err             error
}

// rebuild makes a new config from the informers' caches and swaps it in. It runs on one
// goroutine only (certCache is its own).
func (c *Controller) rebuild() {
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		slog.Error("ingress: listing IngressClasses", "err", err)
		return
	}
	all, err := c.ingresses.List(labels.Everything())
	if err != nil {
		slog.Error("ingress: listing Ingresses", "err", err)
		return
	}
	var ours []*networkingv1.Ingress
	for _, ing := range all {
		if isOurs(ing, classes) {
			ours = append(ours, ing)
		}
	}
	// Publish the references before reading Services, EndpointSlices and Secrets: an
	// event for one of them that arrives while this runs either sees the new references
	// (and asks for another rebuild) or came before the reads below (which then see it).
	c.refs.Store(refsOf(ours))

	prev := c.cfg.Load()
	cfg := &config{table: buildTable(ours), upstreams: map[string]*upstream{}}
	for _, b := range cfg.table.backends() {
		key := b.key()
		svc, _ := c.services.Services(b.namespace).Get(b.service)
		var eps []*discoveryv1.EndpointSlice
		if svc != nil {
			eps, _ = c.slices.EndpointSlices(b.namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: b.service}))
		}
		up := &upstream{endpoints: resolveUpstream(svc, eps, b.port), next: new(atomic.Uint32)}
		if prev != nil && prev.upstreams[key] != nil {
			old := prev.upstreams[key]
			if slices.Equal(old.endpoints, up.endpoints) {
				up = old
			} else {
				up.next = old.next
			}
		}
		cfg.upstreams[key] = up
	}

	used := map[string]bool{}
	certs, errs := buildCertificates(ours, func(ns, name string) (*tls.Certificate, error) {
		key := ns + "/" + name
		used[key] = true
		secret, err := c.secrets.Secrets(ns).Get(name)
		if apierrors.IsNotFound(err) {
			delete(c.certCache, key)
			return nil, errors.New("not found")
		}
		if err != nil {
			return nil, err
		}
		if cc, ok := c.certCache[key]; ok && cc.resourceVersion == secret.ResourceVersion {
			return cc.cert, cc.err
		}
		cert, err := parseTLSSecret(secret)
		c.certCache[key] = cachedCert{resourceVersion: secret.ResourceVersion, cert: cert, err: err}
		if err != nil {
			// Logged once per Secret version, not on every rebuild.
			slog.Warn("ingress: TLS secret is unusable, serving the default certificate", "secret", key, "err", err)
		}
		return cert, err
	}, c.fake)
	for key := range c.certCache {
		if !used[key] {
			delete(c.certCache, key)
		}
	}
	for _, err := range errs {
		slog.Debug("ingress: TLS", "err", err)
	}
	cfg.certs = certs
	c.cfg.Store(cfg)
}

// objectKey names an object as refs does.
func objectKey(namespace, name string) string { return namespace + "/" + name }

// isReferencedService reports whether a Service (or its EndpointSlice's service) is used by
// the current config; before the first config everything is.
func (c *Controller) isReferencedService(namespace, name string) bool {
	r := c.refs.Load()
	return r == nil || r.services[objectKey(namespace, name)]
}

func (c *Controller) isReferencedSecret(namespace, name string) bool {
	r := c.refs.Load()
	return r == nil || r.secrets[objectKey(namespace, name)]
}
