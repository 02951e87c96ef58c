package proxybench

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const (
	namespace = "default"
	// flipService moves between pod a and pod b in the change measurements.
	flipService, flipIP = "flip", "10.43.251.10"
	// rpsService has pod a as its one endpoint, for the request-rate runs.
	rpsService, rpsIP = "rps", "10.43.251.20"
	servicePort       = 80
	// managedBy marks the slices as written by this benchmark, so that no EndpointSlice
	// controller claims them.
	managedBy = "proxybench.ordinal.dev"
)

// service is a selector-less ClusterIP service on port 80 (its slices are written by hand).
func service(name, clusterIP string) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: v1.ServiceSpec{
			Type: v1.ServiceTypeClusterIP, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP},
			Ports: []v1.ServicePort{{Name: "http", Protocol: v1.ProtocolTCP, Port: servicePort, TargetPort: intstr.FromInt32(backendPort)}},
		},
	}
}

// endpointSlice is the one slice of service, listing ips with the given readiness.
func endpointSlice(svc string, ips []string, ready []bool) *discovery.EndpointSlice {
	s := &discovery.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: svc + "-bench", Labels: map[string]string{
			discovery.LabelServiceName: svc,
			discovery.LabelManagedBy:   managedBy,
		}},
		AddressType: discovery.AddressTypeIPv4,
		Ports:       []discovery.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(v1.ProtocolTCP), Port: ptr.To[int32](backendPort)}},
	}
	for i, ip := range ips {
		s.Endpoints = append(s.Endpoints, discovery.Endpoint{
			Addresses:  []string{ip},
			Conditions: discovery.EndpointConditions{Ready: ptr.To(ready[i]), Serving: ptr.To(ready[i]), Terminating: ptr.To(false)},
		})
	}
	return s
}

// flipSlice is the flip service's slice with traffic on to (podA or podB). Even steps flip
// readiness (both pods listed, one ready); odd steps list only the new pod (one endpoint
// removed, another added). Either way every step moves all traffic to the other pod.
func flipSlice(step int, to string) *discovery.EndpointSlice {
	if step%2 == 1 {
		return endpointSlice(flipService, []string{to}, []bool{true})
	}
	return endpointSlice(flipService, []string{podA, podB}, []bool{to == podA, to == podB})
}

// scaleObjects are n services with m endpoints each (addresses nobody answers on: the
// measurements only load their rules).
func scaleObjects(n, m int) ([]*v1.Service, []*discovery.EndpointSlice) {
	var svcs []*v1.Service
	var slices []*discovery.EndpointSlice
	for i := range n {
		name := fmt.Sprintf("scale-%05d", i)
		svcs = append(svcs, service(name, fmt.Sprintf("10.43.%d.%d", 100+i/250, 1+i%250)))
		ips := make([]string, m)
		ready := make([]bool, m)
		for j := range m {
			k := i*m + j
			ips[j] = fmt.Sprintf("10.45.%d.%d", k/250, 1+k%250)
			ready[j] = true
		}
		slices = append(slices, endpointSlice(name, ips, ready))
	}
	return svcs, slices
}
