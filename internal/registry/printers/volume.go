package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// betaStorageClassAnnotation predates spec.storageClassName and, when
// present, still wins over it (upstream's GetPersistentVolume(Claim)Class).
const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"

var (
	pvSpecDoc    = corev1.PersistentVolumeSpec{}.SwaggerDoc()
	pvStatusDoc  = corev1.PersistentVolumeStatus{}.SwaggerDoc()
	pvcSpecDoc   = corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()
	pvcStatusDoc = corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()
)

var persistentVolumeColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Capacity", "string", pvSpecDoc["capacity"]),
	column("Access Modes", "string", pvSpecDoc["accessModes"]),
	column("Reclaim Policy", "string", pvSpecDoc["persistentVolumeReclaimPolicy"]),
	column("Status", "string", pvStatusDoc["phase"]),
	column("Claim", "string", pvSpecDoc["claimRef"]),
	column("StorageClass", "string", "StorageClass of the pv"),
	column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
	column("Reason", "string", pvStatusDoc["reason"]),
	ageColumn(),
	wideColumn("VolumeMode", "string", pvSpecDoc["volumeMode"]),
}

func printPersistentVolume(pv *corev1.PersistentVolume, now time.Time) (metav1.TableRow, error) {
	claim := ""
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	class, found := pv.Annotations[betaStorageClassAnnotation]
	if !found {
		class = pv.Spec.StorageClassName
	}
	return newRow(pv,
		pv.Name,
		capacity.String(),
		accessModesCell(pv.Spec.AccessModes),
		string(pv.Spec.PersistentVolumeReclaimPolicy),
		volumePhase(string(pv.Status.Phase), pv.DeletionTimestamp),
		claim,
		class,
		stringPtrOrUnset(pv.Spec.VolumeAttributesClassName),
		pv.Status.Reason,
		age(pv.CreationTimestamp, now),
		volumeModeCell(pv.Spec.VolumeMode),
	), nil
}

var persistentVolumeClaimColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Status", "string", pvcStatusDoc["phase"]),
	column("Volume", "string", pvcSpecDoc["volumeName"]),
	column("Capacity", "string", pvcStatusDoc["capacity"]),
	column("Access Modes", "string", pvcStatusDoc["accessModes"]),
	column("StorageClass", "string", "StorageClass of the pvc"),
	column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
	ageColumn(),
	wideColumn("VolumeMode", "string", pvcSpecDoc["volumeMode"]),
}

func printPersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim, now time.Time) (metav1.TableRow, error) {
	// Capacity and access modes are what the bound volume offers, so they
	// stay blank until the claim names a volume.
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		q := pvc.Status.Capacity[corev1.ResourceStorage]
		capacity, modes = q.String(), accessModesCell(pvc.Status.AccessModes)
	}
	class, found := pvc.Annotations[betaStorageClassAnnotation]
	if !found && pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	return newRow(pvc,
		pvc.Name,
		volumePhase(string(pvc.Status.Phase), pvc.DeletionTimestamp),
		pvc.Spec.VolumeName,
		capacity,
		modes,
		class,
		stringPtrOrUnset(pvc.Spec.VolumeAttributesClassName),
		age(pvc.CreationTimestamp, now),
		volumeModeCell(pvc.Spec.VolumeMode),
	), nil
}

// volumePhase is the phase, or Terminating once deletion has begun (a
// volume or claim in use is held by its protection finalizer).
func volumePhase(phase string, deleted *metav1.Time) string {
	if deleted != nil {
		return "Terminating"
	}
	return phase
}

func volumeModeCell(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return unset
	}
	return string(*m)
}

func stringPtrOrUnset(s *string) string {
	if s == nil {
		return unset
	}
	return *s
}
