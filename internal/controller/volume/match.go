package volume

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// findMatchingVolume picks the volume to bind claim to, or nil when none fits.
//
// A volume already pointing at the claim (pre-bound by a user or provisioned for it) wins
// outright, provided it is big enough, has the claim's volume mode, is not being deleted and,
// when node is given, is reachable from it. Otherwise the candidates are the Available,
// unclaimed volumes of the claim's class whose labels match the claim's selector, whose
// access modes include all the claim's, with the capacity and volume mode asked for, and,
// when node is given, whose node affinity allows it. The best candidate has the fewest
// access modes, then the least capacity, then the first name: upstream's index walks access
// mode sets from the smallest and takes the smallest volume of the first set that has one.
//
// delayed is true for WaitForFirstConsumer claims: while no node has been selected (node is
// nil) only a volume pointing at the claim may be bound.
func findMatchingVolume(claim *corev1.PersistentVolumeClaim, volumes []*corev1.PersistentVolume, node *corev1.Node, delayed bool) (*corev1.PersistentVolume, error) {
	var selector labels.Selector
	if claim.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(claim.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("claim %s/%s has an invalid selector: %w", claim.Namespace, claim.Name, err)
		}
		selector = s
	}
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	class := claimClass(claim)
	var best *corev1.PersistentVolume
	for _, pv := range volumes {
		if pv.Spec.ClaimRef != nil && !isVolumeBoundToClaim(pv, claim) {
			continue
		}
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		if capacity.Cmp(request) < 0 || volumeModeMismatch(claim, pv) || pv.DeletionTimestamp != nil {
			continue
		}
		reachable := node == nil || volumeAllowsNode(pv, node)
		if isVolumeBoundToClaim(pv, claim) {
			if !reachable {
				return nil, nil
			}
			return pv, nil
		}
		if delayed && node == nil {
			continue
		}
		if pv.Status.Phase != corev1.VolumeAvailable ||
			(selector != nil && !selector.Matches(labels.Set(pv.Labels))) ||
			volumeClass(pv) != class || !reachable || !accessModesContain(pv.Spec.AccessModes, claim.Spec.AccessModes) {
			continue
		}
		if best == nil || betterFit(pv, best) {
			best = pv
		}
	}
	return best, nil
}

// betterFit orders candidates: fewer access modes, then less capacity, then name.
func betterFit(a, b *corev1.PersistentVolume) bool {
	if len(a.Spec.AccessModes) != len(b.Spec.AccessModes) {
		return len(a.Spec.AccessModes) < len(b.Spec.AccessModes)
	}
	ca, cb := a.Spec.Capacity[corev1.ResourceStorage], b.Spec.Capacity[corev1.ResourceStorage]
	if c := ca.Cmp(cb); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}

// checkVolumeSatisfiesClaim says why a volume a claim asks for by name cannot serve it.
func checkVolumeSatisfiesClaim(pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	if pv.DeletionTimestamp != nil {
		return fmt.Errorf("the volume is marked for deletion %q", pv.Name)
	}
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	switch {
	case capacity.Cmp(request) < 0:
		return errors.New("requested PV is too small")
	case volumeClass(pv) != claimClass(claim):
		return errors.New("storageClassName does not match")
	case volumeModeMismatch(claim, pv):
		return errors.New("incompatible volumeMode")
	case !accessModesContain(pv.Spec.AccessModes, claim.Spec.AccessModes):
		return errors.New("incompatible accessMode")
	}
	return nil
}

// isVolumeBoundToClaim reports whether pv points at claim: same namespace and name and, once
// the volume carries a UID, the same UID.
func isVolumeBoundToClaim(pv *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) bool {
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.Name != claim.Name || ref.Namespace != claim.Namespace {
		return false
	}
	return ref.UID == "" || ref.UID == claim.UID
}

// volumeModeMismatch compares volume modes, an unset mode meaning Filesystem on both sides.
func volumeModeMismatch(claim *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) bool {
	want, have := corev1.PersistentVolumeFilesystem, corev1.PersistentVolumeFilesystem
	if claim.Spec.VolumeMode != nil {
		want = *claim.Spec.VolumeMode
	}
	if pv.Spec.VolumeMode != nil {
		have = *pv.Spec.VolumeMode
	}
	return want != have
}

// accessModesContain reports whether have includes every mode in want.
func accessModesContain(have, want []corev1.PersistentVolumeAccessMode) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// storageRequest is a claim's requested size.
func storageRequest(claim *corev1.PersistentVolumeClaim) resource.Quantity {
	return claim.Spec.Resources.Requests[corev1.ResourceStorage]
}
