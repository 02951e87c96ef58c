package endpointslice

import (
	"maps"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// The handlers only enqueue Service keys; all decisions are made in sync.

func (c *Controller) enqueueObject(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) addPod(obj any) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	for _, key := range ServicesSelecting(c.services, pod.Namespace, pod.Labels) {
		c.queue.Add(key)
	}
}

func (c *Controller) updatePod(old, cur any) {
	for _, key := range ServicesToUpdateOnPodChange(c.services, old.(*v1.Pod), cur.(*v1.Pod)) {
		c.queue.Add(key)
	}
}

func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	c.addPod(obj)
}

func (c *Controller) addSlice(obj any) {
	s, ok := obj.(*discovery.EndpointSlice)
	if !ok || s.Labels[discovery.LabelManagedBy] != ControllerName {
		return
	}
	switch key := serviceKeyOf(s); {
	case c.tracker.caughtUp(key):
		// A sync was waiting for this echo of its own write.
		c.queue.Add(key)
	case c.tracker.shouldSync(s):
		c.queue.AddAfter(key, sliceChangeMinSyncDelay)
	}
}

func (c *Controller) updateSlice(old, cur any) {
	prev, s := old.(*discovery.EndpointSlice), cur.(*discovery.EndpointSlice)
	// Users may move a slice to another Service, or take it from or give it to us.
	if prev.Labels[discovery.LabelServiceName] != s.Labels[discovery.LabelServiceName] ||
		(prev.Labels[discovery.LabelManagedBy] == ControllerName) != (s.Labels[discovery.LabelManagedBy] == ControllerName) {
		c.queue.AddAfter(serviceKeyOf(prev), sliceChangeMinSyncDelay)
		c.queue.AddAfter(serviceKeyOf(s), sliceChangeMinSyncDelay)
		return
	}
	c.addSlice(s)
}

func (c *Controller) deleteSlice(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	s, ok := obj.(*discovery.EndpointSlice)
	if !ok || s.Labels[discovery.LabelManagedBy] != ControllerName {
		return
	}
	key := serviceKeyOf(s)
	switch {
	case !c.tracker.observedDeletion(s):
		c.queue.AddAfter(key, sliceChangeMinSyncDelay)
	case c.tracker.caughtUp(key):
		c.queue.Add(key)
	}
}

// ServicesSelecting lists the keys of the Services in namespace whose selector matches
// podLabels. A Service without a selector selects nothing.
func ServicesSelecting(services corelisters.ServiceLister, namespace string, podLabels map[string]string) []string {
	all, err := services.Services(namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []string
	for _, svc := range all {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		if labels.ValidatedSetSelector(svc.Spec.Selector).Matches(labels.Set(podLabels)) {
			keys = append(keys, svc.Namespace+"/"+svc.Name)
		}
	}
	return keys
}

// ServicesToUpdateOnPodChange lists the Services whose endpoints a pod update may change:
// those selecting the pod when something its endpoint shows changed, plus those it joined
// or left when its labels (or hostname and subdomain) changed.
func ServicesToUpdateOnPodChange(services corelisters.ServiceLister, old, cur *v1.Pod) []string {
	if old.ResourceVersion == cur.ResourceVersion {
		return nil // a resync: the Service informer's own resync covers it
	}
	podChanged, labelsChanged := podEndpointsChanged(old, cur)
	if !podChanged && !labelsChanged {
		return nil
	}
	now := ServicesSelecting(services, cur.Namespace, cur.Labels)
	if !labelsChanged {
		return now
	}
	before := ServicesSelecting(services, old.Namespace, old.Labels)
	set := map[string]bool{}
	for _, k := range now {
		set[k] = true
	}
	if podChanged {
		for _, k := range before {
			set[k] = true
		}
	} else {
		// Only membership changed: the Services common to both are not affected.
		for _, k := range before {
			if set[k] {
				delete(set, k)
			} else {
				set[k] = true
			}
		}
	}
	return sortedKeys(set)
}

// podEndpointsChanged reports whether the pod changed in a way its endpoints show, and
// whether it changed in a way that may change which Services select it or name it.
func podEndpointsChanged(old, cur *v1.Pod) (podChanged, labelsChanged bool) {
	labelsChanged = !maps.Equal(old.Labels, cur.Labels) ||
		old.Spec.Hostname != cur.Spec.Hostname || old.Spec.Subdomain != cur.Spec.Subdomain
	switch {
	case (old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil),
		IsPodReady(old) != IsPodReady(cur),
		isPodTerminal(old) != isPodTerminal(cur),
		old.Spec.NodeName != cur.Spec.NodeName,
		old.Status.PodIP != cur.Status.PodIP,
		!equalPodIPs(old.Status.PodIPs, cur.Status.PodIPs):
		podChanged = true
	}
	return podChanged, labelsChanged
}

func equalPodIPs(a, b []v1.PodIP) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].IP != b[i].IP {
			return false
		}
	}
	return true
}
