package defaults

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestDefaultNetworkPolicy(t *testing.T) {
	runDefaultingCases[networkingv1.NetworkPolicy](t, []defaultingCase{{
		name: "ingress rules only: egress stays open",
		input: `
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports:
    - port: 5432
`,
		want: `
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - ports:
    - {port: 5432, protocol: TCP}
  policyTypes: [Ingress]
`,
	}, {
		name: "egress rules isolate egress too",
		input: `
metadata: {name: db}
spec:
  podSelector: {}
  egress:
  - ports:
    - {port: 53, protocol: UDP}
    - port: 53
`,
		want: `
metadata: {name: db}
spec:
  podSelector: {}
  egress:
  - ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
  policyTypes: [Ingress, Egress]
`,
	}, {
		name: "policy types that are set are kept",
		input: `
metadata: {name: deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
`,
		want: `
metadata: {name: deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
`,
	}})
}

func TestDefaultIngressClass(t *testing.T) {
	runDefaultingCases[networkingv1.IngressClass](t, []defaultingCase{{
		name:  "no parameters, nothing to scope",
		input: `{metadata: {name: nginx}, spec: {controller: k8s.io/ingress-nginx}}`,
		want:  `{metadata: {name: nginx}, spec: {controller: k8s.io/ingress-nginx}}`,
	}, {
		name: "parameters are cluster-scoped by default",
		input: `
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
`,
		want: `
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb, scope: Cluster}
`,
	}})
}

// Ingress has no defaults in networking/v1: pathType is required.
func TestIngressIsNotDefaulted(t *testing.T) {
	const ingress = `
metadata: {name: web}
spec:
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
status: {loadBalancer: {}}
`
	assertDefaulted[networkingv1.Ingress](t, ingress, ingress)
}
