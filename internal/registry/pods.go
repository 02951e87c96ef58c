package registry

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

// defaultNotReadyTolerationSeconds is what upstream's DefaultTolerationSeconds admission
// gives every pod for the not-ready and unreachable NoExecute taints.
const defaultNotReadyTolerationSeconds int64 = 300

func podFields(obj runtime.Object) fields.Set {
	pod := obj.(*corev1.Pod)
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             pod.Status.PodIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

// preparePod sets what upstream's pod strategy and default admission plugins set on a new pod:
// phase Pending with its QoS class, the service account, priority, and the default
// tolerations for not-ready and unreachable nodes.
func preparePod(_ context.Context, _ *Registry, obj runtime.Object) error {
	pod := obj.(*corev1.Pod)
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(&pod.Spec)}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = "default"
	}
	//nolint:staticcheck // the deprecated alias is still filled in by upstream.
	if pod.Spec.DeprecatedServiceAccount == "" {
		pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	}
	if pod.Spec.Priority == nil && pod.Spec.PriorityClassName == "" {
		zero := int32(0)
		pod.Spec.Priority = &zero
	}
	if pod.Spec.PreemptionPolicy == nil {
		p := corev1.PreemptLowerPriority
		pod.Spec.PreemptionPolicy = &p
	}
	addDefaultToleration(pod, corev1.TaintNodeNotReady)
	addDefaultToleration(pod, corev1.TaintNodeUnreachable)
	return nil
}

func addDefaultToleration(pod *corev1.Pod, key string) {
	for _, t := range pod.Spec.Tolerations {
		if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
			return
		}
	}
	seconds := defaultNotReadyTolerationSeconds
	pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
		Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds,
	})
}

// qosClass classifies a pod as upstream: Guaranteed when every container limits cpu and
// memory to exactly its requests, BestEffort when nothing requests or limits them, Burstable
// otherwise.
func qosClass(spec *corev1.PodSpec) corev1.PodQOSClass {
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	anySet, guaranteed := false, true
	for _, c := range containers {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[name]
			lim, hasLim := c.Resources.Limits[name]
			if (hasReq && !req.IsZero()) || (hasLim && !lim.IsZero()) {
				anySet = true
			}
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !anySet:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// podGracefulDelete gives a pod its grace period: the request's, else the pod's own, and none
// for a pod that never reached a node or has already finished, as upstream.
func podGracefulDelete(obj runtime.Object, opts *metav1.DeleteOptions) (int64, bool) {
	pod := obj.(*corev1.Pod)
	period := int64(corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case opts.GracePeriodSeconds != nil:
		period = *opts.GracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		period = 0
	}
	if period < 0 {
		period = 1
	}
	return period, true
}

// BindPod assigns a pending pod to a node (the pods/binding subresource the scheduler uses).
func (r *Registry) BindPod(ctx context.Context, ns, name string, binding *corev1.Binding) (*corev1.Pod, error) {
	res, _ := r.Lookup("", "v1", "pods")
	if binding.Target.Kind != "" && binding.Target.Kind != "Node" {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), name, nil)
	}
	if binding.Target.Name == "" {
		return nil, apierrors.NewBadRequest("binding target name is required")
	}
	out, err := r.store.Update(ctx, res.key(ns, name), res.New, func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(res.GroupResource(), name)
		}
		pod := cur.(*corev1.Pod)
		if uid := binding.UID; uid != "" && uid != pod.UID {
			//lint:ignore ST1005 upstream's wording, which clients match.
			return nil, apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", uid, pod.UID))
		}
		if pod.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", name))
		}
		if pod.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(res.GroupResource(), name, fmt.Errorf("pod %s is already assigned to node %q", name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = binding.Target.Name
		for k, v := range binding.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		setPodCondition(&pod.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(r.Now().Truncate(1e9))})
		return pod, nil
	})
	if err != nil {
		return nil, apiError(res, name, err)
	}
	setKind(res, out)
	return out.(*corev1.Pod), nil
}

func setPodCondition(status *corev1.PodStatus, c corev1.PodCondition) {
	for i := range status.Conditions {
		if status.Conditions[i].Type == c.Type {
			if status.Conditions[i].Status == c.Status {
				c.LastTransitionTime = status.Conditions[i].LastTransitionTime
			}
			status.Conditions[i] = c
			return
		}
	}
	status.Conditions = append(status.Conditions, c)
}
