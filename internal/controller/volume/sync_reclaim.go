package volume

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/volume/shareddir"
)

// syncSharedReclaim carries out planSharedReclaim for one shared-path volume. Before touching
// the directory it re-reads the volume, its claim and every volume from the API, so that a
// stale cache can never cost data still in use.
func (c *Controller) syncSharedReclaim(ctx context.Context, name string) error {
	cached, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if planSharedReclaim(cached) == (sharedReclaim{}) {
		return nil
	}
	pv, err := c.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	act := planSharedReclaim(pv)
	if act.storage {
		if err := c.checkClaimLetGo(ctx, pv); err != nil {
			return err
		}
		if err := c.reclaimSharedDir(ctx, pv); err != nil {
			return c.failedDelete(ctx, pv, err)
		}
	}
	if act.dropFinalizer {
		pv = pv.DeepCopy()
		pv.Finalizers = withoutFinalizer(pv.Finalizers, ProvisionerFinalizer)
		pv, err = c.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			// A conflict retries the whole sync; the directory is gone by then, so the
			// storage step finds nothing to do.
			return fmt.Errorf("removing the finalizer of volume %s: %w", name, err)
		}
	}
	if act.deleteVolume {
		uid := pv.UID
		err := c.client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting volume %s: %w", name, err)
		}
	}
	return nil
}

// checkClaimLetGo reads the volume's claim from the API; an error means it may still hold
// the volume. The claim outlives every pod using it (pvc-protection), so a claim that let go
// means no pod on any node uses the directory.
func (c *Controller) checkClaimLetGo(ctx context.Context, pv *corev1.PersistentVolume) error {
	ref := pv.Spec.ClaimRef
	if ref == nil {
		return nil
	}
	claim, err := c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ClaimLetGo(pv, claim) {
		// Retried with back-off: whoever marked the volume released may yet be right.
		return fmt.Errorf("volume %s is released but claim %s/%s still holds it: keeping its data", pv.Name, ref.Namespace, ref.Name)
	}
	return nil
}

// reclaimSharedDir deletes, archives or keeps a shared-path volume's directory as the volume
// says, unless another volume's directory is that one or inside it.
func (c *Controller) reclaimSharedDir(ctx context.Context, pv *corev1.PersistentVolume) error {
	onDelete := sharedOnDelete(pv)
	if onDelete == onDeleteRetain {
		return nil
	}
	loc, err := sharedVolumeLocation(pv, c.sharedDirs)
	if err != nil {
		return err
	}
	list, err := c.client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	all := make([]*corev1.PersistentVolume, len(list.Items))
	for i := range list.Items {
		all[i] = &list.Items[i]
	}
	if users := directoryUsers(pv, all); len(users) > 0 {
		c.sharedRecorder.Event(pv, corev1.EventTypeNormal, reasonVolumeDirectoryKept, fmt.Sprintf(
			"directory %s kept: volume(s) %s use it", pv.Spec.HostPath.Path, strings.Join(users, ", ")))
		return nil
	}
	if onDelete == onDeleteDelete {
		if err := shareddir.Remove(loc.base, loc.dir); err != nil {
			return err
		}
		slog.Info("shared-path volume reclaimed: directory removed", "volume", pv.Name, "dir", pv.Spec.HostPath.Path)
		return nil
	}
	archived, err := shareddir.Archive(loc.base, loc.dir, loc.archive...)
	if err != nil {
		return err
	}
	if archived != "" {
		slog.Info("shared-path volume reclaimed: directory archived", "volume", pv.Name, "dir", pv.Spec.HostPath.Path, "archive", archived)
	}
	return nil
}

// failedDelete reports a directory that could not be reclaimed, as upstream's deleters do: a
// Warning event and phase Failed with the reason; the volume is retried with back-off.
func (c *Controller) failedDelete(ctx context.Context, pv *corev1.PersistentVolume, cause error) error {
	message := cause.Error()
	c.sharedRecorder.Event(pv, corev1.EventTypeWarning, reasonVolumeFailedDelete, message)
	if _, err := c.updateVolumePhase(ctx, pv, corev1.VolumeFailed, message); err != nil {
		slog.Warn("shared-path reclaim: cannot mark volume Failed", "volume", pv.Name, "err", err)
	}
	return fmt.Errorf("reclaiming the directory of volume %s: %w", pv.Name, cause)
}
