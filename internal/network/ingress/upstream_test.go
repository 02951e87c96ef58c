package ingress

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestResolveUpstream(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
			{Name: "metrics", Port: 9090, Protocol: corev1.ProtocolTCP},
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		}},
	}
	unnamed := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "pacman", Namespace: "pacman"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}},
	}
	type ep struct {
		ip                          string
		ready, serving, terminating *bool
	}
	slice := func(svcName, ns, name string, addressType discoveryv1.AddressType, ports map[string]int32, eps ...ep) *discoveryv1.EndpointSlice {
		s := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
			AddressType: addressType,
		}
		for n, p := range ports {
			s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr.To(n), Port: ptr.To(p), Protocol: ptr.To(corev1.ProtocolTCP)})
		}
		for _, e := range eps {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip},
				Conditions: discoveryv1.EndpointConditions{Ready: e.ready, Serving: e.serving, Terminating: e.terminating}})
		}
		return s
	}
	yes, no := ptr.To(true), ptr.To(false)
	httpPorts := map[string]int32{"http": 8080, "metrics": 9100}

	tests := []struct {
		name   string
		svc    *corev1.Service
		slices []*discoveryv1.EndpointSlice
		port   networkingv1.ServiceBackendPort
		want   []string
	}{
		{
			name: "by port number, ready endpoints across slices, deduplicated and sorted",
			svc:  svc,
			slices: []*discoveryv1.EndpointSlice{
				slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.12", ready: yes}, ep{ip: "10.42.0.11", ready: yes}),
				slice("web", "default", "web-2", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.11", ready: yes}, ep{ip: "10.42.0.13", ready: no, serving: yes}),
			},
			port: networkingv1.ServiceBackendPort{Number: 80},
			want: []string{"10.42.0.11:8080", "10.42.0.12:8080"},
		},
		{
			name:   "by port name",
			svc:    svc,
			slices: []*discoveryv1.EndpointSlice{slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.11"})},
			port:   networkingv1.ServiceBackendPort{Name: "metrics"},
			want:   []string{"10.42.0.11:9100"},
		},
		{
			name:   "a nil ready condition means ready",
			svc:    svc,
			slices: []*discoveryv1.EndpointSlice{slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.11"})},
			port:   networkingv1.ServiceBackendPort{Number: 80},
			want:   []string{"10.42.0.11:8080"},
		},
		{
			name: "no ready endpoint: serving terminating ones",
			svc:  svc,
			slices: []*discoveryv1.EndpointSlice{slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, httpPorts,
				ep{ip: "10.42.0.11", ready: no, serving: yes, terminating: yes},
				ep{ip: "10.42.0.12", ready: no, serving: no, terminating: yes},
				ep{ip: "10.42.0.13", ready: no, serving: yes, terminating: no})},
			port: networkingv1.ServiceBackendPort{Number: 80},
			want: []string{"10.42.0.11:8080"},
		},
		{
			name:   "unnamed port (the seed's pacman Service)",
			svc:    unnamed,
			slices: []*discoveryv1.EndpointSlice{slice("pacman", "pacman", "pacman-abc", discoveryv1.AddressTypeIPv4, map[string]int32{"": 8080}, ep{ip: "10.42.0.20", ready: yes})},
			port:   networkingv1.ServiceBackendPort{Number: 80},
			want:   []string{"10.42.0.20:8080"},
		},
		{
			name: "unnamed port in a slice with a nil port name",
			svc:  unnamed,
			slices: []*discoveryv1.EndpointSlice{{
				ObjectMeta:  metav1.ObjectMeta{Name: "pacman-abc", Namespace: "pacman", Labels: map[string]string{discoveryv1.LabelServiceName: "pacman"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Port: ptr.To[int32](8080)}},
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.42.0.20"}}},
			}},
			port: networkingv1.ServiceBackendPort{Number: 80},
			want: []string{"10.42.0.20:8080"},
		},
		{
			name: "IPv6 endpoints are bracketed; FQDN slices and other Services' slices are ignored",
			svc:  svc,
			slices: []*discoveryv1.EndpointSlice{
				slice("web", "default", "web-v6", discoveryv1.AddressTypeIPv6, httpPorts, ep{ip: "fd00::1"}),
				slice("web", "default", "web-fqdn", discoveryv1.AddressTypeFQDN, httpPorts, ep{ip: "web.example.com"}),
				slice("other", "default", "other-1", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.99"}),
			},
			port: networkingv1.ServiceBackendPort{Number: 80},
			want: []string{"[fd00::1]:8080"},
		},
		{
			name:   "a port the Service does not have",
			svc:    svc,
			slices: []*discoveryv1.EndpointSlice{slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, httpPorts, ep{ip: "10.42.0.11"})},
			port:   networkingv1.ServiceBackendPort{Number: 8080},
		},
		{
			name:   "a UDP port is not proxied",
			svc:    svc,
			slices: []*discoveryv1.EndpointSlice{slice("web", "default", "web-1", discoveryv1.AddressTypeIPv4, map[string]int32{"dns": 53}, ep{ip: "10.42.0.11"})},
			port:   networkingv1.ServiceBackendPort{Name: "dns"},
		},
		{
			name: "no Service",
			port: networkingv1.ServiceBackendPort{Number: 80},
		},
	}
	for _, tt := range tests {
		got := resolveUpstream(tt.svc, tt.slices, tt.port)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
