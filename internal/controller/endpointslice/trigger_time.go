package endpointslice

import (
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
)

// TriggerTimeTracker computes the value of the endpoints.kubernetes.io/last-change-trigger-time
// annotation, as upstream: the earliest time of the changes to a Service's pods (their Ready
// transitions) or to the Service itself that no earlier computation has seen. A consumer
// subtracts it from the time it applies the slice to measure how long a change took to
// propagate. It is safe for concurrent use.
type TriggerTimeTracker struct {
	mu    sync.Mutex
	state map[string]triggerState
}

type triggerState struct {
	service time.Time
	pods    map[string]time.Time
}

// NewTriggerTimeTracker returns an empty tracker.
func NewTriggerTimeTracker() *TriggerTimeTracker {
	return &TriggerTimeTracker{state: map[string]triggerState{}}
}

// Compute returns the trigger time for svc with the given pods (zero when nothing new was
// seen) and remembers their current times.
func (t *TriggerTimeTracker) Compute(svc *v1.Service, pods []*v1.Pod) time.Time {
	key := svc.Namespace + "/" + svc.Name
	t.mu.Lock()
	defer t.mu.Unlock()
	prev := t.state[key]
	next := triggerState{service: svc.CreationTimestamp.Time, pods: make(map[string]time.Time, len(pods))}
	var earliest time.Time
	seen := func(at time.Time) {
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
	}
	for _, pod := range pods {
		at := podTriggerTime(pod)
		if at.IsZero() {
			continue
		}
		next.pods[pod.Name] = at
		if at.After(prev.pods[pod.Name]) {
			seen(at)
		}
	}
	if next.service.After(prev.service) {
		seen(next.service)
	}
	t.state[key] = next
	return earliest
}

// Forget drops what the tracker knows of a deleted Service.
func (t *TriggerTimeTracker) Forget(namespace, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.state, namespace+"/"+name)
}

// podTriggerTime is when the pod last changed in a way that moves its endpoint: its Ready
// condition's last transition.
func podTriggerTime(pod *v1.Pod) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}
