package validation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func validIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("ordinal"),
			Rules: []networkingv1.IngressRule{{
				Host: "*.example.com",
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "nginx", Port: networkingv1.ServiceBackendPort{Number: 80},
					}},
				}}}},
			}},
		},
	}
}

func TestIngress(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*networkingv1.Ingress)
		want   []string
	}{
		{"valid", func(*networkingv1.Ingress) {}, nil},
		{"no rules and no default", func(i *networkingv1.Ingress) { i.Spec.Rules = nil }, []string{
			"spec: Invalid value: []v1.IngressRule(nil): either `defaultBackend` or `rules` must be specified",
		}},
		{"pathType required", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].PathType = nil }, []string{
			"spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
		}},
		{"relative prefix path", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].Path = "api" }, []string{
			`spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path`,
		}},
		{"path with //", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].Path = "/a//b" }, []string{
			`spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`,
		}},
		{"ImplementationSpecific may be empty", func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Path = ""
			i.Spec.Rules[0].HTTP.Paths[0].PathType = ptr.To(networkingv1.PathTypeImplementationSpecific)
		}, nil},
		{"bad wildcard host", func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "foo.*.com" }, []string{
			`spec.rules[0].host: Invalid value: "foo.*.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		}},
		{"IP host", func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "10.0.0.1" }, []string{
			`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`,
		}},
		{"no backend", func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].Backend = networkingv1.IngressBackend{} }, []string{
			`spec.rules[0].http.paths[0].backend: Invalid value: "": resource or service backend is required`,
		}},
		{"both backends", func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Backend.Resource = &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}
		}, []string{`spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both resource and service backends`}},
		{"port name and number", func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "http"
		}, []string{`spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number`}},
		{"no port", func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port = networkingv1.ServiceBackendPort{}
		}, []string{"spec.rules[0].http.paths[0].backend: Required value: port name or number is required"}},
		{"bad pathType", func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths[0].PathType = ptr.To(networkingv1.PathType("Regex"))
		}, []string{`spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i := validIngress()
			tc.mutate(i)
			expectErrors(t, Validate(i), tc.want...)
		})
	}
	old := validIngress()
	upd := old.DeepCopy()
	upd.Spec.Rules[0].Host = "www.example.com"
	expectErrors(t, ValidateUpdate(upd, old))
}

func TestIngressClass(t *testing.T) {
	ic := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "ordinal"}, Spec: networkingv1.IngressClassSpec{Controller: "ordinal.dev/ingress"}}
	expectErrors(t, Validate(ic))

	bad := ic.DeepCopy()
	bad.Spec.Controller = "ingress"
	expectErrors(t, Validate(bad), `spec.controller: Invalid value: "ingress": must be a domain-prefixed path (such as "acme.io/foo")`)

	bad = ic.DeepCopy()
	bad.Spec.Parameters = &networkingv1.IngressClassParametersReference{Kind: "Config", Name: "c", Scope: ptr.To("Namespace")}
	expectErrors(t, Validate(bad), "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'")

	upd := ic.DeepCopy()
	upd.Spec.Controller = "example.com/other"
	expectErrors(t, ValidateUpdate(upd, ic), `spec.controller: Invalid value: "example.com/other": field is immutable`)
}

func TestEndpointSlice(t *testing.T) {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "nginx-abcde", Namespace: "default", ResourceVersion: "1"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{"10.42.0.5"}, Hostname: ptr.To("web-0"), NodeName: ptr.To("node-1"),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("web"), Port: ptr.To[int32](80), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	expectErrors(t, Validate(es))

	bad := es.DeepCopy()
	bad.AddressType = "IPv5"
	expectErrors(t, Validate(bad), `addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"`)

	bad = es.DeepCopy()
	bad.Endpoints[0].Addresses = []string{"fd00::1"}
	bad.Endpoints = append(bad.Endpoints, discoveryv1.Endpoint{})
	bad.Ports = append(bad.Ports, discoveryv1.EndpointPort{Name: ptr.To("web"), Protocol: ptr.To(corev1.ProtocolTCP)})
	expectErrors(t, Validate(bad),
		`endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address`,
		"endpoints[1].addresses: Required value: must contain at least 1 address",
		`ports[1].name: Duplicate value: "web"`,
	)

	upd := es.DeepCopy()
	upd.AddressType = discoveryv1.AddressTypeIPv6
	upd.Endpoints[0].Addresses = []string{"fd00::5"}
	expectErrors(t, ValidateUpdate(upd, es), `addressType: Invalid value: "IPv6": field is immutable`)
}
