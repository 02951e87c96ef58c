package proxy

import (
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

type svcOpt func(*v1.Service)

func svc(name, clusterIP string, ports []v1.ServicePort, opts ...svcOpt) *v1.Service {
	s := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP}, Ports: append([]v1.ServicePort(nil), ports...)},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func tcp(name string, port, target int32) v1.ServicePort {
	return v1.ServicePort{Name: name, Protocol: v1.ProtocolTCP, Port: port}
}

func udp(name string, port int32) v1.ServicePort {
	return v1.ServicePort{Name: name, Protocol: v1.ProtocolUDP, Port: port}
}

type epOpt func(*discovery.Endpoint)

func notReady(e *discovery.Endpoint) { e.Conditions.Ready = ptr.To(false) }

func terminating(serving bool) epOpt {
	return func(e *discovery.Endpoint) {
		e.Conditions = discovery.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(serving), Terminating: ptr.To(true)}
	}
}

func onNode(n string) epOpt { return func(e *discovery.Endpoint) { e.NodeName = ptr.To(n) } }

func ep(ip string, opts ...epOpt) discovery.Endpoint {
	e := discovery.Endpoint{Addresses: []string{ip}, Conditions: discovery.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)}}
	for _, o := range opts {
		o(&e)
	}
	return e
}

type slicePort struct {
	name  string
	proto v1.Protocol
	port  int32
}

func slice(name, service string, ports []slicePort, eps ...discovery.Endpoint) *discovery.EndpointSlice {
	s := &discovery.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{discovery.LabelServiceName: service}},
		AddressType: discovery.AddressTypeIPv4,
		Endpoints:   eps,
	}
	for _, p := range ports {
		s.Ports = append(s.Ports, discovery.EndpointPort{Name: ptr.To(p.name), Protocol: ptr.To(p.proto), Port: ptr.To(p.port)})
	}
	return s
}
