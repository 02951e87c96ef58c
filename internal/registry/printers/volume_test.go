package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPersistentVolumeClaimColumns(t *testing.T) {
	assertHeaders(t, &corev1.PersistentVolumeClaim{},
		"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode+")
}

func TestPersistentVolumeClaimRows(t *testing.T) {
	bound := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "www-web-0", CreationTimestamp: ago(20 * time.Minute)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			StorageClassName: ptr("local-path"),
			VolumeName:       "pvc-1234",
			VolumeMode:       ptr(corev1.PersistentVolumeFilesystem),
		},
		Status: corev1.PersistentVolumeClaimStatus{
			Phase:       corev1.ClaimBound,
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadWriteOnce, corev1.ReadWriteOnce},
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
		},
	}
	assertCells(t, bound, "www-web-0", "Bound", "pvc-1234", "2Gi", "RWO,RWOP", "local-path", "<unset>", "20m", "Filesystem")

	// A pending claim shows neither capacity nor modes: those come from a volume.
	pending := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "data",
			CreationTimestamp: ago(time.Minute),
			DeletionTimestamp: agoPtr(0),
			Annotations:       map[string]string{"volume.beta.kubernetes.io/storage-class": "legacy"},
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:               []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName:          ptr("ignored-for-annotation"),
			VolumeAttributesClassName: ptr("gold"),
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	assertCells(t, pending, "data", "Terminating", "", "", "", "legacy", "gold", "60s", "<unset>")
}

func TestPersistentVolumeRow(t *testing.T) {
	assertHeaders(t, &corev1.PersistentVolume{},
		"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
		"VolumeAttributesClass", "Reason", "Age", "VolumeMode+")
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-1234", CreationTimestamp: ago(20 * time.Minute)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadOnlyMany, corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef:                      &corev1.ObjectReference{Namespace: "default", Name: "www-web-0"},
			StorageClassName:              "local-path",
			VolumeMode:                    ptr(corev1.PersistentVolumeBlock),
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeReleased, Reason: "claim deleted"},
	}
	assertCells(t, pv, "pvc-1234", "1Gi", "RWO,ROX,RWX", "Retain", "Released", "default/www-web-0", "local-path",
		"<unset>", "claim deleted", "20m", "Block")
	assertCells(t, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "bare"}},
		"bare", "0", "", "", "", "", "", "<unset>", "", "<unknown>", "<unset>")
}

func TestStorageClassRows(t *testing.T) {
	assertHeaders(t, &storagev1.StorageClass{},
		"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age")
	def := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "local-path",
			CreationTimestamp: ago(time.Hour),
			Annotations:       map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:          "ordinal.dev/local-path",
		ReclaimPolicy:        ptr(corev1.PersistentVolumeReclaimRetain),
		VolumeBindingMode:    ptr(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr(true),
	}
	assertCells(t, def, "local-path (default)", "ordinal.dev/local-path", "Retain", "WaitForFirstConsumer", true, "60m")

	// Unset fields show their API defaults; only "true" marks a default class.
	other := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "slow",
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "yes"},
		},
		Provisioner: "example.com/nfs",
	}
	assertCells(t, other, "slow", "example.com/nfs", "Delete", "Immediate", false, "<unknown>")

	beta := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{
		Name:        "old",
		Annotations: map[string]string{"storageclass.beta.kubernetes.io/is-default-class": "true"},
	}}
	if name := cellsOf(t, beta)[0]; name != "old (default)" {
		t.Errorf("beta annotation: name %q", name)
	}
}
