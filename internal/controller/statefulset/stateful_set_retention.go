package statefulset

import (
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// persistentVolumeClaimRetentionPolicy is expressed only through ownerReferences on the claims;
// the garbage collector does the deleting (KEP-1847, GA in 1.32):
//
//	whenScaled/whenDeleted   claim of a pod in range   claim of a condemned pod
//	Retain/Retain            no reference              no reference
//	Retain/Delete            controller ref → set      controller ref → set
//	Delete/Retain            no reference              controller ref → pod
//	Delete/Delete            controller ref → set      controller ref → pod
//
// A claim whose reference names our set or pod with another UID (left by an earlier set of
// the same name) is not touched, and neither is a claim another controller owns, apart from
// removing our own references from it.

// getPersistentVolumeClaimRetentionPolicy returns set's policy, Retain/Retain when unset.
func getPersistentVolumeClaimRetentionPolicy(set *apps.StatefulSet) apps.StatefulSetPersistentVolumeClaimRetentionPolicy {
	policy := apps.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: apps.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  apps.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		if p.WhenDeleted == apps.DeletePersistentVolumeClaimRetentionPolicyType {
			policy.WhenDeleted = p.WhenDeleted
		}
		if p.WhenScaled == apps.DeletePersistentVolumeClaimRetentionPolicyType {
			policy.WhenScaled = p.WhenScaled
		}
	}
	return policy
}

// wantClaimOwners tells which of set and pod should own (as controller) a claim of pod under
// set's policy.
func wantClaimOwners(set *apps.StatefulSet, pod *v1.Pod) (setOwns, podOwns bool) {
	policy := getPersistentVolumeClaimRetentionPolicy(set)
	const del = apps.DeletePersistentVolumeClaimRetentionPolicyType
	scaledDown := !podInOrdinalRange(pod, set)
	if scaledDown && policy.WhenScaled == del {
		return false, true
	}
	return policy.WhenDeleted == del, false
}

// matchesRef tells whether ref points at obj by kind and name (whatever the UID).
func matchesRef(ref *metav1.OwnerReference, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	return ref.APIVersion == gvk.GroupVersion().String() && ref.Kind == gvk.Kind && ref.Name == obj.GetName()
}

// hasOwnerRef tells whether target lists owner (by UID) among its owners.
func hasOwnerRef(target, owner metav1.Object) bool {
	for _, ref := range target.GetOwnerReferences() {
		if ref.UID == owner.GetUID() {
			return true
		}
	}
	return false
}

// hasStaleOwnerRef tells whether target's first reference to obj's kind and name carries
// another UID: an earlier object of that name owned it.
func hasStaleOwnerRef(target metav1.Object, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	refs := target.GetOwnerReferences()
	for i := range refs {
		if matchesRef(&refs[i], obj, gvk) {
			return refs[i].UID != obj.GetUID()
		}
	}
	return false
}

// hasUnexpectedController tells whether, under a policy that deletes anything, the claim is
// controlled by something other than set or pod (or by a stale set or pod of the same name).
func hasUnexpectedController(claim *v1.PersistentVolumeClaim, set *apps.StatefulSet, pod *v1.Pod) bool {
	policy := getPersistentVolumeClaimRetentionPolicy(set)
	const retain = apps.RetainPersistentVolumeClaimRetentionPolicyType
	if policy.WhenScaled == retain && policy.WhenDeleted == retain {
		// Under Retain nothing of ours is deleted, so another controller is no conflict.
		return false
	}
	for i := range claim.OwnerReferences {
		ref := &claim.OwnerReferences[i]
		switch {
		case matchesRef(ref, set, controllerKind):
			if ref.UID != set.UID {
				return true
			}
		case matchesRef(ref, pod, podKind):
			if ref.UID != pod.UID {
				return true
			}
		case ref.Controller != nil && *ref.Controller:
			return true
		}
	}
	return false
}

// hasNonControllerOwner tells whether set or pod owns the claim without being its controller,
// which an older controller version wrote and this one replaces.
func hasNonControllerOwner(claim *v1.PersistentVolumeClaim, set *apps.StatefulSet, pod *v1.Pod) bool {
	for _, ref := range claim.OwnerReferences {
		if (ref.UID == set.UID || ref.UID == pod.UID) && (ref.Controller == nil || !*ref.Controller) {
			return true
		}
	}
	return false
}

// isClaimOwnerUpToDate tells whether claim's ownerReferences already say what set's policy
// asks for pod's claim. A claim in a state we do not understand (stale references, another
// controller and none of ours) counts as up to date, so that it is left alone.
func isClaimOwnerUpToDate(claim *v1.PersistentVolumeClaim, set *apps.StatefulSet, pod *v1.Pod) bool {
	if hasStaleOwnerRef(claim, set, controllerKind) || hasStaleOwnerRef(claim, pod, podKind) {
		return true
	}
	if hasUnexpectedController(claim, set, pod) {
		// Only our own references need scrubbing.
		return !hasOwnerRef(claim, set) && !hasOwnerRef(claim, pod)
	}
	if hasNonControllerOwner(claim, set, pod) {
		return false
	}
	setOwns, podOwns := wantClaimOwners(set, pod)
	return hasOwnerRef(claim, set) == setOwns && hasOwnerRef(claim, pod) == podOwns
}

// updateClaimOwnerRefForSetAndPod rewrites claim's references to set and pod as the policy
// asks: ours are removed, then the wanted controller references are appended. Other owners
// are kept. claim must be a copy the caller may change.
func updateClaimOwnerRefForSetAndPod(claim *v1.PersistentVolumeClaim, set *apps.StatefulSet, pod *v1.Pod) {
	unexpected := hasUnexpectedController(claim, set, pod)
	refs := make([]metav1.OwnerReference, 0, len(claim.OwnerReferences)+1)
	for i := range claim.OwnerReferences {
		ref := &claim.OwnerReferences[i]
		if matchesRef(ref, set, controllerKind) || matchesRef(ref, pod, podKind) {
			continue
		}
		refs = append(refs, *ref)
	}
	if !unexpected {
		setOwns, podOwns := wantClaimOwners(set, pod)
		if setOwns {
			refs = append(refs, *metav1.NewControllerRef(set, controllerKind))
		}
		if podOwns {
			refs = append(refs, *metav1.NewControllerRef(pod, podKind))
		}
	}
	if len(refs) == 0 {
		refs = nil
	}
	claim.OwnerReferences = refs
}
