package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Upstream's VolumeBinding reasons.
const (
	reasonBindConflict     = "node(s) didn't find available persistent volumes to bind"
	reasonNodeConflict     = "node(s) had volume node affinity conflict"
	reasonPVNotExist       = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
	reasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"
)

const (
	// AnnSelectedNode is the claim annotation through which the scheduler tells the
	// provisioner of a WaitForFirstConsumer claim where the pod that uses it goes.
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// annBindCompleted marks a claim the PV controller has finished binding.
	annBindCompleted = "pv.kubernetes.io/bind-completed"
	// annBetaStorageClass is the class annotation that predates spec.storageClassName.
	annBetaStorageClass = "volume.beta.kubernetes.io/storage-class"
	// notSupportedProvisioner marks classes of static local volumes: nothing provisions them.
	notSupportedProvisioner = "kubernetes.io/no-provisioner"
)

// podVolumes is VolumeBinding's view of the pod's claims.
type podVolumes struct {
	// bound claims with their volume; volume is nil when the claim names a volume that does
	// not exist.
	bound []boundClaim
	// delayed are unbound claims of WaitForFirstConsumer classes: once the scheduler names a
	// node, the PV controller binds a static volume reachable from it or provisions one there.
	delayed []delayedClaim
}

type delayedClaim struct {
	claim *corev1.PersistentVolumeClaim
	// preBound is a volume already pointing at the claim (provisioned for it, or pre-bound by
	// a user): the claim can only go where it is reachable.
	preBound *corev1.PersistentVolume
	// static are the Available volumes that could be bound to the claim, if reachable.
	static []*corev1.PersistentVolume
}

type boundClaim struct {
	claim  *corev1.PersistentVolumeClaim
	volume *corev1.PersistentVolume
}

// volumeBindingPreFilter is upstream's VolumeBinding pre-filter: each claim must exist, not be
// Lost, not be going away, and (for a generic ephemeral volume) belong to the pod; bound claims
// are looked up with their volume; an unbound claim whose class binds immediately leaves the
// pod waiting for the PV controller.
func volumeBindingPreFilter(cs *cycleState) (map[string]struct{}, *status) {
	cs.volumes = nil
	pod := cs.pod.pod
	if len(cs.pod.claims) == 0 {
		return nil, nil
	}
	var claims []*corev1.PersistentVolumeClaim
	seen := map[string]bool{}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		name, ok := claimName(pod, v)
		if !ok {
			continue
		}
		claim, found := cs.snap.storage.Claim(pod.Namespace, name)
		switch {
		case !found && v.Ephemeral != nil:
			return nil, newStatus(unschedulableAndUnresolvable, fmt.Sprintf("waiting for ephemeral volume controller to create the persistentvolumeclaim %q", name))
		case !found:
			return nil, newStatus(unschedulableAndUnresolvable, claimNotFound(name))
		case claim.Status.Phase == corev1.ClaimLost:
			return nil, newStatus(unschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q bound to non-existent persistentvolume %q", claim.Name, claim.Spec.VolumeName))
		case claim.DeletionTimestamp != nil:
			return nil, newStatus(unschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", claim.Name))
		case v.Ephemeral != nil && !metav1.IsControlledBy(claim, pod):
			return nil, newStatus(unschedulableAndUnresolvable, fmt.Sprintf("PVC %s/%s was not created for pod %s/%s (pod is not owner)", claim.Namespace, claim.Name, pod.Namespace, pod.Name))
		}
		if !seen[name] {
			seen[name] = true
			claims = append(claims, claim)
		}
	}
	pv := &podVolumes{}
	immediate := false
	for _, claim := range claims {
		switch {
		case claimIsBound(claim):
			volume, _ := cs.snap.storage.Volume(claim.Spec.VolumeName)
			pv.bound = append(pv.bound, boundClaim{claim: claim, volume: volume})
		case claim.Spec.VolumeName == "" && cs.delayedBinding(claim):
			pv.delayed = append(pv.delayed, staticVolumesFor(claim, cs.snap.storage.Volumes()))
		default:
			// Immediate classes, and claims pre-bound to a volume by name, are the PV
			// controller's to bind before the pod can go anywhere.
			immediate = true
		}
	}
	if immediate {
		return nil, newStatus(unschedulableAndUnresolvable, reasonUnboundImmediate)
	}
	cs.volumes = pv
	return nil, nil
}

// claimIsBound: the claim names its volume and the PV controller finished binding (the
// annotation, or phase Bound).
func claimIsBound(claim *corev1.PersistentVolumeClaim) bool {
	if claim.Spec.VolumeName == "" {
		return false
	}
	_, done := claim.Annotations[annBindCompleted]
	return done || claim.Status.Phase == corev1.ClaimBound
}

func claimClass(claim *corev1.PersistentVolumeClaim) string {
	if c, ok := claim.Annotations[annBetaStorageClass]; ok {
		return c
	}
	if claim.Spec.StorageClassName != nil {
		return *claim.Spec.StorageClassName
	}
	return ""
}

// delayedBinding reports whether the claim's class waits for the first consumer; no class, or
// a class that does not exist, binds immediately (upstream's IsDelayBindingMode).
func (cs *cycleState) delayedBinding(claim *corev1.PersistentVolumeClaim) bool {
	name := claimClass(claim)
	if name == "" {
		return false
	}
	class, ok := cs.snap.storage.Class(name)
	return ok && class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer
}

// volumeBindingFilter is upstream's VolumeBinding filter: a bound volume's required node
// affinity must match the node (local volumes pin their pods); a delayed claim already
// promised to a node (selected-node annotation) goes nowhere else, and otherwise needs a class
// that provisions on this node.
func volumeBindingFilter(cs *cycleState, n *nodeInfo) *status {
	pv := cs.volumes
	if pv == nil {
		return nil
	}
	nodeConflict, volumeMissing := false, false
	for _, b := range pv.bound {
		if b.volume == nil {
			volumeMissing = true
			break
		}
		if !volumeNodeAffinityMatches(b.volume, n.node) {
			nodeConflict = true
			break
		}
	}
	bindConflict := false
	for _, d := range pv.delayed {
		if !cs.delayedClaimFits(d, n) {
			bindConflict = true
			break
		}
	}
	var reasons []string
	if nodeConflict {
		reasons = append(reasons, reasonNodeConflict)
	}
	if bindConflict {
		reasons = append(reasons, reasonBindConflict)
	}
	if volumeMissing {
		reasons = append(reasons, reasonPVNotExist)
	}
	if len(reasons) == 0 {
		return nil
	}
	return newStatus(unschedulableAndUnresolvable, reasons...)
}

func volumeNodeAffinityMatches(pv *corev1.PersistentVolume, node *corev1.Node) bool {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return true
	}
	return nodeMatchesSelectorTerms(node, pv.Spec.NodeAffinity.Required.NodeSelectorTerms)
}

// delayedClaimFits: the claim is not promised to another node, and on n a volume pointing at
// it is reachable, or else an Available volume that could be bound to it, or else its class
// can provision there.
func (cs *cycleState) delayedClaimFits(d delayedClaim, n *nodeInfo) bool {
	if selected, ok := d.claim.Annotations[AnnSelectedNode]; ok && selected != n.name() {
		return false
	}
	if d.preBound != nil {
		return volumeNodeAffinityMatches(d.preBound, n.node)
	}
	for _, pv := range d.static {
		if volumeNodeAffinityMatches(pv, n.node) {
			return true
		}
	}
	return cs.canProvision(d.claim, n.node)
}

// staticVolumesFor finds the volumes a delayed claim could be bound to, as the PV controller
// matches them: one already pointing at the claim, else the Available, unclaimed volumes of
// its class with its volume mode, enough capacity, all its access modes and labels its
// selector accepts.
func staticVolumesFor(claim *corev1.PersistentVolumeClaim, volumes []*corev1.PersistentVolume) delayedClaim {
	d := delayedClaim{claim: claim}
	var selector labels.Selector
	if claim.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(claim.Spec.Selector)
		if err != nil {
			return d
		}
		selector = s
	}
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	class := claimClass(claim)
	for _, pv := range volumes {
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		if pv.DeletionTimestamp != nil || capacity.Cmp(request) < 0 || volumeMode(pv.Spec.VolumeMode) != volumeMode(claim.Spec.VolumeMode) {
			continue
		}
		if ref := pv.Spec.ClaimRef; ref != nil {
			if ref.Namespace == claim.Namespace && ref.Name == claim.Name && (ref.UID == "" || ref.UID == claim.UID) {
				d.preBound = pv
				return d
			}
			continue
		}
		if pv.Status.Phase != corev1.VolumeAvailable || pv.Spec.StorageClassName != class ||
			(selector != nil && !selector.Matches(labels.Set(pv.Labels))) || !hasAccessModes(pv.Spec.AccessModes, claim.Spec.AccessModes) {
			continue
		}
		d.static = append(d.static, pv)
	}
	return d
}

func volumeMode(m *corev1.PersistentVolumeMode) corev1.PersistentVolumeMode {
	if m == nil {
		return corev1.PersistentVolumeFilesystem
	}
	return *m
}

func hasAccessModes(have, want []corev1.PersistentVolumeAccessMode) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// canProvision: the claim's class has a provisioner and allows the node's topology.
func (cs *cycleState) canProvision(claim *corev1.PersistentVolumeClaim, node *corev1.Node) bool {
	class, ok := cs.snap.storage.Class(claimClass(claim))
	if !ok || class.Provisioner == "" || class.Provisioner == notSupportedProvisioner {
		return false
	}
	return topologySelectorMatches(class.AllowedTopologies, node.Labels)
}

// claimsToSelect are the delayed claims that still need the selected-node annotation for
// node.
func (pv *podVolumes) claimsToSelect(node string) []*corev1.PersistentVolumeClaim {
	if pv == nil {
		return nil
	}
	var out []*corev1.PersistentVolumeClaim
	for _, d := range pv.delayed {
		if d.claim.Annotations[AnnSelectedNode] != node {
			out = append(out, d.claim)
		}
	}
	return out
}
