package ingress

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// request is one routing question and the backend key it should get ("404": none).
type request struct {
	host, path string
	want       string
}

func TestRouting(t *testing.T) {
	tests := []struct {
		name      string
		ingresses []*networkingv1.Ingress
		requests  []request
	}{
		{
			name: "the seed's pacman Ingress: one host, Prefix /",
			ingresses: []*networkingv1.Ingress{newIngress("pacman-ingress", 0, inNamespace("pacman"),
				withRule("pacman.com", prefix("/", "pacman")))},
			requests: []request{
				{"pacman.com", "/", "pacman/pacman:80"},
				{"pacman.com", "/highscores/list", "pacman/pacman:80"},
				{"pacman.com:8080", "/", "pacman/pacman:80"},
				{"PacMan.COM", "/", "pacman/pacman:80"},
				{"pacman.com.", "/", "pacman/pacman:80"},
				{"pacman.com", "", "pacman/pacman:80"},
				{"other.com", "/", "404"},
				{"127.0.0.1:8080", "/", "404"},
			},
		},
		{
			name: "Prefix is element-wise, Exact is exact, longest wins, Exact first at equal length",
			ingresses: []*networkingv1.Ingress{newIngress("paths", 0, withRule("foo.com",
				prefix("/foo", "prefix-foo"),
				exact("/foo", "exact-foo"),
				prefix("/foo/bar", "prefix-foo-bar"),
				prefix("/aaa/bbb", "aaa-bbb"),
				exact("/exact/", "exact-slash"),
				implementationSpecific("/impl", "impl"),
			))},
			requests: []request{
				{"foo.com", "/foo", "default/exact-foo:80"},
				{"foo.com", "/foo/", "default/prefix-foo:80"},
				{"foo.com", "/foo/baz", "default/prefix-foo:80"},
				{"foo.com", "/foobar", "404"},
				{"foo.com", "/foo/bar", "default/prefix-foo-bar:80"},
				{"foo.com", "/foo/bar/", "default/prefix-foo-bar:80"},
				{"foo.com", "/foo/bar/baz", "default/prefix-foo-bar:80"},
				{"foo.com", "/foo/barn", "default/prefix-foo:80"},
				{"foo.com", "/aaa/bbb/ccc", "default/aaa-bbb:80"},
				{"foo.com", "/aaa/bbbxyz", "404"},
				{"foo.com", "/exact", "404"},
				{"foo.com", "/exact/", "default/exact-slash:80"},
				{"foo.com", "/impl/x", "default/impl:80"},
				{"foo.com", "/implx", "404"},
				{"foo.com", "/", "404"},
			},
		},
		{
			// The examples table of the Ingress documentation (concepts/services-networking/ingress).
			name: "the Kubernetes documentation's examples",
			ingresses: []*networkingv1.Ingress{
				newIngress("a", 0, withRule("trailing.com", prefix("/foo/", "foo-slash"))),
				newIngress("b", 0, withRule("partial.com", prefix("/aaa/bb", "bb"))),
				newIngress("c", 0, withRule("two.com", prefix("/", "root"), prefix("/aaa", "aaa"))),
				newIngress("d", 0, withRule("three.com", prefix("/", "root"), prefix("/aaa", "aaa"), prefix("/aaa/bbb", "bbb"))),
				newIngress("e", 0, withRule("mixed.com", prefix("/foo", "prefix"), exact("/foo", "exact"))),
				newIngress("f", 0, withRule("exactslash.com", exact("/foo", "foo"))),
			},
			requests: []request{
				{"trailing.com", "/foo", "default/foo-slash:80"},
				{"trailing.com", "/foo/", "default/foo-slash:80"},
				{"partial.com", "/aaa/bbb", "404"},
				{"two.com", "/aaa/ccc", "default/aaa:80"},
				{"three.com", "/aaa/bbb", "default/bbb:80"},
				{"three.com", "/ccc", "default/root:80"},
				{"mixed.com", "/foo", "default/exact:80"},
				{"mixed.com", "/foo/", "default/prefix:80"},
				{"exactslash.com", "/foo/", "404"},
				{"exactslash.com", "/bar", "404"},
			},
		},
		{
			name: "exact host, then the wildcard of one label, then the catch-all; no fall-through between them",
			ingresses: []*networkingv1.Ingress{newIngress("hosts", 0,
				withRule("foo.example.com", prefix("/api", "exact-host")),
				withRule("*.example.com", prefix("/", "wildcard")),
				withRule("", prefix("/", "catch-all")),
			)},
			requests: []request{
				{"foo.example.com", "/api/v1", "default/exact-host:80"},
				{"FOO.example.com:8443", "/api", "default/exact-host:80"},
				// The host's server has no / route and no default backend.
				{"foo.example.com", "/web", "404"},
				{"bar.example.com", "/web", "default/wildcard:80"},
				{"a.bar.example.com", "/", "default/catch-all:80"},
				{"example.com", "/", "default/catch-all:80"},
				{"127.0.0.1", "/anything", "default/catch-all:80"},
			},
		},
		{
			name:      "an Ingress with only a defaultBackend takes everything",
			ingresses: []*networkingv1.Ingress{newIngress("default-only", 0, withDefaultBackend("fallback"))},
			requests: []request{
				{"any.host", "/", "default/fallback:80"},
				{"", "/x/y", "default/fallback:80"},
			},
		},
		{
			name: "a defaultBackend beside rules serves its hosts' unmatched paths and unmatched hosts",
			ingresses: []*networkingv1.Ingress{newIngress("app", 0,
				withRule("foo.com", prefix("/api", "api")),
				withRule("bar.com"), // a host without paths
				withDefaultBackend("web:http"))},
			requests: []request{
				{"foo.com", "/api", "default/api:80"},
				{"foo.com", "/", "default/web:http"},
				{"bar.com", "/api", "default/web:http"},
				{"other.com", "/", "default/web:http"},
			},
		},
		{
			name: "the oldest rule-less Ingress gives the cluster default; hosts keep their own",
			ingresses: []*networkingv1.Ingress{
				newIngress("with-rules-oldest", 0, withRule("foo.com", prefix("/api", "api")), withDefaultBackend("foo-default")),
				newIngress("catch-all-newer", 5, withDefaultBackend("newer-default")),
				newIngress("catch-all-older", 2, withDefaultBackend("older-default")),
				newIngress("no-default", 1, withRule("bar.com", prefix("/api", "bar-api"))),
			},
			requests: []request{
				{"foo.com", "/other", "default/foo-default:80"},
				{"other.com", "/", "default/older-default:80"},
				// bar.com's Ingress has no defaultBackend: the cluster's default serves it.
				{"bar.com", "/other", "default/older-default:80"},
			},
		},
		{
			name: "conflicting paths: the oldest Ingress wins, in its own namespace; other paths merge",
			ingresses: []*networkingv1.Ingress{
				newIngress("newer", 10, inNamespace("team-b"), withRule("shop.com", prefix("/cart", "cart-b"), prefix("/pay", "pay"))),
				newIngress("older", 1, inNamespace("team-a"), withRule("shop.com", prefix("/cart", "cart-a"))),
				// Same path but another type: not a conflict.
				newIngress("exact", 20, withRule("shop.com", exact("/cart", "cart-exact"))),
				// ImplementationSpecific is Prefix: the same route as the older one.
				newIngress("impl", 30, withRule("shop.com", implementationSpecific("/cart/", "cart-impl"))),
			},
			requests: []request{
				{"shop.com", "/cart/items", "team-a/cart-a:80"},
				{"shop.com", "/cart", "default/cart-exact:80"},
				{"shop.com", "/pay", "team-b/pay:80"},
			},
		},
		{
			name:      "a resource backend is routed (and answered 503 by the proxy)",
			ingresses: []*networkingv1.Ingress{newIngress("static", 0, withRule("", resourcePath("/static"), prefix("/", "web")))},
			requests: []request{
				{"a.com", "/static/logo.png", "default/resource"},
				{"a.com", "/", "default/web:80"},
			},
		},
		{
			name:     "no Ingress: everything is 404",
			requests: []request{{"foo.com", "/", "404"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The decision must not depend on the order the cache lists Ingresses in.
			orders := [][]*networkingv1.Ingress{tt.ingresses, reversed(tt.ingresses)}
			for _, ings := range orders {
				tbl := buildTable(ings)
				for _, r := range tt.requests {
					got := "404"
					if b := tbl.match(normalizeHost(r.host), r.path); b != nil {
						got = b.key()
					}
					if got != r.want {
						t.Errorf("%s%s: got %s, want %s", r.host, r.path, got, r.want)
					}
				}
			}
		})
	}
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Foo.COM":       "foo.com",
		"foo.com:8080":  "foo.com",
		"foo.com.":      "foo.com",
		"[::1]:8443":    "::1",
		"[::1]":         "::1",
		"127.0.0.1:80":  "127.0.0.1",
		"":              "",
		"foo.com.:8080": "foo.com",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableBackendsListsEachKeyOnce(t *testing.T) {
	tbl := buildTable([]*networkingv1.Ingress{
		newIngress("a", 0, withRule("a.com", prefix("/", "web"), prefix("/api", "api")), withDefaultBackend("web")),
		newIngress("b", 1, withRule("*.b.com", prefix("/", "web:http")), withRule("", resourcePath("/r"))),
	})
	var keys []string
	for _, b := range tbl.backends() {
		keys = append(keys, b.key())
	}
	slices.Sort(keys)
	want := []string{"default/api:80", "default/web:80", "default/web:http"}
	if !slices.Equal(keys, want) {
		t.Fatalf("backends: got %v, want %v", keys, want)
	}
}
