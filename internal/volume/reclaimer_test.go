package volume_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/volume"
)

// These tests run the reclaimer alone against a real API, playing the volume controller's
// part by hand, so that each of its checks is seen in isolation.

func startAPI(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// The reclaimer alone: the volume controller would release volumes whose claims do not exist.
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", DisableControllers: []string{"volume"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cp.Stop()
	})
	return ctx, kubernetes.NewForConfigOrDie(cp.RestConfig)
}

// createReleased makes a local-path volume on node-a bound to default/data, sets its phase
// and makes its directory with a file in it.
func createReleased(ctx context.Context, t *testing.T, client kubernetes.Interface, root, name string, phase corev1.PersistentVolumePhase) string {
	t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{volumectl.AnnProvisionedBy: volumectl.Provisioner},
			Finalizers:  []string{volumectl.ProvisionerFinalizer}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join(root, name), Type: ptr.To(corev1.HostPathDirectoryOrCreate)}},
			ClaimRef:                      &corev1.ObjectReference{Namespace: "default", Name: "data", UID: "uid-gone"},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              volumectl.StorageClassName,
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"node-a"}}},
			}}}},
		},
	}
	created, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := volume.PrepareLocalVolume(root, created)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	created.Status.Phase = phase
	if _, err := client.CoreV1().PersistentVolumes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func gone(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, os.ErrNotExist)
}

func TestReclaimerDeletesReleasedVolume(t *testing.T) {
	ctx, client := startAPI(t)
	root := filepath.Join(t.TempDir(), "volumes")
	dir := createReleased(ctx, t, client, root, "pvc-1", corev1.VolumeReleased)
	// A volume still bound is left alone.
	other := createReleased(ctx, t, client, root, "pvc-2", corev1.VolumeBound)
	go volume.NewReclaimer(client, "node-a", root).Run(ctx)

	// Without the volume controller nobody removes pv-protection, so the object stays
	// Terminating; the reclaimer's part is the directory, the deletion and its finalizer.
	eventually(t, "the directory removed and the volume deleted", func() bool {
		pv, err := client.CoreV1().PersistentVolumes().Get(ctx, "pvc-1", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return gone(dir)
		}
		return err == nil && gone(dir) && pv.DeletionTimestamp != nil && !slices.Contains(pv.Finalizers, volumectl.ProvisionerFinalizer)
	})
	if gone(other) {
		t.Fatal("removed the directory of a bound volume")
	}
}

func TestReclaimerKeepsVolumeItsClaimStillHolds(t *testing.T) {
	ctx, client := startAPI(t)
	root := filepath.Join(t.TempDir(), "volumes")
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			VolumeName:  "pvc-1",
		},
	}
	created, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := createReleased(ctx, t, client, root, "pvc-1", corev1.VolumeReleased)
	// A volume wrongly marked Released while its claim (same UID) still names it.
	pv, err := client.CoreV1().PersistentVolumes().Get(ctx, "pvc-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv.Spec.ClaimRef.UID = created.UID
	if _, err := client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	go volume.NewReclaimer(client, "node-a", root).Run(ctx)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if gone(dir) {
			t.Fatal("removed the data of a volume its claim still holds")
		}
	}
	// Once the claim lets go, the volume is reclaimed.
	if err := client.CoreV1().PersistentVolumeClaims("default").Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the directory removed", func() bool { return gone(dir) })
}

func TestReclaimerRemovesDirectoryOfDeletedVolume(t *testing.T) {
	ctx, client := startAPI(t)
	root := filepath.Join(t.TempDir(), "volumes")
	dir := createReleased(ctx, t, client, root, "pvc-1", corev1.VolumeAvailable)
	go volume.NewReclaimer(client, "node-a", root).Run(ctx)
	// kubectl delete pv: the provisioner finalizer holds the object until the data is gone.
	if err := client.CoreV1().PersistentVolumes().Delete(ctx, "pvc-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the directory removed and the volume gone", func() bool {
		_, err := client.CoreV1().PersistentVolumes().Get(ctx, "pvc-1", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && gone(dir)
	})
}
