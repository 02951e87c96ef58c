package volume

import (
	corev1 "k8s.io/api/core/v1"
)

// volumeState is what the controller observed about one volume.
type volumeState struct {
	volume *corev1.PersistentVolume
	// claim is the claim the volume's claimRef names, nil when it does not exist or has
	// another UID (the claim was deleted and another made with the same name). The caller
	// confirms an absence with a live read before passing nil, so that a stale cache never
	// releases a volume.
	claim *corev1.PersistentVolumeClaim
}

// volumePlan is what one sync does to a volume, in this order: one update of its metadata and
// spec (finalizer, unbinding), its status, and its deletion.
type volumePlan struct {
	addFinalizer    bool
	removeFinalizer bool
	// unbind clears the claimRef; keepReservation keeps a user's pre-binding (name and
	// namespace) and clears only the UID.
	unbind          bool
	keepReservation bool
	// phase and message are the volume's status ("" phase leaves it).
	phase   corev1.PersistentVolumePhase
	message string
	// delete removes the volume object (a released static volume with policy Delete).
	delete bool
	// syncClaim asks for the claim to be synced: it is half bound and its sync finishes it.
	syncClaim bool
	events    []event
}

func (p *volumePlan) event(eventType, reason, message string) {
	p.events = append(p.events, event{eventType: eventType, reason: reason, message: message})
}

// planVolume decides one sync of a volume, as upstream's syncVolume with the pv-protection
// controller folded in.
func planVolume(s volumeState) volumePlan {
	var p volumePlan
	pv := s.volume
	deleting := pv.DeletionTimestamp != nil
	protected := hasFinalizer(pv.Finalizers, VolumeProtectionFinalizer)
	switch {
	case !deleting && !protected:
		p.addFinalizer = true
	case deleting && protected && pv.Status.Phase != corev1.VolumeBound:
		p.removeFinalizer = true
	}
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.UID == "" {
		// Free, or reserved for a claim whose sync will bind it.
		p.phase = corev1.VolumeAvailable
		return p
	}
	claim := s.claim
	switch {
	case claim == nil:
		planRelease(pv, &p)
	case claim.Spec.VolumeName == "":
		// Bound by us or a provisioner, the claim's half not written (or seen) yet.
		p.syncClaim = true
	case claim.Spec.VolumeName == pv.Name:
		p.phase = corev1.VolumeBound
	case pv.Annotations[AnnProvisionedBy] != "" && pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete:
		// Provisioned for a claim that got another volume: not needed.
		planRelease(pv, &p)
	case pv.Annotations[AnnBoundByController] != "":
		// We offered it to a claim that took another one: free it.
		p.unbind = true
		p.phase = corev1.VolumeAvailable
	default:
		// Pre-bound by the user to a claim bound elsewhere: keep the reservation.
		p.unbind, p.keepReservation = true, true
		p.phase = corev1.VolumeAvailable
	}
	return p
}

// planRelease marks a volume whose claim is gone Released and reclaims it by its policy. A
// Failed volume stays Failed so that the user sees what went wrong.
func planRelease(pv *corev1.PersistentVolume, p *volumePlan) {
	if pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed {
		p.phase = corev1.VolumeReleased
	}
	switch pv.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimDelete:
		// Local-path volumes are removed by their node, shared-path volumes by this
		// controller's shared-path deleter (sync_reclaim.go), other provisioners' by them;
		// a static volume only loses its object: ordinal has no deleters for volume sources
		// it did not create (upstream's hostPath deleter only ever cleaned /tmp).
		if pv.Annotations[AnnProvisionedBy] == "" && pv.DeletionTimestamp == nil {
			p.delete = true
		}
	case corev1.PersistentVolumeReclaimRecycle:
		// Recycling is deprecated upstream and not implemented: say so once.
		if pv.Status.Phase != corev1.VolumeFailed {
			p.phase = corev1.VolumeFailed
			p.message = "No recycler plugin found for the volume!"
			p.event(corev1.EventTypeWarning, reasonVolumeFailedRecycle, p.message)
		}
	}
}
