package job

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/kubernetes"
)

// claimPods reconciles controller references between job and the namespace's pods, as
// upstream's ControllerRefManager: keep the pods it controls that its selector matches,
// adopt matching orphans (adding the tracking finalizer), release controlled pods that no
// longer match. Adopted pods are returned with the finalizer, as they will have it.
func claimPods(ctx context.Context, client kubernetes.Interface, job *batchv1.Job, pods []*corev1.Pod) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("job %s/%s selector: %w", job.Namespace, job.Name, err)
	}
	var once sync.Once
	var adoptErr error
	canAdopt := func() error {
		once.Do(func() {
			fresh, err := client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
			switch {
			case err != nil:
				adoptErr = err
			case fresh.UID != job.UID:
				adoptErr = fmt.Errorf("original Job %s/%s is gone: got uid %s, wanted %s", job.Namespace, job.Name, fresh.UID, job.UID)
			case fresh.DeletionTimestamp != nil:
				adoptErr = fmt.Errorf("job %s/%s has just been deleted", job.Namespace, job.Name)
			}
		})
		return adoptErr
	}
	patch := func(pod *corev1.Pod, body map[string]any) error {
		body["uid"] = pod.UID
		data, _ := json.Marshal(map[string]any{"metadata": body})
		_, err := client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
		return err
	}
	var out []*corev1.Pod
	var errs []error
	for _, pod := range pods {
		match := sel.Matches(labels.Set(pod.Labels))
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
			if ref.UID != job.UID {
				continue
			}
			if match {
				out = append(out, pod)
				continue
			}
			if job.DeletionTimestamp != nil {
				continue
			}
			err := patch(pod, map[string]any{"ownerReferences": []any{map[string]any{"$patch": "delete", "uid": job.UID}}})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		if !match || job.DeletionTimestamp != nil || pod.DeletionTimestamp != nil || pod.Namespace != job.Namespace {
			continue
		}
		if err := canAdopt(); err != nil {
			errs = append(errs, err)
			continue
		}
		err := patch(pod, map[string]any{
			"ownerReferences": []any{metav1.NewControllerRef(job, controllerKind)},
			"finalizers":      []string{batchv1.JobTrackingFinalizer},
		})
		if err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
			continue
		}
		adopted := pod
		if !hasTrackingFinalizer(pod) {
			adopted = pod.DeepCopy()
			adopted.Finalizers = append(adopted.Finalizers, batchv1.JobTrackingFinalizer)
		}
		out = append(out, adopted)
	}
	return out, utilerrors.NewAggregate(errs)
}

// removeFinalizerPatch drops the tracking finalizer and nothing else.
var removeFinalizerPatch = []byte(`{"metadata":{"$deleteFromPrimitiveList/finalizers":["` + batchv1.JobTrackingFinalizer + `"]}}`)
