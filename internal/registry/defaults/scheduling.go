package defaults

import (
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/utils/ptr"
)

// DefaultPriorityClass lets pods of a priority class preempt lower-priority
// pods unless the class says Never. (A pod's own preemptionPolicy is copied
// from its class by priority admission, not defaulted here.)
func DefaultPriorityClass(pc *schedulingv1.PriorityClass) {
	if pc.PreemptionPolicy == nil {
		pc.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	}
}
