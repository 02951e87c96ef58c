package printers

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestIngressRow(t *testing.T) {
	assertHeaders(t, &networkingv1.Ingress{}, "Name", "Class", "Hosts", "Address", "Ports", "Age")
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Hour)},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr("ordinal"),
			Rules:            []networkingv1.IngressRule{{Host: "web.example.com"}, {Host: "api.example.com"}},
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{"web.example.com"}}},
		},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{
			{IP: "127.0.0.1"}, {Hostname: "a-long-load-balancer-name.example.com"},
		}}},
	}
	assertCells(t, ing, "web", "ordinal", "web.example.com,api.example.com",
		"127.0.0.1,a-long-load-balancer-name.example.com", "80, 443", "60m")
	assertCells(t, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "catch-all"}},
		"catch-all", "<none>", "*", "", "80", "<unknown>")
}

func TestIngressHosts(t *testing.T) {
	rules := func(hosts ...string) []networkingv1.IngressRule {
		out := make([]networkingv1.IngressRule, len(hosts))
		for i, h := range hosts {
			out[i] = networkingv1.IngressRule{Host: h}
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		rules []networkingv1.IngressRule
		want  string
	}{
		{"no rules", nil, "*"},
		{"rules without hosts", rules("", ""), "*"},
		{"three hosts", rules("a", "b", "c"), "a,b,c"},
		{"hostless rules are skipped", rules("", "a", "", "b", "c"), "a,b,c"},
		// "more" counts rules beyond the third, not hosts: upstream's arithmetic.
		{"more than three", rules("a", "", "b", "c", "d", ""), "a,b,c + 3 more..."},
		{"a trailing hostless rule still means more", rules("a", "b", "c", ""), "a,b,c + 1 more..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ingressHosts(tc.rules); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIngressClassRow(t *testing.T) {
	assertHeaders(t, &networkingv1.IngressClass{}, "Name", "Controller", "Parameters", "Age")
	ic := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "ordinal", CreationTimestamp: ago(time.Hour)},
		Spec: networkingv1.IngressClassSpec{
			Controller: "ordinal.dev/ingress",
			Parameters: &networkingv1.IngressClassParametersReference{APIGroup: ptr("k8s.example.com"), Kind: "IngressParameters", Name: "external-lb"},
		},
	}
	assertCells(t, ic, "ordinal", "ordinal.dev/ingress", "IngressParameters.k8s.example.com/external-lb", "60m")
	assertCells(t, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: networkingv1.IngressClassSpec{Controller: "x"}},
		"plain", "x", "<none>", "<unknown>")
}
