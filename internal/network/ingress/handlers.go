package ingress

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/client-go/tools/cache"
)

// The informer handlers ask for a rebuild when something the config depends on changed,
// and queue the status of Ingresses whose ownership may have changed.

func tombstone(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}

// markDirty asks the rebuild loop for a new config; it never blocks.
func (c *Controller) markDirty() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

func (c *Controller) ingressHandler() cache.ResourceEventHandler {
	enqueue := func(ing *networkingv1.Ingress) { c.statusQueue.Add(objectKey(ing.Namespace, ing.Name)) }
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ing, ok := obj.(*networkingv1.Ingress); ok {
				c.markDirty()
				enqueue(ing)
			}
		},
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*networkingv1.Ingress)
			n, ok2 := cur.(*networkingv1.Ingress)
			if !ok1 || !ok2 || o.ResourceVersion == n.ResourceVersion {
				return
			}
			// Our own status writes change neither the spec (its generation) nor the annotation.
			if o.Generation != n.Generation ||
				o.Annotations[networkingv1beta1.AnnotationIngressClass] != n.Annotations[networkingv1beta1.AnnotationIngressClass] {
				c.markDirty()
			}
			enqueue(n)
		},
		DeleteFunc: func(obj any) {
			if ing, ok := tombstone(obj).(*networkingv1.Ingress); ok {
				c.markDirty()
				enqueue(ing)
			}
		},
	}
}

// classHandler: a class change can move any Ingress to or from us.
func (c *Controller) classHandler() cache.ResourceEventHandler {
	changed := func() {
		c.markDirty()
		c.enqueueAllStatus()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		UpdateFunc: func(any, any) { changed() },
		DeleteFunc: func(any) { changed() },
	}
}

func (c *Controller) serviceHandler() cache.ResourceEventHandler {
	touch := func(obj any) {
		if s, ok := tombstone(obj).(*corev1.Service); ok && c.isReferencedService(s.Namespace, s.Name) {
			c.markDirty()
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: touch,
		UpdateFunc: func(old, cur any) {
			if o, ok := old.(*corev1.Service); ok && o.ResourceVersion == cur.(*corev1.Service).ResourceVersion {
				return
			}
			touch(cur)
		},
		DeleteFunc: touch,
	}
}

func (c *Controller) sliceHandler() cache.ResourceEventHandler {
	touch := func(obj any) {
		if s, ok := tombstone(obj).(*discoveryv1.EndpointSlice); ok {
			if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" && c.isReferencedService(s.Namespace, svc) {
				c.markDirty()
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: touch,
		UpdateFunc: func(old, cur any) {
			if o, ok := old.(*discoveryv1.EndpointSlice); ok && o.ResourceVersion == cur.(*discoveryv1.EndpointSlice).ResourceVersion {
				return
			}
			// The service-name label may have moved the slice from one Service to another.
			touch(old)
			touch(cur)
		},
		DeleteFunc: touch,
	}
}

func (c *Controller) secretHandler() cache.ResourceEventHandler {
	touch := func(obj any) {
		if s, ok := tombstone(obj).(*corev1.Secret); ok && c.isReferencedSecret(s.Namespace, s.Name) {
			c.markDirty()
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: touch,
		UpdateFunc: func(old, cur any) {
			if o, ok := old.(*corev1.Secret); ok && o.ResourceVersion == cur.(*corev1.Secret).ResourceVersion {
				return
			}
			touch(cur)
		},
		DeleteFunc: touch,
	}
}
