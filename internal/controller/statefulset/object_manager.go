package statefulset

import (
	"context"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// fieldManager names this controller in managedFields.
const fieldManager = "statefulset-controller"

// objectManager is the controller's one I/O seam: every write it makes, and the few live
// reads it needs when a write conflicts. The real one goes through the clientset; the tests'
// fake keeps objects in maps, counts calls and can fail the Nth one. Errors are the API's, so
// callers can test them with apierrors.
type objectManager interface {
	CreatePod(ctx context.Context, pod *v1.Pod) (*v1.Pod, error)
	GetPod(ctx context.Context, namespace, name string) (*v1.Pod, error)
	UpdatePod(ctx context.Context, pod *v1.Pod) (*v1.Pod, error)
	// DeletePod deletes pod with a UID precondition, so a stale cache never deletes a newer
	// pod of the same name.
	DeletePod(ctx context.Context, pod *v1.Pod) error
	// PatchPod applies a strategic merge patch (adoption and release).
	PatchPod(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error)
	CreateClaim(ctx context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error)
	UpdateClaim(ctx context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error)
	CreateControllerRevision(ctx context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error)
	GetControllerRevision(ctx context.Context, namespace, name string) (*apps.ControllerRevision, error)
	UpdateControllerRevision(ctx context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error)
	PatchControllerRevision(ctx context.Context, namespace, name string, patch []byte) (*apps.ControllerRevision, error)
	DeleteControllerRevision(ctx context.Context, revision *apps.ControllerRevision) error
	GetStatefulSet(ctx context.Context, namespace, name string) (*apps.StatefulSet, error)
	UpdateStatefulSetStatus(ctx context.Context, set *apps.StatefulSet) (*apps.StatefulSet, error)
}

// apiObjectManager writes through the clientset and remembers its writes in recent.
type apiObjectManager struct {
	client kubernetes.Interface
	recent *recentWrites
}

var _ objectManager = &apiObjectManager{}

func (m *apiObjectManager) CreatePod(ctx context.Context, pod *v1.Pod) (*v1.Pod, error) {
	out, err := m.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourcePods, out)
	}
	return out, err
}

func (m *apiObjectManager) GetPod(ctx context.Context, namespace, name string) (*v1.Pod, error) {
	return m.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (m *apiObjectManager) UpdatePod(ctx context.Context, pod *v1.Pod) (*v1.Pod, error) {
	out, err := m.client.CoreV1().Pods(pod.Namespace).Update(ctx, pod, metav1.UpdateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourcePods, out)
	}
	return out, err
}

func (m *apiObjectManager) DeletePod(ctx context.Context, pod *v1.Pod) error {
	uid := pod.UID
	err := m.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err == nil {
		m.recent.deleted(resourcePods, pod)
	}
	return err
}

func (m *apiObjectManager) PatchPod(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error) {
	out, err := m.client.CoreV1().Pods(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourcePods, out)
	}
	return out, err
}

func (m *apiObjectManager) CreateClaim(ctx context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error) {
	out, err := m.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Create(ctx, claim, metav1.CreateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceClaims, out)
	}
	return out, err
}

func (m *apiObjectManager) UpdateClaim(ctx context.Context, claim *v1.PersistentVolumeClaim) (*v1.PersistentVolumeClaim, error) {
	out, err := m.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceClaims, out)
	}
	return out, err
}

func (m *apiObjectManager) CreateControllerRevision(ctx context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error) {
	out, err := m.client.AppsV1().ControllerRevisions(revision.Namespace).Create(ctx, revision, metav1.CreateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceRevisions, out)
	}
	return out, err
}

func (m *apiObjectManager) GetControllerRevision(ctx context.Context, namespace, name string) (*apps.ControllerRevision, error) {
	return m.client.AppsV1().ControllerRevisions(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (m *apiObjectManager) UpdateControllerRevision(ctx context.Context, revision *apps.ControllerRevision) (*apps.ControllerRevision, error) {
	out, err := m.client.AppsV1().ControllerRevisions(revision.Namespace).Update(ctx, revision, metav1.UpdateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceRevisions, out)
	}
	return out, err
}

func (m *apiObjectManager) PatchControllerRevision(ctx context.Context, namespace, name string, patch []byte) (*apps.ControllerRevision, error) {
	out, err := m.client.AppsV1().ControllerRevisions(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceRevisions, out)
	}
	return out, err
}

func (m *apiObjectManager) DeleteControllerRevision(ctx context.Context, revision *apps.ControllerRevision) error {
	uid := revision.UID
	err := m.client.AppsV1().ControllerRevisions(revision.Namespace).Delete(ctx, revision.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err == nil {
		m.recent.deleted(resourceRevisions, revision)
	}
	return err
}

func (m *apiObjectManager) GetStatefulSet(ctx context.Context, namespace, name string) (*apps.StatefulSet, error) {
	return m.client.AppsV1().StatefulSets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (m *apiObjectManager) UpdateStatefulSetStatus(ctx context.Context, set *apps.StatefulSet) (*apps.StatefulSet, error) {
	out, err := m.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, set, metav1.UpdateOptions{FieldManager: fieldManager})
	if err == nil {
		m.recent.wrote(resourceSets, out)
	}
	return out, err
}
