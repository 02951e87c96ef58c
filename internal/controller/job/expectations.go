package job

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// expectationsTimeout bounds how long a sync waits for the informer to show its own writes
// (upstream: 5 minutes), in case a watch event is lost.
const expectationsTimeout = 5 * time.Minute

// expectations remember, per Job key, the writes of earlier syncs until the informer
// shows them: pods created and deleted (until then the Job's pods are not managed, which
// would create duplicates), and finalizers removed (until then those pods are not counted
// again).
type expectations struct {
	mu sync.Mutex
	m  map[string]*expected
}

type expected struct {
	creates     map[string]bool
	deletes     map[string]types.UID
	rmFinalizer map[string]types.UID
	since       time.Time
}

func newExpectations() *expectations { return &expectations{m: map[string]*expected{}} }

func (e *expectations) entry(key string) *expected {
	x := e.m[key]
	if x == nil {
		x = &expected{creates: map[string]bool{}, deletes: map[string]types.UID{}, rmFinalizer: map[string]types.UID{}}
		e.m[key] = x
	}
	x.since = time.Now()
	return x
}

func (e *expectations) expectCreate(key, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entry(key).creates[name] = true
}

func (e *expectations) expectDelete(key string, pod *corev1.Pod) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entry(key).deletes[pod.Name] = pod.UID
}

func (e *expectations) expectFinalizerRemoved(key string, pod *corev1.Pod) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entry(key).rmFinalizer[pod.Name] = pod.UID
}

func (e *expectations) finalizerRemovalFailed(key string, pod *corev1.Pod) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.m[key]; x != nil {
		delete(x.rmFinalizer, pod.Name)
	}
}

// check prunes what get (the pod lister) shows done and returns whether pod creations and
// deletions are all visible, and the UIDs of pods whose finalizer removal is not visible yet.
func (e *expectations) check(key string, get func(name string) (*corev1.Pod, bool)) (bool, sets.Set[string]) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pending := sets.New[string]()
	x := e.m[key]
	if x == nil {
		return true, pending
	}
	if time.Since(x.since) > expectationsTimeout {
		delete(e.m, key)
		return true, pending
	}
	for name := range x.creates {
		if _, ok := get(name); ok {
			delete(x.creates, name)
		}
	}
	for name, uid := range x.deletes {
		if p, ok := get(name); !ok || p.UID != uid || p.DeletionTimestamp != nil {
			delete(x.deletes, name)
		}
	}
	for name, uid := range x.rmFinalizer {
		if p, ok := get(name); !ok || p.UID != uid || !hasTrackingFinalizer(p) {
			delete(x.rmFinalizer, name)
		} else {
			pending.Insert(string(uid))
		}
	}
	satisfied := len(x.creates) == 0 && len(x.deletes) == 0
	if satisfied && len(x.rmFinalizer) == 0 {
		delete(e.m, key)
	}
	return satisfied, pending
}

func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
