package ingress

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

func TestPlanStatus(t *testing.T) {
	published := publishedStatus("127.0.0.1", 8080, 8443)
	lb := func(ips ...string) networkingv1.IngressLoadBalancerStatus {
		var s networkingv1.IngressLoadBalancerStatus
		for _, ip := range ips {
			s.Ingress = append(s.Ingress, networkingv1.IngressLoadBalancerIngress{IP: ip})
		}
		return s
	}
	none := networkingv1.IngressLoadBalancerStatus{}
	tests := []struct {
		name        string
		current     networkingv1.IngressLoadBalancerStatus
		ours        bool
		want        networkingv1.IngressLoadBalancerStatus
		wantChanged bool
	}{
		{"ours, empty: set", none, true, published, true},
		{"ours, already set: no write", published, true, published, false},
		{"ours, old ports: set", publishedStatus("127.0.0.1", 80, 443), true, published, true},
		{"ours, another controller's address: replaced", lb("192.0.2.1"), true, published, true},
		{"not ours, our address: cleared", published, false, none, true},
		{"not ours, our address with old ports: cleared", publishedStatus("127.0.0.1", 80, 0), false, none, true},
		{"not ours, another controller's address: left alone", lb("192.0.2.1"), false, lb("192.0.2.1"), false},
		{"not ours, ours among others: left alone", lb("127.0.0.1", "192.0.2.1"), false, lb("127.0.0.1", "192.0.2.1"), false},
		{"not ours, empty: nothing to do", none, false, none, false},
	}
	for _, tt := range tests {
		got, changed := planStatus(tt.current, tt.ours, published)
		if changed != tt.wantChanged || !apiequality.Semantic.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v (changed %v), want %+v (changed %v)", tt.name, got, changed, tt.want, tt.wantChanged)
		}
	}
}

func TestPublishedStatus(t *testing.T) {
	got := publishedStatus("127.0.0.1", 8080, 8443)
	want := networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{
		IP:    "127.0.0.1",
		Ports: []networkingv1.IngressPortStatus{{Port: 8080, Protocol: corev1.ProtocolTCP}, {Port: 8443, Protocol: corev1.ProtocolTCP}},
	}}}
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
