package printers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotations that mark the default class; the beta one is still honoured.
const (
	isDefaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaIsDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

var storageClassDoc = storagev1.StorageClass{}.SwaggerDoc()

var storageClassColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Provisioner", "string", storageClassDoc["provisioner"]),
	column("ReclaimPolicy", "string", storageClassDoc["reclaimPolicy"]),
	column("VolumeBindingMode", "string", storageClassDoc["volumeBindingMode"]),
	column("AllowVolumeExpansion", "string", storageClassDoc["allowVolumeExpansion"]),
	ageColumn(),
}

func printStorageClass(sc *storagev1.StorageClass, now time.Time) (metav1.TableRow, error) {
	// The server, not kubectl, marks the default class in the Name cell.
	name := sc.Name
	if sc.Annotations[isDefaultClassAnnotation] == "true" || sc.Annotations[betaIsDefaultClassAnnotation] == "true" {
		name += " (default)"
	}
	// Unset fields show the defaults the API applies.
	reclaim := string(corev1.PersistentVolumeReclaimDelete)
	if sc.ReclaimPolicy != nil {
		reclaim = string(*sc.ReclaimPolicy)
	}
	binding := string(storagev1.VolumeBindingImmediate)
	if sc.VolumeBindingMode != nil {
		binding = string(*sc.VolumeBindingMode)
	}
	expansion := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
	return newRow(sc, name, sc.Provisioner, reclaim, binding, expansion, age(sc.CreationTimestamp, now)), nil
}
