package scheduler

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// podControl is every write the scheduler makes; errors are the API's. The scheduling path
// never reads the API: these are its only requests.
type podControl interface {
	// selectNode sets the claim's volume.kubernetes.io/selected-node annotation to node
	// (retrying on conflict with a fresh read).
	selectNode(ctx context.Context, claim *corev1.PersistentVolumeClaim, node string) error
	// bind assigns the pod to node through pods/binding, with the pod's UID as precondition.
	bind(ctx context.Context, pod *corev1.Pod, node string) error
	// patchStatus changes the pod's status from old to updated (conditions, nominatedNodeName)
	// with a strategic merge patch, as upstream's PatchPodStatus.
	patchStatus(ctx context.Context, old *corev1.Pod, updated *corev1.PodStatus) error
	// deletePod deletes a preemption victim with its own grace period.
	deletePod(ctx context.Context, pod *corev1.Pod) error
}

// clientControl is podControl over the API.
type clientControl struct {
	client kubernetes.Interface
}

func (c clientControl) selectNode(ctx context.Context, claim *corev1.PersistentVolumeClaim, node string) error {
	current := claim
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if current.Annotations[AnnSelectedNode] == node {
			return nil
		}
		updated := current.DeepCopy()
		if updated.Annotations == nil {
			updated.Annotations = map[string]string{}
		}
		updated.Annotations[AnnSelectedNode] = node
		_, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, updated, metav1.UpdateOptions{FieldManager: fieldManager})
		if apierrors.IsConflict(err) {
			fresh, getErr := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
			if getErr != nil {
				return getErr
			}
			current = fresh
		}
		return err
	})
}

func (c clientControl) bind(ctx context.Context, pod *corev1.Pod, node string) error {
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	return c.client.CoreV1().Pods(pod.Namespace).Bind(ctx, binding, metav1.CreateOptions{FieldManager: fieldManager})
}

func (c clientControl) patchStatus(ctx context.Context, old *corev1.Pod, updated *corev1.PodStatus) error {
	oldData, err := json.Marshal(corev1.Pod{Status: old.Status})
	if err != nil {
		return err
	}
	newData, err := json.Marshal(corev1.Pod{Status: *updated})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, &corev1.Pod{})
	if err != nil {
		return fmt.Errorf("patching status of pod %s/%s: %w", old.Namespace, old.Name, err)
	}
	if string(patch) == "{}" {
		return nil
	}
	return retry.OnError(retry.DefaultBackoff, retriable, func() error {
		_, err := c.client.CoreV1().Pods(old.Namespace).Patch(ctx, old.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager}, "status")
		return err
	})
}

func (c clientControl) deletePod(ctx context.Context, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// retriable errors are the API being briefly unable to answer.
func retriable(err error) bool {
	return apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err)
}
