package ingress

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestIsOurs(t *testing.T) {
	ours := ingressClass("ordinal", ControllerName, 0, true)
	oursNotDefault := ingressClass("ordinal", ControllerName, 0, false)
	nginx := ingressClass("nginx", "k8s.io/ingress-nginx", 1, false)
	nginxDefaultNewer := ingressClass("nginx", "k8s.io/ingress-nginx", 1, true)
	nginxDefaultOlder := ingressClass("nginx", "k8s.io/ingress-nginx", -1, true)
	second := ingressClass("internal", ControllerName, 2, false)
	const legacy = "kubernetes.io/ingress.class"

	tests := []struct {
		name    string
		ing     *networkingv1.Ingress
		classes []*networkingv1.IngressClass
		want    bool
	}{
		{"class ordinal", newIngress("a", 0, withClass("ordinal")), []*networkingv1.IngressClass{ours, nginx}, true},
		{"another class of our controller", newIngress("a", 0, withClass("internal")), []*networkingv1.IngressClass{ours, second}, true},
		{"class of another controller", newIngress("a", 0, withClass("nginx")), []*networkingv1.IngressClass{ours, nginx}, false},
		{"class that does not exist", newIngress("a", 0, withClass("ordinal")), nil, false},
		{"no class, ours is the default", newIngress("a", 0), []*networkingv1.IngressClass{ours, nginx}, true},
		{"no class, no default", newIngress("a", 0), []*networkingv1.IngressClass{oursNotDefault, nginx}, false},
		{"no class, two defaults, ours newest", newIngress("a", 0), []*networkingv1.IngressClass{ours, nginxDefaultOlder}, true},
		{"no class, two defaults, theirs newest", newIngress("a", 0), []*networkingv1.IngressClass{ours, nginxDefaultNewer}, false},
		{"legacy annotation ordinal", newIngress("a", 0, withAnnotation(legacy, "ordinal")), []*networkingv1.IngressClass{nginxDefaultNewer}, true},
		{"legacy annotation naming our other class", newIngress("a", 0, withAnnotation(legacy, "internal")), []*networkingv1.IngressClass{second}, true},
		{"legacy annotation nginx, ours default", newIngress("a", 0, withAnnotation(legacy, "nginx")), []*networkingv1.IngressClass{ours}, false},
		{"field wins over annotation", newIngress("a", 0, withClass("nginx"), withAnnotation(legacy, "ordinal")), []*networkingv1.IngressClass{ours, nginx}, false},
	}
	for _, tt := range tests {
		if got := isOurs(tt.ing, tt.classes); got != tt.want {
			t.Errorf("%s: isOurs = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDefaultClassTieBreak(t *testing.T) {
	a := ingressClass("a", ControllerName, 0, true)
	b := ingressClass("b", "other", 0, true)
	if got := defaultClass([]*networkingv1.IngressClass{b, a}); got != a {
		t.Fatalf("same creation time: got %s, want the first name, a", got.Name)
	}
}

func TestDefaultIngressClass(t *testing.T) {
	c := DefaultIngressClass()
	if c.Name != "ordinal" || c.Spec.Controller != "ordinal.dev/ingress" || !isDefaultClass(c) {
		t.Fatalf("DefaultIngressClass() = %+v", c)
	}
}
