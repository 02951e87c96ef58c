package scheduler

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Upstream's stand-ins for a container that requests no cpu or memory, used only for scoring
// (so that such pods still spread): 0.1 core and 200 MiB.
const (
	defaultMilliCPURequest int64 = 100
	defaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// resources is an amount of each resource the scheduler accounts for: cpu in millicores,
// memory and ephemeral storage in bytes, extended resources and hugepages in their own unit.
type resources struct {
	milliCPU         int64
	memory           int64
	ephemeralStorage int64
	scalar           map[corev1.ResourceName]int64
}

// resourcesFromList reads a ResourceList; the pod count is not a resource here.
func resourcesFromList(list corev1.ResourceList) resources {
	var r resources
	for name, q := range list {
		r.addQuantity(name, q)
	}
	return r
}

func (r *resources) addQuantity(name corev1.ResourceName, q resource.Quantity) {
	switch name {
	case corev1.ResourceCPU:
		r.milliCPU += q.MilliValue()
	case corev1.ResourceMemory:
		r.memory += q.Value()
	case corev1.ResourceEphemeralStorage:
		r.ephemeralStorage += q.Value()
	case corev1.ResourcePods:
	default:
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] += q.Value()
	}
}

// clone returns a copy that shares nothing with r.
func (r resources) clone() resources {
	r.scalar = maps.Clone(r.scalar)
	return r
}

func (r *resources) add(o resources) {
	r.milliCPU += o.milliCPU
	r.memory += o.memory
	r.ephemeralStorage += o.ephemeralStorage
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] += v
	}
}

func (r *resources) sub(o resources) {
	r.milliCPU -= o.milliCPU
	r.memory -= o.memory
	r.ephemeralStorage -= o.ephemeralStorage
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] -= v
	}
}

// setMax raises each amount of r to at least o's.
func (r *resources) setMax(o resources) {
	r.milliCPU = max(r.milliCPU, o.milliCPU)
	r.memory = max(r.memory, o.memory)
	r.ephemeralStorage = max(r.ephemeralStorage, o.ephemeralStorage)
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] = max(r.scalar[name], v)
	}
}

// podRequests is what a pod asks of a node, as upstream computes it: the sum of its
// containers and sidecars (init containers that restart always), or the largest init step if
// that is larger (an init container runs beside the sidecars started before it), plus the
// pod overhead. With nonZero, a container that does not request cpu or memory counts for
// upstream's defaults instead; scoring uses that, the fit check does not.
func podRequests(pod *corev1.Pod, nonZero bool) resources {
	var reqs resources
	for i := range pod.Spec.Containers {
		reqs.add(containerRequests(&pod.Spec.Containers[i], nonZero))
	}
	var sidecars, initMax resources
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		step := containerRequests(c, nonZero)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			reqs.add(step)
			sidecars.add(step)
			step = sidecars.clone()
		} else {
			step.add(sidecars)
		}
		initMax.setMax(step)
	}
	reqs.setMax(initMax)
	if pod.Spec.Overhead != nil {
		reqs.add(resourcesFromList(pod.Spec.Overhead))
	}
	return reqs
}

func containerRequests(c *corev1.Container, nonZero bool) resources {
	r := resourcesFromList(c.Resources.Requests)
	if nonZero {
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			r.milliCPU = defaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
			r.memory = defaultMemoryRequest
		}
	}
	return r
}
