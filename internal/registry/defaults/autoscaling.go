package defaults

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// defaultCPUUtilization is the target an HPA without metrics scales on.
const defaultCPUUtilization = 80

// DefaultHorizontalPodAutoscalerV1 gives an autoscaling/v1 HPA its minimum of
// one replica. Its 80% CPU target is not a v1 default: upstream adds it when
// converting to the stored version (autoscaling/v2), where
// DefaultHorizontalPodAutoscaler supplies it.
func DefaultHorizontalPodAutoscalerV1(hpa *autoscalingv1.HorizontalPodAutoscaler) {
	if hpa.Spec.MinReplicas == nil {
		hpa.Spec.MinReplicas = ptr.To[int32](1)
	}
}

// DefaultHorizontalPodAutoscaler fills in an autoscaling/v2 HPA: one replica
// minimum, an 80% CPU utilization target when no metric is given, and, when a
// behavior is given at all, every scaling rule it leaves out.
func DefaultHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) {
	if hpa.Spec.MinReplicas == nil {
		hpa.Spec.MinReplicas = ptr.To[int32](1)
	}
	if len(hpa.Spec.Metrics) == 0 {
		hpa.Spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{
					Type:               autoscalingv2.UtilizationMetricType,
					AverageUtilization: ptr.To[int32](defaultCPUUtilization),
				},
			},
		}}
	}
	if b := hpa.Spec.Behavior; b != nil {
		b.ScaleUp = fillScalingRules(b.ScaleUp, defaultScaleUpRules())
		b.ScaleDown = fillScalingRules(b.ScaleDown, defaultScaleDownRules())
	}
}

// defaultScaleUpRules is the HPA's historical scale-up pace: no
// stabilization, and every 15s at most double or add four pods, whichever is
// more.
func defaultScaleUpRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// defaultScaleDownRules allows removing every pod within 15s. The
// stabilization window stays unset so the controller's command-line window
// (--horizontal-pod-autoscaler-downscale-stabilization) applies.
func defaultScaleDownRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// fillScalingRules returns defaults overlaid with every field the user set.
func fillScalingRules(user, defaults *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if user == nil {
		return defaults
	}
	if user.SelectPolicy != nil {
		defaults.SelectPolicy = user.SelectPolicy
	}
	if user.StabilizationWindowSeconds != nil {
		defaults.StabilizationWindowSeconds = user.StabilizationWindowSeconds
	}
	if user.Policies != nil {
		defaults.Policies = user.Policies
	}
	return defaults
}
