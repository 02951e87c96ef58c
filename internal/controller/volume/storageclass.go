package volume

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// DefaultStorageClass returns the local-path StorageClass ordinal creates at start-up: the
// cluster's default class, provisioned on the node that first runs a pod using the claim
// (WaitForFirstConsumer), deleted with its claim.
func DefaultStorageClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		TypeMeta: metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClassName,
			Annotations: map[string]string{AnnIsDefaultClass: "true"},
		},
		Provisioner:       Provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
}

// SharedPathStorageClass returns a StorageClass of the shared-path provisioner whose volumes
// are directories below path, a directory mounted at that path on every node and on the
// control plane's machines: the class ordinal creates as "nfs-client" when given a shared
// volume directory, standing in for the NFS subdir provisioner's class of that name. It is not
// the default class. Claims bind at once (Immediate: a volume reachable from every node
// needs no node chosen first); a volume is deleted with its claim and its directory archived
// as archived-<directory>, as the provisioner's Helm chart does by default.
func SharedPathStorageClass(name, path string) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		TypeMeta:          metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       SharedPathProvisioner,
		Parameters:        map[string]string{paramPath: path, paramArchiveOnDelete: "true"},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
}

// isDefaultClass reports whether class is marked as the default, by the GA or beta annotation.
func isDefaultClass(class *storagev1.StorageClass) bool {
	return class.Annotations[AnnIsDefaultClass] == "true" || class.Annotations[annBetaIsDefaultClass] == "true"
}

// defaultClassName picks the default StorageClass as the apiserver does at claim creation:
// the newest of those marked default, the first name on a tie; "" when none is.
func defaultClassName(classes []*storagev1.StorageClass) string {
	var chosen *storagev1.StorageClass
	for _, c := range classes {
		if !isDefaultClass(c) {
			continue
		}
		if chosen == nil || c.CreationTimestamp.After(chosen.CreationTimestamp.Time) ||
			(c.CreationTimestamp.Equal(&chosen.CreationTimestamp) && c.Name < chosen.Name) {
			chosen = c
		}
	}
	if chosen == nil {
		return ""
	}
	return chosen.Name
}

// claimClass is the class a claim asks for; "" means no class (and matches only class-less
// volumes). The beta annotation wins over the field, as upstream.
func claimClass(claim *corev1.PersistentVolumeClaim) string {
	if c, ok := claim.Annotations[annBetaStorageClass]; ok {
		return c
	}
	if claim.Spec.StorageClassName != nil {
		return *claim.Spec.StorageClassName
	}
	return ""
}

// volumeClass is the class of a volume, the beta annotation winning over the field.
func volumeClass(pv *corev1.PersistentVolume) string {
	if c, ok := pv.Annotations[annBetaStorageClass]; ok {
		return c
	}
	return pv.Spec.StorageClassName
}

// needsDefaultClass reports whether a claim never got a class (neither field nor beta
// annotation), so that a default class created later is assigned to it (retroactive default
// StorageClass assignment, GA in 1.28). An explicit "" is a choice and is kept.
func needsDefaultClass(claim *corev1.PersistentVolumeClaim) bool {
	_, annotated := claim.Annotations[annBetaStorageClass]
	return claim.Spec.StorageClassName == nil && !annotated
}
