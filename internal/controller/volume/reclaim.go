package volume

import (
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// sharedReclaim is what the shared-path provisioner's deleter does to one volume, in this
// order. Dropping the finalizer before deleting the object records that the storage is done
// with: a later pass deletes the object without touching the directory again.
type sharedReclaim struct {
	// storage deletes, archives or keeps the volume's directory, as its onDelete says.
	storage bool
	// dropFinalizer removes the provisioner finalizer: the storage is reclaimed (or, for a
	// retained volume, kept on purpose) and the object may go.
	dropFinalizer bool
	// deleteVolume deletes the volume object.
	deleteVolume bool
}

// planSharedReclaim decides what the shared-path provisioner does for pv, as an external
// provisioner's deleter does with HonorPVReclaimPolicy. Only shared-path volumes with policy
// Delete lose storage, and only once their claim let them go: a Released (or Failed: an
// earlier try failed) volume has its directory reclaimed and its object deleted; a volume
// whose object is being deleted has its directory reclaimed and its finalizer dropped once
// it is no longer Bound. A Released volume without the finalizer had its directory
// reclaimed by an earlier pass: only its object is left to delete. A retained volume being
// deleted keeps its directory and just lets its object go.
func planSharedReclaim(pv *corev1.PersistentVolume) sharedReclaim {
	if !IsSharedVolume(pv) {
		return sharedReclaim{}
	}
	deleting := pv.DeletionTimestamp != nil
	finalized := hasFinalizer(pv.Finalizers, ProvisionerFinalizer)
	if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return sharedReclaim{dropFinalizer: deleting && finalized}
	}
	released := pv.Status.Phase == corev1.VolumeReleased || pv.Status.Phase == corev1.VolumeFailed
	switch {
	case deleting && finalized && pv.Status.Phase != corev1.VolumeBound:
		return sharedReclaim{storage: true, dropFinalizer: true}
	case deleting:
		return sharedReclaim{}
	case released && finalized:
		return sharedReclaim{storage: true, dropFinalizer: true, deleteVolume: true}
	case released:
		return sharedReclaim{deleteVolume: true}
	}
	return sharedReclaim{}
}

// ClaimLetGo reports whether the claim a volume was bound to no longer holds it: gone (claim
// nil), replaced by another claim of the same name, or not naming the volume. A claim that
// names no volume never reached Bound, so no pod has written to the volume. Deleters check
// this against the API before they remove any data.
func ClaimLetGo(pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) bool {
	ref := pv.Spec.ClaimRef
	if ref == nil || claim == nil {
		return true
	}
	return claim.UID != ref.UID || claim.Spec.VolumeName != pv.Name
}

// directoryUsers names, sorted, the other volumes whose directory is pv's or inside it:
// reclaiming pv's directory would take their data too. That happens with a pathPattern that
// gives several claims one directory (upstream lets them share it, and deletes it under the
// others), when a claim deleted and made again gets its old directory back, or with a static
// hostPath volume made inside a provisioned one.
func directoryUsers(pv *corev1.PersistentVolume, volumes []*corev1.PersistentVolume) []string {
	dir := volumePath(pv)
	if dir == "" {
		return nil
	}
	var users []string
	for _, other := range volumes {
		if other.Name == pv.Name {
			continue
		}
		if p := volumePath(other); p != "" && (p == dir || strings.HasPrefix(p, dir+"/")) {
			users = append(users, other.Name)
		}
	}
	slices.Sort(users)
	return users
}

// volumePath is the host path of a hostPath or local volume, "" for other sources.
func volumePath(pv *corev1.PersistentVolume) string {
	switch {
	case pv.Spec.HostPath != nil && pv.Spec.HostPath.Path != "":
		return filepath.Clean(pv.Spec.HostPath.Path)
	case pv.Spec.Local != nil && pv.Spec.Local.Path != "":
		return filepath.Clean(pv.Spec.Local.Path)
	}
	return ""
}
