package volume

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
)

// reclaimAction is what the reclaimer does to one volume, in this order.
type reclaimAction struct {
	// removeDir removes the volume's directory.
	removeDir bool
	// deleteVolume deletes the volume object once its directory is gone.
	deleteVolume bool
	// dropFinalizer removes the provisioner finalizer: the storage is gone (or, for a
	// retained volume, kept on purpose) and the object may go.
	dropFinalizer bool
}

// planReclaim decides what node does for pv. Only local-path volumes pinned to node are its
// business. With reclaim policy Delete, a Released (or Failed) volume has its directory
// removed and its object deleted; a volume whose object is being deleted has its directory
// removed and its finalizer dropped once it is no longer Bound. A retained volume being
// deleted keeps its directory and just lets its object go.
func planReclaim(pv *corev1.PersistentVolume, node string) reclaimAction {
	if !volumectl.IsLocalVolume(pv) || volumectl.LocalVolumeNode(pv) != node {
		return reclaimAction{}
	}
	deleting := pv.DeletionTimestamp != nil
	finalized := slices.Contains(pv.Finalizers, volumectl.ProvisionerFinalizer)
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return reclaimAction{dropFinalizer: deleting && finalized}
	}
	switch {
	case deleting && finalized && pv.Status.Phase != corev1.VolumeBound:
		return reclaimAction{removeDir: true, dropFinalizer: true}
	case !deleting && (pv.Status.Phase == corev1.VolumeReleased || pv.Status.Phase == corev1.VolumeFailed):
		return reclaimAction{removeDir: true, deleteVolume: true}
	}
	return reclaimAction{}
}
