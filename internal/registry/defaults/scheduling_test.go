package defaults

import (
	"testing"

	schedulingv1 "k8s.io/api/scheduling/v1"
)

func TestDefaultPriorityClass(t *testing.T) {
	runDefaultingCases[schedulingv1.PriorityClass](t, []defaultingCase{{
		name:  "preempts by default",
		input: `{metadata: {name: high}, value: 1000}`,
		want:  `{metadata: {name: high}, value: 1000, preemptionPolicy: PreemptLowerPriority}`,
	}, {
		name:  "Never is kept",
		input: `{metadata: {name: batch}, value: 10, preemptionPolicy: Never}`,
		want:  `{metadata: {name: batch}, value: 10, preemptionPolicy: Never}`,
	}})
}
