package statefulset

import (
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// recentWrites gives syncs read-your-writes on top of the informer caches.
//
// Informers deliver this controller's own writes a moment after the API has accepted them. A
// sync that runs in between (woken by another object's event) would see a pod it has just
// created as missing and create it again, see a pod it has just deleted as healthy, or write
// status over a stale resourceVersion: each ends in AlreadyExists or Conflict and a rate-
// limited retry. Upstream lives with that because its controllers are throttled anyway; ours
// are not, and a 100-pod OrderedReady set must come up in well under a second of controller
// time. So every successful write is remembered here until the informer shows an object at
// least as new, and listings are patched with what is remembered.
type recentWrites struct {
	mu      sync.Mutex
	entries map[writeKey]*writeEntry
	now     func() time.Time
}

// recentWritesTTL bounds how long an entry may shadow the cache should its watch event never
// come (a relist would then already have corrected the cache).
const recentWritesTTL = 30 * time.Second

// Resource names used as keys.
const (
	resourcePods      = "pods"
	resourceClaims    = "persistentvolumeclaims"
	resourceSets      = "statefulsets"
	resourceRevisions = "controllerrevisions"
)

type writeKey struct{ resource, namespace, name string }

type writeEntry struct {
	// obj is the object as the API returned it after a create or update; nil after a delete.
	obj metav1.Object
	rv  uint64
	// uid is the UID of the deleted object.
	uid types.UID
	at  time.Time
}

func newRecentWrites() *recentWrites {
	return &recentWrites{entries: map[writeKey]*writeEntry{}, now: time.Now}
}

// parseResourceVersion reads a resourceVersion as a number (ours are etcd revisions); ok is
// false when it is not one, and then the cache is trusted.
func parseResourceVersion(rv string) (uint64, bool) {
	n, err := strconv.ParseUint(rv, 10, 64)
	return n, err == nil
}

// wrote remembers an object the API returned from a create or update.
func (rw *recentWrites) wrote(resource string, obj metav1.Object) {
	rv, ok := parseResourceVersion(obj.GetResourceVersion())
	if !ok {
		return
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.entries[writeKey{resource, obj.GetNamespace(), obj.GetName()}] = &writeEntry{obj: obj, rv: rv, at: rw.now()}
}

// deleted remembers that obj was deleted.
func (rw *recentWrites) deleted(resource string, obj metav1.Object) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.entries[writeKey{resource, obj.GetNamespace(), obj.GetName()}] = &writeEntry{uid: obj.GetUID(), at: rw.now()}
}

// observed is called by the informer handlers: an entry the cache has caught up with is
// dropped. gone means obj was deleted from the cache.
func (rw *recentWrites) observed(resource string, obj metav1.Object, gone bool) {
	key := writeKey{resource, obj.GetNamespace(), obj.GetName()}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	e, ok := rw.entries[key]
	if ok && caughtUp(e, obj, gone) {
		delete(rw.entries, key)
	}
}

// caughtUp tells whether the cache, now holding obj (or having lost it when gone), knows at
// least what entry e remembers.
func caughtUp(e *writeEntry, obj metav1.Object, gone bool) bool {
	if e.obj == nil { // a delete
		return gone || obj.GetUID() != e.uid || obj.GetDeletionTimestamp() != nil
	}
	if gone {
		return obj.GetUID() == e.obj.GetUID()
	}
	rv, ok := parseResourceVersion(obj.GetResourceVersion())
	return !ok || rv >= e.rv
}

// mergeRecent returns listed (objects of resource in namespace from a cache) with the recent
// writes applied: newer written objects replace or join the cached ones; a deleted object is
// passed through deleting, which returns what to list in its place (false: nothing).
func mergeRecent[T metav1.Object](rw *recentWrites, resource, namespace string, listed []T, deleting func(T, time.Time) (T, bool)) []T {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	var mine []writeKey
	now := rw.now()
	for key, e := range rw.entries {
		if now.Sub(e.at) > recentWritesTTL {
			delete(rw.entries, key)
			continue
		}
		if key.resource == resource && key.namespace == namespace {
			mine = append(mine, key)
		}
	}
	if len(mine) == 0 {
		return listed
	}
	out := make([]T, 0, len(listed)+len(mine))
	index := make(map[string]int, len(listed))
	for _, obj := range listed {
		index[obj.GetName()] = len(out)
		out = append(out, obj)
	}
	var dropped map[int]bool
	for _, key := range mine {
		e := rw.entries[key]
		i, found := index[key.name]
		switch {
		case found && caughtUp(e, out[i], false):
			delete(rw.entries, key)
		case e.obj != nil && found:
			out[i] = e.obj.(T)
		case e.obj != nil:
			out = append(out, e.obj.(T))
		case found:
			if replacement, keep := deleting(out[i], e.at); keep {
				out[i] = replacement
			} else {
				if dropped == nil {
					dropped = map[int]bool{}
				}
				dropped[i] = true
			}
		default:
			delete(rw.entries, key) // deleted and gone from the cache too
		}
	}
	if dropped == nil {
		return out
	}
	kept := out[:0]
	for i, obj := range out {
		if !dropped[i] {
			kept = append(kept, obj)
		}
	}
	return kept
}

// freshest returns the newer of cached and what this controller last wrote for that object.
func freshest[T metav1.Object](rw *recentWrites, resource string, cached T) T {
	key := writeKey{resource, cached.GetNamespace(), cached.GetName()}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	e, ok := rw.entries[key]
	if !ok {
		return cached
	}
	if e.obj == nil || caughtUp(e, cached, false) || rw.now().Sub(e.at) > recentWritesTTL {
		delete(rw.entries, key)
		return cached
	}
	if e.obj.GetUID() != cached.GetUID() {
		return cached
	}
	return e.obj.(T)
}
