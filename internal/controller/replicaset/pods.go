package replicaset

import (
	"time"

	v1 "k8s.io/api/core/v1"
)

// IsPodActive reports whether a pod counts towards its owner's replicas: it is neither
// terminal (Succeeded, Failed) nor terminating.
func IsPodActive(p *v1.Pod) bool {
	return p.Status.Phase != v1.PodSucceeded && p.Status.Phase != v1.PodFailed && p.DeletionTimestamp == nil
}

// IsPodReady reports whether the pod has the condition Ready=True.
func IsPodReady(p *v1.Pod) bool {
	c := podReadyCondition(p)
	return c != nil && c.Status == v1.ConditionTrue
}

// IsPodAvailable reports whether the pod has been Ready for at least minReadySeconds
// before now (strictly), as upstream's podutil.IsPodAvailable.
func IsPodAvailable(p *v1.Pod, minReadySeconds int32, now time.Time) bool {
	if !IsPodReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	c := podReadyCondition(p)
	return !c.LastTransitionTime.IsZero() &&
		c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Before(now)
}

func podReadyCondition(p *v1.Pod) *v1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == v1.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// filterActivePods returns the active pods, in order.
func filterActivePods(pods []*v1.Pod) []*v1.Pod {
	out := make([]*v1.Pod, 0, len(pods))
	for _, p := range pods {
		if IsPodActive(p) {
			out = append(out, p)
		}
	}
	return out
}

// podKey is the key expectations track a pod deletion by.
func podKey(p *v1.Pod) string {
	return p.Namespace + "/" + p.Name
}
