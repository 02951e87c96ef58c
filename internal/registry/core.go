package registry

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"ordinal.dev/ordinal/internal/storage"
)

func secretFields(obj runtime.Object) fields.Set {
	return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
}

func nodeFields(obj runtime.Object) fields.Set {
	return fields.Set{"spec.unschedulable": strconv.FormatBool(obj.(*corev1.Node).Spec.Unschedulable)}
}

func eventFields(obj runtime.Object) fields.Set {
	ev := obj.(*corev1.Event)
	return fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         ev.Source.Component,
		"type":                           ev.Type,
	}
}

// Annotations that mark the default StorageClass (the beta one is still honoured upstream).
const (
	defaultStorageClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultStorageClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// IsDefaultStorageClass reports whether class is marked as the default.
func IsDefaultStorageClass(class *storagev1.StorageClass) bool {
	return class.Annotations[defaultStorageClassAnnotation] == "true" || class.Annotations[betaDefaultStorageClassAnnotation] == "true"
}

// prepareClaim gives a claim without storageClassName the default StorageClass (the newest
// when several are marked), as upstream's DefaultStorageClass admission does. An explicit
// "" means "no class" and is kept.
func prepareClaim(ctx context.Context, r *Registry, obj runtime.Object) error {
	pvc := obj.(*corev1.PersistentVolumeClaim)
	pvc.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
	if pvc.Spec.StorageClassName != nil {
		return nil
	}
	chosen, err := newestDefault(ctx, r, "/registry/storage.k8s.io/storageclasses/", func() runtime.Object { return &storagev1.StorageClass{} },
		func(o runtime.Object) bool { return IsDefaultStorageClass(o.(*storagev1.StorageClass)) })
	if err != nil {
		return err
	}
	if chosen != "" {
		pvc.Spec.StorageClassName = &chosen
	}
	return nil
}

// preparePersistentVolume starts a new volume in phase Pending with its transition time, as
// upstream's registry does (PersistentVolumeLastPhaseTransitionTime, GA in 1.31).
func preparePersistentVolume(_ context.Context, r *Registry, obj runtime.Object) error {
	pv := obj.(*corev1.PersistentVolume)
	now := metav1.NewTime(r.Now().Truncate(1e9))
	pv.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: &now}
	return nil
}

// stampVolumePhaseTransition records when a status write changes the volume's phase.
func stampVolumePhaseTransition(obj, old runtime.Object) {
	pv, prev := obj.(*corev1.PersistentVolume), old.(*corev1.PersistentVolume)
	if pv.Status.Phase != prev.Status.Phase && (pv.Status.LastPhaseTransitionTime == nil || pv.Status.LastPhaseTransitionTime.Equal(prev.Status.LastPhaseTransitionTime)) {
		now := metav1.Now().Rfc3339Copy()
		pv.Status.LastPhaseTransitionTime = &now
	}
}

// foldSecretStringData moves stringData into data, as upstream's conversion does: stringData
// is write-only and never stored or returned.
func foldSecretStringData(secret *corev1.Secret) {
	if len(secret.StringData) == 0 {
		secret.StringData = nil
		return
	}
	if secret.Data == nil {
		secret.Data = make(map[string][]byte, len(secret.StringData))
	}
	for k, v := range secret.StringData {
		secret.Data[k] = []byte(v)
	}
	secret.StringData = nil
}

func prepareSecret(_ context.Context, _ *Registry, obj runtime.Object) error {
	foldSecretStringData(obj.(*corev1.Secret))
	return nil
}

func prepareSecretUpdate(obj, _ runtime.Object) { foldSecretStringData(obj.(*corev1.Secret)) }

// prepareIngress gives an Ingress without a class the default IngressClass (the newest when
// several are marked), as upstream's DefaultIngressClass admission does on create. The legacy
// kubernetes.io/ingress.class annotation, even empty, means the user chose.
func prepareIngress(ctx context.Context, r *Registry, obj runtime.Object) error {
	ing := obj.(*networkingv1.Ingress)
	ing.Status = networkingv1.IngressStatus{}
	if ing.Spec.IngressClassName != nil {
		return nil
	}
	if _, ok := ing.Annotations["kubernetes.io/ingress.class"]; ok {
		return nil
	}
	chosen, err := newestDefault(ctx, r, "/registry/networking.k8s.io/ingressclasses/", func() runtime.Object { return &networkingv1.IngressClass{} },
		func(o runtime.Object) bool {
			return o.(*networkingv1.IngressClass).Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
		})
	if err != nil {
		return err
	}
	if chosen != "" {
		ing.Spec.IngressClassName = &chosen
	}
	return nil
}

// newestDefault names the newest object under prefix that isDefault accepts (the smallest
// name on a tie), as upstream's DefaultStorageClass and DefaultIngressClass admission pick
// among several defaults; "" when there is none.
func newestDefault(ctx context.Context, r *Registry, prefix string, newObj func() runtime.Object, isDefault func(runtime.Object) bool) (string, error) {
	list, err := r.store.List(ctx, prefix, storage.ListOptions{Predicate: isDefault}, newObj)
	if err != nil {
		return "", apierrors.NewInternalError(err)
	}
	var chosen metav1.Object
	for _, o := range list.Items {
		c := accessor(o)
		if chosen == nil {
			chosen = c
			continue
		}
		created, best := c.GetCreationTimestamp().Time, chosen.GetCreationTimestamp().Time
		if created.After(best) || (created.Equal(best) && c.GetName() < chosen.GetName()) {
			chosen = c
		}
	}
	if chosen == nil {
		return "", nil
	}
	return chosen.GetName(), nil
}
