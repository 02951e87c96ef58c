package volume

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// claimState is what the controller observed about one claim.
type claimState struct {
	claim *corev1.PersistentVolumeClaim
	// class is the claim's StorageClass; nil when the claim has no class or the class does
	// not exist.
	class *storagev1.StorageClass
	// volumes are all the volumes of the cluster.
	volumes []*corev1.PersistentVolume
	// node is the node the scheduler selected (annotation volume.kubernetes.io/selected-node);
	// nil when none is. The caller passes a stand-in carrying only the hostname label when the
	// node is not (yet) known.
	node *corev1.Node
	// defaultClass is the current default StorageClass, "" when there is none.
	defaultClass string
	// inUse says a pod holds the claim; it only matters once the claim is being deleted.
	inUse bool
	// unscheduledPods names the pods using the claim that wait for the scheduler; they only
	// matter to a claim waiting for its first consumer.
	unscheduledPods []string
	// root is the local-path volume directory; "" disables the local-path provisioner.
	root string
	// sharedDirs are the shared volume directories shared-path classes may use; none
	// disables the shared-path provisioner.
	sharedDirs []string
}

// event is one event to record on the object being synced.
type event struct {
	eventType, reason, message string
	// provisioner, when set, signs the event with that provisioner's name rather than the
	// controller's, as external provisioners do.
	provisioner string
}

// claimPlan is what one sync does to a claim, in this order: one update of the claim's
// metadata and spec (finalizer, class, provisioner annotation), the creation of a provisioned
// volume, the binding to a volume, and the claim's status.
type claimPlan struct {
	addFinalizer    bool
	removeFinalizer bool
	// setClass assigns a default StorageClass created after the claim.
	setClass string
	// annotateProvisioner names the provisioner expected to provision the claim.
	annotateProvisioner string
	// provision is a local-path or shared-path volume to create for the claim.
	provision *corev1.PersistentVolume
	// bind is the volume to bind the claim to (or to finish binding to); the claim becomes
	// Bound.
	bind *corev1.PersistentVolume
	// phase is the claim's status phase when it is not being bound ("" leaves it).
	phase  corev1.PersistentVolumeClaimPhase
	events []event
}

func (p *claimPlan) event(eventType, reason, message string) {
	p.events = append(p.events, event{eventType: eventType, reason: reason, message: message})
}

// planClaim decides one sync of a claim, as upstream's syncClaim with the pvc-protection
// controller folded in. An error means the state breaks an invariant that a later sync may
// see repaired; the caller retries with back-off.
func planClaim(s claimState) (claimPlan, error) {
	var p claimPlan
	claim := s.claim
	deleting := claim.DeletionTimestamp != nil
	protected := hasFinalizer(claim.Finalizers, ClaimProtectionFinalizer)
	switch {
	case !deleting && !protected:
		p.addFinalizer = true
	case deleting && protected && !s.inUse:
		p.removeFinalizer = true
		return p, nil
	}
	if _, done := claim.Annotations[AnnBindCompleted]; done {
		planBoundClaim(s, &p)
		return p, nil
	}
	if deleting {
		// Binding or provisioning now would only leave a volume to release.
		return p, nil
	}
	if needsDefaultClass(claim) && s.defaultClass != "" {
		// Bind with the class on the next sync, once the update is observed.
		p.setClass = s.defaultClass
		return p, nil
	}
	if claim.Spec.VolumeName != "" {
		return p, planPreboundClaim(s, &p)
	}
	return p, planUnboundClaim(s, &p)
}

// planUnboundClaim binds a claim that names no volume to the best match, or provisions one.
func planUnboundClaim(s claimState, p *claimPlan) error {
	claim := s.claim
	delayed := s.class != nil && s.class.VolumeBindingMode != nil && *s.class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
	var node *corev1.Node
	if delayed {
		node = s.node
	}
	pv, err := findMatchingVolume(claim, s.volumes, node, delayed)
	if err != nil {
		return err
	}
	if pv != nil {
		p.bind = pv
		return nil
	}
	p.phase = corev1.ClaimPending
	switch {
	case delayed && node == nil && len(s.unscheduledPods) == 1:
		p.event(corev1.EventTypeNormal, reasonWaitForPodScheduled, fmt.Sprintf("waiting for pod %s to be scheduled", s.unscheduledPods[0]))
	case delayed && node == nil && len(s.unscheduledPods) > 1:
		p.event(corev1.EventTypeNormal, reasonWaitForPodScheduled, fmt.Sprintf("waiting for pods %s to be scheduled", strings.Join(s.unscheduledPods, ",")))
	case delayed && node == nil:
		p.event(corev1.EventTypeNormal, reasonWaitForFirstConsumer, "waiting for first consumer to be created before binding")
	case claimClass(claim) != "":
		planProvision(s, p)
	default:
		p.event(corev1.EventTypeNormal, reasonFailedBinding, "no persistent volumes available for this claim and no storage class is set")
	}
	return nil
}

// planProvision asks for a new volume: ours (local-path, shared-path) are built here, others
// are announced and awaited.
func planProvision(s claimState, p *claimPlan) {
	claim := s.claim
	if s.class == nil {
		p.event(corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("storageclass.storage.k8s.io %q not found", claimClass(claim)))
		return
	}
	provisioner := s.class.Provisioner
	if strings.HasPrefix(provisioner, "kubernetes.io/") {
		// Upstream's in-tree plugins are not part of ordinal; kubernetes.io/no-provisioner
		// (static local volumes) lands here too, as upstream reports it.
		p.event(corev1.EventTypeWarning, reasonProvisioningFailed, "no volume plugin matched name: "+provisioner)
		return
	}
	if claim.Annotations[AnnStorageProvisioner] != provisioner || claim.Annotations[AnnBetaStorageProvisioner] != provisioner {
		p.annotateProvisioner = provisioner
	}
	var pv *corev1.PersistentVolume
	var err error
	switch provisioner {
	case Provisioner:
		pv, err = newLocalVolume(claim, s.class, s.node, s.root)
	case SharedPathProvisioner:
		pv, err = newSharedVolume(claim, s.class, s.sharedDirs)
	default:
		p.event(corev1.EventTypeNormal, reasonExternalProvisioning, fmt.Sprintf(
			"Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
			provisioner))
		return
	}
	if err != nil {
		p.events = append(p.events, event{eventType: corev1.EventTypeWarning, reason: reasonProvisioningFailed, provisioner: provisioner,
			message: fmt.Sprintf("failed to provision volume with StorageClass %q: %v", s.class.Name, err)})
		return
	}
	p.provision = pv
}

// planPreboundClaim binds a claim to the volume it names, if that volume is free for it.
func planPreboundClaim(s claimState, p *claimPlan) error {
	claim := s.claim
	pv := findVolume(s.volumes, claim.Spec.VolumeName)
	switch {
	case pv == nil:
		p.phase = corev1.ClaimPending
	case pv.Spec.ClaimRef == nil:
		if err := checkVolumeSatisfiesClaim(pv, claim); err != nil {
			p.event(corev1.EventTypeWarning, reasonVolumeMismatch, fmt.Sprintf("Cannot bind to requested volume %q: %v", pv.Name, err))
			p.phase = corev1.ClaimPending
			return nil
		}
		p.bind = pv
	case isVolumeBoundToClaim(pv, claim):
		p.bind = pv
	case claim.Annotations[AnnBoundByController] == "":
		// The user asked for a volume someone else holds: wait for it.
		p.phase = corev1.ClaimPending
	default:
		return fmt.Errorf("invalid binding of claim %s/%s to volume %q: volume already claimed by %s/%s",
			claim.Namespace, claim.Name, pv.Name, pv.Spec.ClaimRef.Namespace, pv.Spec.ClaimRef.Name)
	}
	return nil
}

// planBoundClaim keeps a claim that has been bound once in step with its volume, or marks it
// Lost (an event only on the change, not on every sync).
func planBoundClaim(s claimState, p *claimPlan) {
	claim := s.claim
	lost := func(reason, message string) {
		if claim.Status.Phase != corev1.ClaimLost {
			p.event(corev1.EventTypeWarning, reason, message)
		}
		p.phase = corev1.ClaimLost
	}
	if claim.Spec.VolumeName == "" {
		lost(reasonClaimLost, "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
		return
	}
	pv := findVolume(s.volumes, claim.Spec.VolumeName)
	switch {
	case pv == nil:
		lost(reasonClaimLost, "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
	case pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID == claim.UID:
		// All is well, or the volume came unbound: (re)bind; writes only what differs.
		p.bind = pv
	default:
		lost(reasonClaimMisbound, "Two claims are bound to the same volume, this one is bound incorrectly")
	}
}

func findVolume(volumes []*corev1.PersistentVolume, name string) *corev1.PersistentVolume {
	for _, pv := range volumes {
		if pv.Name == name {
			return pv
		}
	}
	return nil
}
