package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestServiceColumns(t *testing.T) {
	assertHeaders(t, &corev1.Service{}, "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector+")
}

func TestServiceRows(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(3 * time.Hour)}
	for _, tc := range []struct {
		name string
		svc  *corev1.Service
		want []interface{}
	}{
		{
			name: "cluster IP",
			svc: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type:       corev1.ServiceTypeClusterIP,
				ClusterIP:  "10.43.0.20",
				ClusterIPs: []string{"10.43.0.20"},
				Ports:      []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}, {Port: 53, Protocol: corev1.ProtocolUDP}},
				Selector:   map[string]string{"app": "web", "tier": "front"},
			}},
			want: []interface{}{"web", "ClusterIP", "10.43.0.20", "<none>", "80/TCP,53/UDP", "3h", "app=web,tier=front"},
		},
		{
			name: "headless without ports or selector",
			svc: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", ClusterIPs: []string{"None"},
			}},
			want: []interface{}{"web", "ClusterIP", "None", "<none>", "<none>", "3h", "<none>"},
		},
		{
			name: "node port with external IPs",
			svc: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, ClusterIPs: []string{"10.43.0.21"},
				ExternalIPs: []string{"203.0.113.1", "203.0.113.2"},
				Ports:       []corev1.ServicePort{{Port: 443, NodePort: 30443, Protocol: corev1.ProtocolTCP}},
			}},
			want: []interface{}{"web", "NodePort", "10.43.0.21", "203.0.113.1,203.0.113.2", "443:30443/TCP", "3h", "<none>"},
		},
		{
			name: "load balancer still pending",
			svc: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.43.0.22"},
				Ports: []corev1.ServicePort{{Port: 80, NodePort: 31000, Protocol: corev1.ProtocolTCP}},
			}},
			want: []interface{}{"web", "LoadBalancer", "10.43.0.22", "<pending>", "80:31000/TCP", "3h", "<none>"},
		},
		{
			name: "load balancer with addresses, sorted and never clipped",
			svc: &corev1.Service{ObjectMeta: meta,
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.43.0.23"}, ExternalIPs: []string{"198.51.100.9"}},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{Hostname: "lb.example.com"}, {IP: "203.0.113.50"}, {IP: "203.0.113.50"},
				}}},
			},
			want: []interface{}{"web", "LoadBalancer", "10.43.0.23", "203.0.113.50,lb.example.com,198.51.100.9", "<none>", "3h", "<none>"},
		},
		{
			name: "external name",
			svc: &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com",
			}},
			want: []interface{}{"web", "ExternalName", "<none>", "db.example.com", "<none>", "3h", "<none>"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { assertCells(t, tc.svc, tc.want...) })
	}
}

func TestEndpointsRows(t *testing.T) {
	assertHeaders(t, &corev1.Endpoints{}, "Name", "Endpoints", "Age")
	meta := metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Minute)}
	addrs := func(ips ...string) []corev1.EndpointAddress {
		out := make([]corev1.EndpointAddress, len(ips))
		for i, ip := range ips {
			out[i] = corev1.EndpointAddress{IP: ip}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		subsets []corev1.EndpointSubset
		want    string
	}{
		{"no subsets", nil, "<none>"},
		{"only not-ready addresses", []corev1.EndpointSubset{{NotReadyAddresses: addrs("10.42.0.9"), Ports: []corev1.EndpointPort{{Port: 80}}}}, ""},
		{"headless without ports", []corev1.EndpointSubset{{Addresses: addrs("10.42.0.5", "10.42.0.6")}}, "10.42.0.5,10.42.0.6"},
		{"ip:port per address and port, first three", []corev1.EndpointSubset{{
			Addresses: addrs("10.42.0.5", "10.42.0.6"),
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
		}}, "10.42.0.5:80,10.42.0.6:80,10.42.0.5:443 + 1 more..."},
		{"IPv6", []corev1.EndpointSubset{{Addresses: addrs("fd00::5"), Ports: []corev1.EndpointPort{{Port: 80}}}}, "[fd00::5]:80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertCells(t, &corev1.Endpoints{ObjectMeta: meta, Subsets: tc.subsets}, "web", tc.want, "60s")
		})
	}
}

func TestEndpointSliceRows(t *testing.T) {
	assertHeaders(t, &discoveryv1.EndpointSlice{}, "Name", "AddressType", "Ports", "Endpoints", "Age")
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-abc12", CreationTimestamp: ago(10 * time.Minute)},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{
			{Port: ptr(int32(80))}, {Name: ptr("metrics")}, {}, {Port: ptr(int32(443))},
		},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.42.0.5"}},
			{Addresses: []string{"10.42.0.6"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
		},
	}
	assertCells(t, s, "web-abc12", "IPv4", "80,metrics,* + 1 more...", "10.42.0.5,10.42.0.6", "10m")
	assertCells(t, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "empty"}, AddressType: discoveryv1.AddressTypeIPv6},
		"empty", "IPv6", "<unset>", "<unset>", "<unknown>")
}
