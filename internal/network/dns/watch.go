package dns

import (
	"net/netip"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// The informer handlers turn each event into one index change.

func tombstone(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}

func (x *index) serviceHandler() cache.ResourceEventHandler {
	set := func(obj any) {
		if s, ok := obj.(*v1.Service); ok {
			x.setService(serviceKey(s.Name, s.Namespace), toService(s))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, cur any) { set(cur) },
		DeleteFunc: func(obj any) {
			if s, ok := tombstone(obj).(*v1.Service); ok {
				x.setService(serviceKey(s.Name, s.Namespace), nil)
			}
		},
	}
}

func (x *index) sliceHandler() cache.ResourceEventHandler {
	set := func(obj any) {
		if s, ok := obj.(*discovery.EndpointSlice); ok {
			// A slice may lose its service-name label: then it no longer answers.
			x.setSlice(s.Namespace+"/"+s.Name, toSlice(s))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, cur any) { set(cur) },
		DeleteFunc: func(obj any) {
			if s, ok := tombstone(obj).(*discovery.EndpointSlice); ok {
				x.setSlice(s.Namespace+"/"+s.Name, nil)
			}
		},
	}
}

func (x *index) namespaceHandler() cache.ResourceEventHandler {
	set := func(obj any) {
		if n, ok := obj.(*v1.Namespace); ok {
			x.setNamespace(n.Name, true)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, cur any) { set(cur) },
		DeleteFunc: func(obj any) {
			if n, ok := tombstone(obj).(*v1.Namespace); ok {
				x.setNamespace(n.Name, false)
			}
		},
	}
}

func (x *index) podHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if p, ok := obj.(*v1.Pod); ok {
				ip, _ := podIP(p)
				x.setPod(netip.Addr{}, ip, podRecord{p.Namespace, p.Name})
			}
		},
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*v1.Pod)
			p, ok2 := cur.(*v1.Pod)
			if ok1 && ok2 {
				before, _ := podIP(o)
				now, _ := podIP(p)
				x.setPod(before, now, podRecord{p.Namespace, p.Name})
			}
		},
		DeleteFunc: func(obj any) {
			if p, ok := tombstone(obj).(*v1.Pod); ok {
				ip, _ := podIP(p)
				x.setPod(ip, netip.Addr{}, podRecord{p.Namespace, p.Name})
			}
		},
	}
}
