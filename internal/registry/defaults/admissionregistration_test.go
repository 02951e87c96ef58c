package defaults

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

func TestDefaultValidatingWebhookConfiguration(t *testing.T) {
	assertDefaulted[admissionregistrationv1.ValidatingWebhookConfiguration](t, `
metadata: {name: policy}
webhooks:
- name: pods.policy.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {namespace: policy, name: webhook}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
- name: kept.policy.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  matchPolicy: Exact
  namespaceSelector: {matchLabels: {policy: enforced}}
  objectSelector: {matchLabels: {checked: "yes"}}
  timeoutSeconds: 3
  clientConfig:
    service: {namespace: policy, name: webhook, port: 8443}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}
`, `
metadata: {name: policy}
webhooks:
- name: pods.policy.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {namespace: policy, name: webhook, port: 443}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: "*"}
  failurePolicy: Fail
  matchPolicy: Equivalent
  namespaceSelector: {}
  objectSelector: {}
  timeoutSeconds: 10
- name: kept.policy.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  matchPolicy: Exact
  namespaceSelector: {matchLabels: {policy: enforced}}
  objectSelector: {matchLabels: {checked: "yes"}}
  timeoutSeconds: 3
  clientConfig:
    service: {namespace: policy, name: webhook, port: 8443}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}
`)
}

func TestDefaultMutatingWebhookConfiguration(t *testing.T) {
	assertDefaulted[admissionregistrationv1.MutatingWebhookConfiguration](t, `
metadata: {name: inject}
webhooks:
- name: inject.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://inject.example.com/mutate"}
`, `
metadata: {name: inject}
webhooks:
- name: inject.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://inject.example.com/mutate"}
  failurePolicy: Fail
  matchPolicy: Equivalent
  namespaceSelector: {}
  objectSelector: {}
  reinvocationPolicy: Never
  timeoutSeconds: 10
`)
}

func TestDefaultValidatingAdmissionPolicy(t *testing.T) {
	assertDefaulted[admissionregistrationv1.ValidatingAdmissionPolicy](t, `
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
`, `
metadata: {name: replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    matchPolicy: Equivalent
    namespaceSelector: {}
    objectSelector: {}
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments], scope: "*"}
  validations:
  - expression: "object.spec.replicas <= 5"
status: {}
`)
}

func TestDefaultValidatingAdmissionPolicyBinding(t *testing.T) {
	assertDefaulted[admissionregistrationv1.ValidatingAdmissionPolicyBinding](t, `
metadata: {name: replicas}
spec:
  policyName: replicas
  validationActions: [Deny]
  matchResources:
    excludeResourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [legacy]}
`, `
metadata: {name: replicas}
spec:
  policyName: replicas
  validationActions: [Deny]
  matchResources:
    matchPolicy: Equivalent
    namespaceSelector: {}
    objectSelector: {}
    excludeResourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [legacy], scope: "*"}
`)
}
