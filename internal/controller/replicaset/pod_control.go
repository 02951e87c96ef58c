package replicaset

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
)

// Event reasons, as upstream's controller package.
const (
	SuccessfulCreatePodReason = "SuccessfulCreate"
	FailedCreatePodReason     = "FailedCreate"
	SuccessfulDeletePodReason = "SuccessfulDelete"
	FailedDeletePodReason     = "FailedDelete"
)

// podControl is every pod write the controller makes. Each create and delete records an
// event on owner (the API object, for the reference).
type podControl interface {
	createPod(ctx context.Context, pod *v1.Pod, owner runtime.Object) error
	deletePod(ctx context.Context, ns, name string, owner runtime.Object) error
	patchPod(ctx context.Context, ns, name string, patch []byte) error
}

type realPodControl struct {
	client   kubernetes.Interface
	recorder record.EventRecorder
}

func (r realPodControl) createPod(ctx context.Context, pod *v1.Pod, owner runtime.Object) error {
	if len(pod.Labels) == 0 {
		return fmt.Errorf("unable to create pods, no labels")
	}
	created, err := r.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		// Every create fails in a terminating namespace; that is not worth an event.
		if !apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause) {
			r.recorder.Eventf(owner, v1.EventTypeWarning, FailedCreatePodReason, "Error creating: %v", err)
		}
		return err
	}
	r.recorder.Eventf(owner, v1.EventTypeNormal, SuccessfulCreatePodReason, "Created pod: %v", created.Name)
	return nil
}

func (r realPodControl) deletePod(ctx context.Context, ns, name string, owner runtime.Object) error {
	if err := r.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		r.recorder.Eventf(owner, v1.EventTypeWarning, FailedDeletePodReason, "Error deleting: %v", err)
		return fmt.Errorf("unable to delete pods: %w", err)
	}
	r.recorder.Eventf(owner, v1.EventTypeNormal, SuccessfulDeletePodReason, "Deleted pod: %v", name)
	return nil
}

func (r realPodControl) patchPod(ctx context.Context, ns, name string, patch []byte) error {
	_, err := r.client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// podFromTemplate builds the pod an owner creates: the template's labels, annotations,
// finalizers and spec, generateName "<owner>-" and the owner's controller reference.
func podFromTemplate(template *v1.PodTemplateSpec, namespace, ownerName string, ref metav1.OwnerReference) *v1.Pod {
	t := template.DeepCopy()
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       namespace,
			GenerateName:    podsPrefix(ownerName),
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{ref},
		},
		Spec: t.Spec,
	}
}

// podsPrefix is "<owner>-", or the bare owner name when that is not a valid name prefix.
func podsPrefix(ownerName string) string {
	prefix := ownerName + "-"
	if len(apivalidation.NameIsDNSSubdomain(prefix, true)) != 0 {
		return ownerName
	}
	return prefix
}
