package ingress

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Builders for the tests' Ingresses. Times are minutes after a fixed epoch, so that
// "older" reads as a smaller number.

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type ingressOption func(*networkingv1.Ingress)

// newIngress makes the Ingress default/<name> created age minutes after the epoch.
func newIngress(name string, age int, opts ...ingressOption) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "default", Generation: 1,
		CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Minute)),
	}}
	for _, o := range opts {
		o(ing)
	}
	return ing
}

func inNamespace(ns string) ingressOption {
	return func(ing *networkingv1.Ingress) { ing.Namespace = ns }
}

func withRule(host string, paths ...networkingv1.HTTPIngressPath) ingressOption {
	return func(ing *networkingv1.Ingress) {
		r := networkingv1.IngressRule{Host: host}
		if paths != nil {
			r.HTTP = &networkingv1.HTTPIngressRuleValue{Paths: paths}
		}
		ing.Spec.Rules = append(ing.Spec.Rules, r)
	}
}

func withDefaultBackend(svc string) ingressOption {
	return func(ing *networkingv1.Ingress) { b := serviceBackend(svc); ing.Spec.DefaultBackend = &b }
}

func withClass(name string) ingressOption {
	return func(ing *networkingv1.Ingress) { ing.Spec.IngressClassName = ptr.To(name) }
}

func withAnnotation(k, v string) ingressOption {
	return func(ing *networkingv1.Ingress) {
		if ing.Annotations == nil {
			ing.Annotations = map[string]string{}
		}
		ing.Annotations[k] = v
	}
}

func withTLS(secret string, hosts ...string) ingressOption {
	return func(ing *networkingv1.Ingress) {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{SecretName: secret, Hosts: hosts})
	}
}

// serviceBackend is "<svc>" on port 80, or "<svc>:<port name>".
func serviceBackend(svc string) networkingv1.IngressBackend {
	port := networkingv1.ServiceBackendPort{Number: 80}
	for i := range svc {
		if svc[i] == ':' {
			svc, port = svc[:i], networkingv1.ServiceBackendPort{Name: svc[i+1:]}
			break
		}
	}
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port}}
}

func path(pathType networkingv1.PathType, p, svc string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(pathType), Backend: serviceBackend(svc)}
}

func prefix(p, svc string) networkingv1.HTTPIngressPath {
	return path(networkingv1.PathTypePrefix, p, svc)
}

func exact(p, svc string) networkingv1.HTTPIngressPath {
	return path(networkingv1.PathTypeExact, p, svc)
}

func implementationSpecific(p, svc string) networkingv1.HTTPIngressPath {
	return path(networkingv1.PathTypeImplementationSpecific, p, svc)
}

func resourcePath(p string) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
		Resource: &corev1.TypedLocalObjectReference{APIGroup: ptr.To("storage.example.com"), Kind: "Bucket", Name: "static"},
	}}
}

func ingressClass(name, controller string, age int, isDefault bool) *networkingv1.IngressClass {
	c := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Minute))},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}
	if isDefault {
		c.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
	}
	return c
}
