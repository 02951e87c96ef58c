package nodeipam

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, cidr string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if cidr != "" {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidr, []string{cidr}
	}
	return n
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		node    *corev1.Node
		used    []string
		cluster string
		mask    int
		want    string
		wantErr error
	}{
		{name: "first node gets the first subnet", node: node("a", ""), cluster: DefaultClusterCIDR, mask: 24, want: "10.42.0.0/24"},
		{name: "node with a CIDR keeps it", node: node("a", "10.42.7.0/24"), cluster: DefaultClusterCIDR, mask: 24, want: ""},
		{name: "lowest free subnet", node: node("c", ""), used: []string{"10.42.0.0/24", "10.42.2.0/24"}, cluster: DefaultClusterCIDR, mask: 24, want: "10.42.1.0/24"},
		{name: "foreign CIDRs are ignored", node: node("c", ""), used: []string{"192.168.0.0/24", "10.42.0.0/25"}, cluster: DefaultClusterCIDR, mask: 24, want: "10.42.0.0/24"},
		{name: "other sizes", node: node("c", ""), used: []string{"10.0.0.0/26"}, cluster: "10.0.0.0/24", mask: 26, want: "10.0.0.64/26"},
		{name: "exhausted", node: node("c", ""), used: []string{"10.0.0.0/25", "10.0.0.128/25"}, cluster: "10.0.0.0/24", mask: 25, wantErr: ErrCIDRExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			used := map[string]bool{}
			for _, u := range tt.used {
				used[u] = true
			}
			got, err := Plan(tt.node, used, tt.cluster, tt.mask)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanRejectsBadConfig(t *testing.T) {
	for _, tt := range []struct {
		cluster string
		mask    int
	}{{"bogus", 24}, {"10.42.0.0/16", 8}, {"10.42.0.0/16", 31}, {"fd00::/64", 80}} {
		if _, err := Plan(node("a", ""), nil, tt.cluster, tt.mask); err == nil {
			t.Errorf("Plan(%s, /%d): want an error", tt.cluster, tt.mask)
		}
	}
}

func TestUsedCIDRs(t *testing.T) {
	got := usedCIDRs([]*corev1.Node{node("a", "10.42.0.0/24"), node("b", ""), node("c", "10.42.5.0/24")})
	if len(got) != 2 || !got["10.42.0.0/24"] || !got["10.42.5.0/24"] {
		t.Fatalf("got %v", got)
	}
}
