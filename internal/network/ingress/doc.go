// Package ingress is ordinal's Ingress controller: an HTTP and HTTPS reverse proxy on the
// host that routes requests to Services' endpoints as networking.k8s.io/v1 Ingresses say,
// and writes the proxy's address into their status.
//
// Which Ingresses are ours ([isOurs]): those whose spec.ingressClassName names an
// IngressClass with spec.controller ordinal.dev/ingress (the class `ordinal`, created at
// start-up by [DefaultIngressClass], is one), those with the legacy annotation
// kubernetes.io/ingress.class naming such a class, and those with neither when the default
// IngressClass (the newest one annotated ingressclass.kubernetes.io/is-default-class, as the
// apiserver's DefaultIngressClass admission picks it) is ours.
//
// Words used in this package:
//
//	server    the rules of every Ingress for one host: an exact host, a wildcard host
//	          (*.example.com, one label) or the catch-all (rules without a host)
//	route     one path of a rule: a path, a pathType and a backend
//	backend   what a route, or an Ingress's spec.defaultBackend, sends to: a Service port in
//	          the Ingress's namespace (or a resource, which ordinal does not serve: 503)
//	upstream  the endpoints (ip:port) a Service backend resolves to, from its EndpointSlices
//	config    one immutable snapshot of routes, upstreams and certificates; rebuilt from
//	          the informers' caches on every relevant change and swapped atomically, so
//	          that a request reads one consistent snapshot and makes no API call
//
// Routing (see [table.match]): the request's Host picks the server (exact host, else the
// wildcard for its parent domain, else the catch-all); within the server the longest
// matching path wins, Exact before Prefix at equal length (ImplementationSpecific is
// Prefix); Prefix matches element-wise (/foo matches /foo and /foo/bar, not /foobar) and
// ignores a trailing slash. A request that matches no path goes to the server's default
// backend (the spec.defaultBackend of the oldest Ingress with rules for that host that has
// one), else to the cluster's default backend (the oldest Ingress without rules that has a
// defaultBackend, else the oldest Ingress with a defaultBackend at all), else gets a 404.
// When Ingresses conflict (the same host, path and pathType), the oldest one wins, as in
// ingress-nginx.
//
// Proxying follows ingress-nginx's defaults: the Host header is passed on unchanged;
// X-Forwarded-For and X-Real-IP carry the client's address (incoming X-Forwarded-For is
// kept as X-Original-Forwarded-For), X-Forwarded-Host the Host, X-Forwarded-Port the port
// the client connected to, X-Forwarded-Proto, X-Forwarded-Scheme and X-Scheme the scheme;
// each request gets an X-Request-ID. Endpoints are used round-robin; a connection that
// cannot be opened is retried on the next endpoint (up to [maxUpstreamTries] endpoints, as
// proxy_next_upstream_tries). A backend without ready endpoints gets 503, an upstream that
// cannot be reached 502. Upgrades (WebSocket) pass through.
//
// TLS: the HTTPS listener picks the certificate by SNI from the Ingresses' spec.tls
// secrets (tls.crt and tls.key, in the Ingress's namespace); a host without one gets a
// self-signed certificate made at start-up.
package ingress
