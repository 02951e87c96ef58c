package podroutes

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, cidr, ip string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
	if ip != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
	}
	return n
}

func TestDesired(t *testing.T) {
	tests := []struct {
		name  string
		nodes []*corev1.Node
		want  []Route
	}{
		{"alone", []*corev1.Node{node("a", "10.42.0.0/24", "198.18.0.2")}, nil},
		{
			"two others, sorted",
			[]*corev1.Node{node("c", "10.42.2.0/24", "198.18.0.4"), node("a", "10.42.0.0/24", "198.18.0.2"), node("b", "10.42.1.0/24", "198.18.0.3")},
			[]Route{{"10.42.1.0/24", "198.18.0.3"}, {"10.42.2.0/24", "198.18.0.4"}},
		},
		{
			"no pod CIDR yet, no address, IPv6 only",
			[]*corev1.Node{node("a", "10.42.0.0/24", "198.18.0.2"), node("b", "", "198.18.0.3"), node("c", "10.42.2.0/24", ""), node("d", "10.42.3.0/24", "fd00::3")},
			nil,
		},
		{
			"a node sharing this machine's address (simulated) is skipped",
			[]*corev1.Node{node("a", "10.42.0.0/24", "198.18.0.2"), node("sim", "10.42.5.0/24", "198.18.0.2")},
			nil,
		},
		{"a malformed pod CIDR is skipped", []*corev1.Node{node("a", "10.42.0.0/24", "198.18.0.2"), node("b", "bogus", "198.18.0.3")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Desired("a", tt.nodes); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Desired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name             string
		desired, current []Route
		wantRep          []Route
		wantDel          []string
	}{
		{"nothing", nil, nil, nil, nil},
		{"all new", []Route{{"10.42.1.0/24", "x"}}, nil, []Route{{"10.42.1.0/24", "x"}}, nil},
		{"in place", []Route{{"10.42.1.0/24", "x"}}, []Route{{"10.42.1.0/24", "x"}}, nil, nil},
		{"gateway moved", []Route{{"10.42.1.0/24", "y"}}, []Route{{"10.42.1.0/24", "x"}}, []Route{{"10.42.1.0/24", "y"}}, nil},
		{"node gone", nil, []Route{{"10.42.2.0/24", "z"}, {"10.42.1.0/24", "x"}}, nil, []string{"10.42.1.0/24", "10.42.2.0/24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.desired, tt.current)
			if !reflect.DeepEqual(got.Replace, tt.wantRep) || !reflect.DeepEqual(got.Delete, tt.wantDel) {
				t.Errorf("Diff = %+v, want replace %v delete %v", got, tt.wantRep, tt.wantDel)
			}
		})
	}
}
