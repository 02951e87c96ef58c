package defaults

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/utils/ptr"
)

// DefaultStorageClass fills in a StorageClass's defaults: volumes it
// provisions are deleted with their claim, and are provisioned as soon as the
// claim exists.
func DefaultStorageClass(sc *storagev1.StorageClass) {
	if sc.ReclaimPolicy == nil {
		sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimDelete)
	}
	if sc.VolumeBindingMode == nil {
		sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	}
}

// DefaultCSIDriver fills in a CSIDriver's defaults, each the conservative
// reading of a driver that says nothing: it needs attaching, wants no pod
// info, publishes no capacity, and handles plain persistent volumes.
func DefaultCSIDriver(d *storagev1.CSIDriver) {
	spec := &d.Spec
	if spec.AttachRequired == nil {
		spec.AttachRequired = ptr.To(true)
	}
	if spec.PodInfoOnMount == nil {
		spec.PodInfoOnMount = ptr.To(false)
	}
	if spec.StorageCapacity == nil {
		spec.StorageCapacity = ptr.To(false)
	}
	if spec.FSGroupPolicy == nil {
		spec.FSGroupPolicy = ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)
	}
	if len(spec.VolumeLifecycleModes) == 0 {
		spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}
	}
	if spec.RequiresRepublish == nil {
		spec.RequiresRepublish = ptr.To(false)
	}
	// SELinuxMountReadWriteOncePod is on by default in 1.32.
	if spec.SELinuxMount == nil {
		spec.SELinuxMount = ptr.To(false)
	}
}

// DefaultVolumeAttachment defaults a migrated in-line volume the way the
// same spec is defaulted inside a PersistentVolume.
func DefaultVolumeAttachment(va *storagev1.VolumeAttachment) {
	if spec := va.Spec.Source.InlineVolumeSpec; spec != nil {
		defaultPersistentVolumeSpec(spec)
	}
}
