package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// ClassName is the IngressClass ordinal creates at start-up.
	ClassName = "ordinal"
	// ControllerName is the spec.controller of the IngressClasses this controller serves.
	ControllerName = "ordinal.dev/ingress"
)

// DefaultIngressClass is the IngressClass `ordinal`, marked as the cluster's default so
// that Ingresses without a class (the seeds' manifests) are served. Create it once at
// start-up: a user who later unmarks it keeps that choice.
func DefaultIngressClass() *networkingv1.IngressClass {
	return &networkingv1.IngressClass{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IngressClass"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        ClassName,
			Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"},
		},
		Spec: networkingv1.IngressClassSpec{Controller: ControllerName},
	}
}

// isDefaultClass reports whether class carries the default-class annotation.
func isDefaultClass(class *networkingv1.IngressClass) bool {
	return class.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
}

// defaultClass picks the default IngressClass as the apiserver's DefaultIngressClass
// admission does when an Ingress is created without one: the newest of those marked
// default, the first name on a tie; nil when none is marked.
func defaultClass(classes []*networkingv1.IngressClass) *networkingv1.IngressClass {
	var chosen *networkingv1.IngressClass
	for _, c := range classes {
		if !isDefaultClass(c) {
			continue
		}
		if chosen == nil || c.CreationTimestamp.After(chosen.CreationTimestamp.Time) ||
			(c.CreationTimestamp.Equal(&chosen.CreationTimestamp) && c.Name < chosen.Name) {
			chosen = c
		}
	}
	return chosen
}

// isOurs reports whether this controller serves ing: its class (by field, else by the
// legacy annotation, else the default class) is an IngressClass whose controller is ours.
// A class named in spec.ingressClassName that does not exist is nobody's; the legacy
// annotation predates IngressClass objects, so its value `ordinal` is ours even without
// one (ingress-nginx compares it with its --ingress-class the same way).
func isOurs(ing *networkingv1.Ingress, classes []*networkingv1.IngressClass) bool {
	if ing.Spec.IngressClassName != nil {
		return classIsOurs(*ing.Spec.IngressClassName, classes)
	}
	if v, ok := ing.Annotations[networkingv1beta1.AnnotationIngressClass]; ok {
		if c := findClass(v, classes); c != nil {
			return c.Spec.Controller == ControllerName
		}
		return v == ClassName
	}
	c := defaultClass(classes)
	return c != nil && c.Spec.Controller == ControllerName
}

func classIsOurs(name string, classes []*networkingv1.IngressClass) bool {
	c := findClass(name, classes)
	return c != nil && c.Spec.Controller == ControllerName
}

func findClass(name string, classes []*networkingv1.IngressClass) *networkingv1.IngressClass {
	for _, c := range classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}
