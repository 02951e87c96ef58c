package dns

import (
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// index holds the slim records of the cluster, keyed the way queries look them up. The
// informer handlers change it one object at a time under the write lock; queries read it
// under the read lock. generation grows with every change that may change an answer, which
// invalidates cached answers; serial is the SOA serial (the time of the last change).
type index struct {
	mu              sync.RWMutex
	services        map[string]*service          // "<name>.<namespace>"
	slices          map[string]*slice            // "<namespace>/<slice name>"
	slicesByService map[string]map[string]*slice // "<service>.<namespace>" → slice key → slice
	servicesByIP    map[netip.Addr][]*service    // cluster IPs
	slicesByIP      map[netip.Addr]map[string]*slice
	podsByIP        map[netip.Addr]podRecord
	namespaces      map[string]bool

	generation atomic.Uint64
	serial     atomic.Uint32
}

func newIndex() *index {
	x := &index{
		services:        map[string]*service{},
		slices:          map[string]*slice{},
		slicesByService: map[string]map[string]*slice{},
		servicesByIP:    map[netip.Addr][]*service{},
		slicesByIP:      map[netip.Addr]map[string]*slice{},
		podsByIP:        map[netip.Addr]podRecord{},
		namespaces:      map[string]bool{},
	}
	x.serial.Store(uint32(time.Now().Unix()))
	return x
}

// changed records that answers may differ from now on. Callers hold the write lock.
func (x *index) changed() {
	x.generation.Add(1)
	x.serial.Store(uint32(time.Now().Unix()))
}

func serviceKey(name, namespace string) string { return name + "." + namespace }

// setService adds, replaces (s != nil) or removes (s == nil) the Service key.
func (x *index) setService(key string, s *service) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.services[key]
	if reflect.DeepEqual(old, s) {
		return
	}
	if old != nil {
		for _, ip := range old.clusterIPs {
			list := x.servicesByIP[ip][:0:0]
			for _, o := range x.servicesByIP[ip] {
				if o != old {
					list = append(list, o)
				}
			}
			if len(list) == 0 {
				delete(x.servicesByIP, ip)
			} else {
				x.servicesByIP[ip] = list
			}
		}
		delete(x.services, key)
	}
	if s != nil {
		x.services[key] = s
		for _, ip := range s.clusterIPs {
			x.servicesByIP[ip] = append(x.servicesByIP[ip], s)
		}
	}
	x.changed()
}

// setSlice adds, replaces (s != nil) or removes (s == nil) the slice key.
func (x *index) setSlice(key string, s *slice) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.slices[key]
	if reflect.DeepEqual(old, s) {
		return
	}
	if old != nil {
		sk := serviceKey(old.service, old.namespace)
		delete(x.slicesByService[sk], key)
		if len(x.slicesByService[sk]) == 0 {
			delete(x.slicesByService, sk)
		}
		for _, a := range old.addrs {
			delete(x.slicesByIP[a.ip], key)
			if len(x.slicesByIP[a.ip]) == 0 {
				delete(x.slicesByIP, a.ip)
			}
		}
		delete(x.slices, key)
	}
	if s != nil {
		x.slices[key] = s
		sk := serviceKey(s.service, s.namespace)
		if x.slicesByService[sk] == nil {
			x.slicesByService[sk] = map[string]*slice{}
		}
		x.slicesByService[sk][key] = s
		for _, a := range s.addrs {
			if x.slicesByIP[a.ip] == nil {
				x.slicesByIP[a.ip] = map[string]*slice{}
			}
			x.slicesByIP[a.ip][key] = s
		}
	}
	x.changed()
}

// setNamespace records that the namespace exists (or no longer does).
func (x *index) setNamespace(name string, exists bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.namespaces[name] == exists {
		return
	}
	if exists {
		x.namespaces[name] = true
	} else {
		delete(x.namespaces, name)
	}
	x.changed()
}

// setPod records that pod namespace/name has IP now (valid) instead of IP before (valid
// when it had one).
func (x *index) setPod(before, now netip.Addr, rec podRecord) {
	if before == now {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if before.IsValid() && x.podsByIP[before] == rec {
		delete(x.podsByIP, before)
	}
	if now.IsValid() {
		x.podsByIP[now] = rec
	}
	x.changed()
}
