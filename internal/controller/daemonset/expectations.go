package daemonset

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// expectationsTimeout bounds how long a sync waits for the informer to show its own writes
// (upstream: 5 minutes), in case a watch event is lost.
const expectationsTimeout = 5 * time.Minute

// expectations remember, per DaemonSet key, the pods created and deleted by the last sync
// until the informer shows them. Until then a sync only updates status: acting on a stale
// cache would create duplicates or delete twice.
type expectations struct {
	mu sync.Mutex
	m  map[string]*expected
}

type expected struct {
	creates map[string]bool
	deletes map[string]types.UID
	since   time.Time
}

func newExpectations() *expectations { return &expectations{m: map[string]*expected{}} }

func (e *expectations) entry(key string) *expected {
	x := e.m[key]
	if x == nil {
		x = &expected{creates: map[string]bool{}, deletes: map[string]types.UID{}}
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

// satisfied reports whether every expected write is visible through get (the pod lister).
func (e *expectations) satisfied(key string, get func(name string) (*corev1.Pod, bool)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.m[key]
	if x == nil {
		return true
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
	if len(x.creates) == 0 && len(x.deletes) == 0 || time.Since(x.since) > expectationsTimeout {
		delete(e.m, key)
		return true
	}
	return false
}

func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
