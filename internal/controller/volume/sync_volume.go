package volume

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncVolume reads one volume and its claim, plans, and writes the plan.
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	claim, err := c.volumeClaim(ctx, pv)
	if err != nil {
		return err
	}
	plan := planVolume(volumeState{volume: pv, claim: claim})
	for _, e := range plan.events {
		c.recorder.Event(pv, e.eventType, e.reason, e.message)
	}
	if plan.syncClaim {
		c.claimQueue.Add(pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name)
	}
	pv, err = c.updateVolume(ctx, pv, plan)
	if err != nil || pv == nil {
		return err
	}
	if plan.phase != "" {
		if pv, err = c.updateVolumePhase(ctx, pv, plan.phase, plan.message); err != nil || pv == nil {
			return err
		}
	}
	if plan.delete {
		uid := pv.UID
		err := c.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting released volume %s: %w", pv.Name, err)
		}
	}
	return nil
}

// volumeClaim returns the claim a volume is bound to, nil when it is gone (or is another
// claim by the same name). An absence in the cache is confirmed by a live read unless the
// volume is already released: a volume bound a moment ago to a claim the cache has not seen
// must not be released.
func (c *Controller) volumeClaim(ctx context.Context, pv *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.UID == "" {
		return nil, nil
	}
	claim, err := c.claims.PersistentVolumeClaims(ref.Namespace).Get(ref.Name)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	if err == nil && claim.UID == ref.UID {
		return claim, nil
	}
	if pv.Status.Phase == corev1.VolumeReleased || pv.Status.Phase == corev1.VolumeFailed {
		return nil, nil
	}
	claim, err = c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if claim.UID != ref.UID {
		return nil, nil
	}
	return claim, nil
}

// updateVolume writes the plan's finalizer and unbinding changes in one update and returns the
// volume as stored; nil when it is gone.
func (c *Controller) updateVolume(ctx context.Context, pv *corev1.PersistentVolume, plan volumePlan) (*corev1.PersistentVolume, error) {
	if !plan.addFinalizer && !plan.removeFinalizer && !plan.unbind {
		return pv, nil
	}
	pv = pv.DeepCopy()
	switch {
	case plan.addFinalizer:
		pv.Finalizers = append(pv.Finalizers, VolumeProtectionFinalizer)
	case plan.removeFinalizer:
		pv.Finalizers = withoutFinalizer(pv.Finalizers, VolumeProtectionFinalizer)
	}
	if plan.unbind {
		if plan.keepReservation {
			pv.Spec.ClaimRef.UID = ""
			pv.Spec.ClaimRef.ResourceVersion = ""
		} else {
			pv.Spec.ClaimRef = nil
		}
		delete(pv.Annotations, AnnBoundByController)
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("updating volume %s: %w", pv.Name, err)
	}
	if updated.DeletionTimestamp != nil && len(updated.Finalizers) == 0 {
		// That was the last finalizer: the volume is gone.
		return nil, nil
	}
	return updated, nil
}

// updateVolumePhase writes a volume's phase and message if they differ, stamping
// lastPhaseTransitionTime when the phase changes. It returns the volume as stored, nil when
// it is gone.
func (c *Controller) updateVolumePhase(ctx context.Context, pv *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, message string) (*corev1.PersistentVolume, error) {
	if pv.Status.Phase == phase && pv.Status.Message == message {
		return pv, nil
	}
	pv = pv.DeepCopy()
	if pv.Status.Phase != phase {
		now := metav1.NewTime(c.now())
		pv.Status.LastPhaseTransitionTime = &now
	}
	pv.Status.Phase = phase
	pv.Status.Message = message
	updated, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("setting volume %s %s: %w", pv.Name, phase, err)
	}
	return updated, nil
}
