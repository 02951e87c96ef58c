package defaults

import (
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

func TestDefaultHorizontalPodAutoscaler(t *testing.T) {
	runDefaultingCases[autoscalingv2.HorizontalPodAutoscaler](t, []defaultingCase{{
		name: "no metrics means 80% CPU; no behavior stays unset",
		input: `
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
`,
		want: `
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  minReplicas: 1
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 80}
status: {desiredReplicas: 0}
`,
	}, {
		name: "a partial behavior is completed",
		input: `
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: memory
      target: {type: AverageValue, averageValue: 500Mi}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 60
`,
		want: `
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: memory
      target: {type: AverageValue, averageValue: 500Mi}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 60
      selectPolicy: Max
      policies:
      - {type: Percent, value: 100, periodSeconds: 15}
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies:
      - {type: Pods, value: 4, periodSeconds: 15}
      - {type: Percent, value: 100, periodSeconds: 15}
status: {desiredReplicas: 0}
`,
	}, {
		name: "an empty behavior gets both rule sets; scale-down keeps no window",
		input: `
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  maxReplicas: 5
  behavior: {}
`,
		want: `
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 80}
  behavior:
    scaleDown:
      selectPolicy: Max
      policies:
      - {type: Percent, value: 100, periodSeconds: 15}
    scaleUp:
      stabilizationWindowSeconds: 0
      selectPolicy: Max
      policies:
      - {type: Pods, value: 4, periodSeconds: 15}
      - {type: Percent, value: 100, periodSeconds: 15}
status: {desiredReplicas: 0}
`,
	}})
}

func TestDefaultHorizontalPodAutoscalerV1(t *testing.T) {
	assertDefaulted[autoscalingv1.HorizontalPodAutoscaler](t, `
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  maxReplicas: 5
`, `
metadata: {name: web}
spec:
  scaleTargetRef: {kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
status: {currentReplicas: 0, desiredReplicas: 0}
`)
}
