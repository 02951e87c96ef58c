package defaults

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// roundResourceList rounds every quantity up to a whole milli-unit, as
// upstream does for every ResourceList it decodes: "0.0001" cpu is stored and
// shown as "1m", never as a value no controller can represent. Rounding also
// drops the quantity's cached text, so the value is shown in canonical form.
func roundResourceList(list corev1.ResourceList) {
	for name, quantity := range list {
		quantity.RoundUp(resource.Milli)
		list[name] = quantity
	}
}

// roundResourceRequirements rounds both halves of a container-style
// requirements block.
func roundResourceRequirements(r *corev1.ResourceRequirements) {
	roundResourceList(r.Limits)
	roundResourceList(r.Requests)
}

// requestsFromLimits copies every limit that has no matching request into
// the requests, so a container that only states limits is scheduled (and gets
// its QoS class) as if it had asked for exactly that much. Upstream applies
// this to pods only, not to pod templates.
func requestsFromLimits(r *corev1.ResourceRequirements) {
	if r.Limits == nil {
		return
	}
	if r.Requests == nil {
		r.Requests = corev1.ResourceList{}
	}
	for name, limit := range r.Limits {
		if _, set := r.Requests[name]; !set {
			r.Requests[name] = limit.DeepCopy()
		}
	}
}
