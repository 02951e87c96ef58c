package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestServiceCreate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*corev1.Service)
		want   []string
	}{
		{"valid", func(*corev1.Service) {}, nil},
		{"headless without ports", func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.Ports = "None", []string{"None"}, nil
		}, nil},
		{"name must be DNS-1035", func(s *corev1.Service) { s.Name = "1web" }, []string{
			`metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{"ports required", func(s *corev1.Service) { s.Spec.Ports = nil }, []string{"spec.ports: Required value"}},
		{"port zero", func(s *corev1.Service) { s.Spec.Ports[0].Port = 0 }, []string{
			"spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
		}},
		{"names required with several ports", func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8443)})
		}, []string{"spec.ports[1].name: Required value"}},
		{"duplicate port names", func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "web", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8443)})
		}, []string{`spec.ports[1].name: Duplicate value: "web"`}},
		{"duplicate port and protocol", func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "alt", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)})
		}, []string{`spec.ports[1]: Duplicate value: v1.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`}},
		{"bad targetPort name", func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromString("Web_Port") }, []string{
			`spec.ports[0].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
		}},
		{"bad protocol", func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "ICMP" }, []string{
			`spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`,
		}},
		{"bad type", func(s *corev1.Service) { s.Spec.Type = "Internal" }, []string{
			`spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
		}},
		{"bad clusterIP", func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.43.0", []string{"10.43.0"} }, []string{
			`spec.clusterIPs[0]: Invalid value: "10.43.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
		}},
		{"clusterIP not yet synced into clusterIPs", func(s *corev1.Service) { s.Spec.ClusterIPs = nil }, nil},
		{"headless NodePort", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ClusterIP, s.Spec.ClusterIPs = "None", []string{"None"}
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}, []string{`spec.clusterIP: Invalid value: "None": may not be set to 'None' for NodePort services`}},
		{"nodePort on ClusterIP", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 }, []string{
			"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
		}},
		{"nodePort out of range", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
			s.Spec.Ports[0].NodePort = 8080
		}, []string{"spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"}},
		{"ExternalName", func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com.", SessionAffinity: corev1.ServiceAffinityNone}
		}, nil},
		{"ExternalName without name", func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, SessionAffinity: corev1.ServiceAffinityNone, ClusterIP: "10.43.0.1"}
		}, []string{
			"spec.clusterIP: Forbidden: may not be set for ExternalName services",
			"spec.externalName: Required value",
		}},
		{"sessionAffinity", func(s *corev1.Service) { s.Spec.SessionAffinity = "Cookie" }, []string{
			`spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"`,
		}},
		{"ClientIP timeout", func(s *corev1.Service) {
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](90000)}}
		}, []string{"spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400"}},
		{"selector value", func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "a b"} }, []string{
			`spec.selector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
		}},
		{"externalTrafficPolicy on ClusterIP", func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal }, []string{
			`spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validService()
			tc.mutate(s)
			expectErrors(t, Validate(s), tc.want...)
		})
	}
}

func TestServiceUpdate(t *testing.T) {
	old := validService()

	s := old.DeepCopy()
	s.Spec.Ports[0].Port = 8080
	s.Spec.Selector = map[string]string{"app": "v2"}
	expectErrors(t, ValidateUpdate(s, old))

	s = old.DeepCopy()
	s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.43.0.21", []string{"10.43.0.21"}
	expectErrors(t, ValidateUpdate(s, old), `spec.clusterIPs[0]: Invalid value: []string{"10.43.0.21"}: may not change once set`)

	s = old.DeepCopy()
	s.Spec.ClusterIP, s.Spec.ClusterIPs = "None", []string{"None"}
	expectErrors(t, ValidateUpdate(s, old), `spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set`)

	s = old.DeepCopy()
	s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
	expectErrors(t, ValidateUpdate(s, old), `spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset`)

	// Turning into an ExternalName releases the IP.
	s = old.DeepCopy()
	s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com", SessionAffinity: corev1.ServiceAffinityNone}
	expectErrors(t, ValidateUpdate(s, old))

	// A node port allocated under another range stays valid.
	np := old.DeepCopy()
	np.Spec.Type = corev1.ServiceTypeNodePort
	np.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	np.Spec.Ports[0].NodePort = 8080
	s = np.DeepCopy()
	s.Labels = map[string]string{"x": "y"}
	expectErrors(t, ValidateUpdate(s, np))
}

func TestEndpoints(t *testing.T) {
	ep := &corev1.Endpoints{}
	ep.Name, ep.Namespace = "nginx", "default"
	ep.Subsets = []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.42.0.5", Hostname: "web-0"}},
		Ports:     []corev1.EndpointPort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP}},
	}}
	expectErrors(t, Validate(ep))

	bad := ep.DeepCopy()
	bad.Subsets = append(bad.Subsets, corev1.EndpointSubset{})
	bad.Subsets[0].Addresses[0].IP = "127.0.0.1"
	bad.Subsets[0].Ports = append(bad.Subsets[0].Ports, corev1.EndpointPort{Port: 0, Protocol: corev1.ProtocolTCP})
	expectErrors(t, Validate(bad),
		`subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)`,
		"subsets[0].ports[1].name: Required value",
		"subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
		"subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
	)
}
