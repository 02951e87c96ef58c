package endpointslice

import (
	"strconv"
	"sync"
	"time"

	discovery "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// sliceTracker remembers the slices this controller wrote, so that a sync can tell when the
// informer cache has not caught up with its own writes yet (acting on it would, for example,
// create a second slice for endpoints already placed) and so that the watch events of its
// own writes do not trigger syncs.
//
// Versions are compared as resourceVersions, which our apiserver takes from etcd's
// revision and so grow with every write; upstream compares metadata.generation, which our
// registry does not bump for EndpointSlices.
type sliceTracker struct {
	mu sync.Mutex
	// byService maps a Service key to the slices written for it, by UID.
	byService map[string]map[types.UID]trackedSlice
	// waiting holds the Services whose sync found the cache stale: the next slice event for
	// them (the echo of the write awaited) queues them at once, rather than after a backoff.
	waiting map[string]bool
	now     func() time.Time
}

type trackedSlice struct {
	resourceVersion uint64
	deleted         bool      // a deletion was sent and its watch event not seen yet
	at              time.Time // when the write was made
}

// trackedSliceTTL bounds how long a write the cache never showed (the slice was deleted in
// between and a relist skipped both events) can hold syncs back.
const trackedSliceTTL = 30 * time.Second

func newSliceTracker() *sliceTracker {
	return &sliceTracker{byService: map[string]map[types.UID]trackedSlice{}, waiting: map[string]bool{}, now: time.Now}
}

func serviceKeyOf(slice *discovery.EndpointSlice) string {
	return slice.Namespace + "/" + slice.Labels[discovery.LabelServiceName]
}

func rvOf(slice *discovery.EndpointSlice) uint64 {
	rv, _ := strconv.ParseUint(slice.ResourceVersion, 10, 64)
	return rv
}

// wrote records a slice as returned by a create or update.
func (t *sliceTracker) wrote(slice *discovery.EndpointSlice) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := serviceKeyOf(slice)
	if t.byService[key] == nil {
		t.byService[key] = map[types.UID]trackedSlice{}
	}
	t.byService[key][slice.UID] = trackedSlice{resourceVersion: rvOf(slice), at: t.now()}
}

// deleting records that the slice's deletion was sent.
func (t *sliceTracker) deleting(slice *discovery.EndpointSlice) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := serviceKeyOf(slice)
	if t.byService[key] == nil {
		t.byService[key] = map[types.UID]trackedSlice{}
	}
	t.byService[key][slice.UID] = trackedSlice{deleted: true, at: t.now()}
}

// stale reports whether the cached slices of a Service are older than this controller's
// own writes: a slice older than written, one deleted still there, or one created missing.
func (t *sliceTracker) stale(serviceKey string, cached []*discovery.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	written := t.byService[serviceKey]
	if len(written) == 0 {
		return false
	}
	now := t.now()
	seen := make(map[types.UID]bool, len(cached))
	for _, s := range cached {
		seen[s.UID] = true
		w, ok := written[s.UID]
		if !ok {
			continue
		}
		if w.deleted || rvOf(s) < w.resourceVersion {
			if now.Sub(w.at) < trackedSliceTTL {
				return true
			}
			delete(written, s.UID)
		}
	}
	for uid, w := range written {
		if !w.deleted && !seen[uid] {
			if now.Sub(w.at) < trackedSliceTTL {
				return true
			}
			delete(written, uid)
		}
	}
	return false
}

// wait records that serviceKey's sync waits for the cache to catch up.
func (t *sliceTracker) wait(serviceKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.waiting[serviceKey] = true
}

// caughtUp reports (once) whether a sync of serviceKey waited for a slice event.
func (t *sliceTracker) caughtUp(serviceKey string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.waiting[serviceKey]
	delete(t.waiting, serviceKey)
	return w
}

// shouldSync reports whether a watch event for slice is news: not the echo of a write this
// controller made.
func (t *sliceTracker) shouldSync(slice *discovery.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.byService[serviceKeyOf(slice)][slice.UID]
	return !ok || w.deleted || rvOf(slice) > w.resourceVersion
}

// observedDeletion records a slice's deletion event and reports whether this controller
// had asked for it (no sync needed then).
func (t *sliceTracker) observedDeletion(slice *discovery.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := serviceKeyOf(slice)
	w, ok := t.byService[key][slice.UID]
	delete(t.byService[key], slice.UID)
	return ok && w.deleted
}

// forget drops a deleted Service.
func (t *sliceTracker) forget(serviceKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byService, serviceKey)
	delete(t.waiting, serviceKey)
}
