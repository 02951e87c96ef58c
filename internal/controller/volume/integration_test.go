package volume_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	volume "ordinal.dev/ordinal/internal/controller/volume"
	nodevolume "ordinal.dev/ordinal/internal/volume"
)

func TestStaticVolumeBindsSmallestFit(t *testing.T) {
	c := startCluster(t)
	c.createPV("small", "1Gi", corev1.PersistentVolumeReclaimRetain)
	c.createPV("medium", "5Gi", corev1.PersistentVolumeReclaimRetain)
	c.createPV("big", "10Gi", corev1.PersistentVolumeReclaimRetain)
	// All three must be on offer, or the claim takes whichever fits first.
	for _, name := range []string{"small", "medium", "big"} {
		c.waitVolumePhase(name, corev1.VolumeAvailable)
	}
	created := c.createClaim("data", "3Gi", ptr.To(""), nil)

	claim := c.waitClaimBound("data")
	if claim.Spec.VolumeName != "medium" {
		t.Fatalf("bound to %q, want medium (the smallest that fits)", claim.Spec.VolumeName)
	}
	if claim.Annotations[volume.AnnBindCompleted] != "yes" || claim.Annotations[volume.AnnBoundByController] != "yes" {
		t.Errorf("claim annotations %v", claim.Annotations)
	}
	if got := claim.Status.Capacity[corev1.ResourceStorage]; got.String() != "5Gi" {
		t.Errorf("claim capacity %s, want the volume's 5Gi", got.String())
	}
	if !slices.Equal(claim.Status.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("claim access modes %v", claim.Status.AccessModes)
	}
	if !slices.Contains(claim.Finalizers, volume.ClaimProtectionFinalizer) {
		t.Errorf("claim finalizers %v", claim.Finalizers)
	}
	pv := c.waitVolumePhase("medium", corev1.VolumeBound)
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Name != "data" || ref.Namespace != "default" || ref.UID != created.UID {
		t.Errorf("claimRef %+v, want default/data with uid %s", ref, created.UID)
	}
	if pv.Annotations[volume.AnnBoundByController] != "yes" {
		t.Errorf("volume annotations %v", pv.Annotations)
	}
	if pv.Status.LastPhaseTransitionTime == nil {
		t.Error("no lastPhaseTransitionTime")
	}
	if !slices.Contains(pv.Finalizers, volume.VolumeProtectionFinalizer) {
		t.Errorf("volume finalizers %v", pv.Finalizers)
	}
	for _, name := range []string{"small", "big"} {
		c.waitVolumePhase(name, corev1.VolumeAvailable)
	}
}

func TestRetainKeepsReleasedVolume(t *testing.T) {
	c := startCluster(t)
	c.createPV("kept", "1Gi", corev1.PersistentVolumeReclaimRetain)
	created := c.createClaim("data", "1Gi", ptr.To(""), nil)
	c.waitClaimBound("data")
	c.deleteClaim("data")
	c.waitGone("claim data", func() error { _, err := c.claim("data"); return err })

	pv := c.waitVolumePhase("kept", corev1.VolumeReleased)
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != created.UID {
		t.Fatalf("claimRef %+v: a retained volume keeps it", ref)
	}
	// A new claim of the same name does not get the released volume back.
	again := c.createClaim("data", "1Gi", ptr.To(""), nil)
	c.waitEvent(again, "FailedBinding")
	if claim, err := c.claim("data"); err != nil || claim.Status.Phase != corev1.ClaimPending || claim.Spec.VolumeName != "" {
		t.Fatalf("new claim: %v, %v", claim, err)
	}
}

func TestDeleteRemovesReleasedStaticVolume(t *testing.T) {
	c := startCluster(t)
	c.createPV("scratch", "1Gi", corev1.PersistentVolumeReclaimDelete)
	c.createClaim("data", "1Gi", ptr.To(""), nil)
	c.waitClaimBound("data")
	c.deleteClaim("data")
	c.waitGone("volume scratch", func() error { _, err := c.pv("scratch"); return err })
}

func TestLocalPathProvisionAndReclaim(t *testing.T) {
	c := startCluster(t)
	// The control plane creates the default class at start; creating it again is harmless.
	if _, err := c.client.StorageV1().StorageClasses().Create(c.ctx, volume.DefaultStorageClass(), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	c.createNode("node-a")
	created := c.createClaim("www-web-0", "2Gi", nil, nil)
	if created.Spec.StorageClassName == nil || *created.Spec.StorageClassName != "local-path" {
		t.Fatalf("class %v, want the default local-path", created.Spec.StorageClassName)
	}
	if msg := c.waitEvent(created, "WaitForFirstConsumer"); msg != "waiting for first consumer to be created before binding" {
		t.Errorf("WaitForFirstConsumer message %q", msg)
	}

	// The scheduler's part: it picked node-a for the claim's first pod.
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"node-a"}}}`, volume.AnnSelectedNode)
	if _, err := c.client.CoreV1().PersistentVolumeClaims("default").Patch(c.ctx, "www-web-0", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	claim := c.waitClaimBound("www-web-0")
	name := "pvc-" + string(created.UID)
	if claim.Spec.VolumeName != name {
		t.Fatalf("bound to %q, want %q", claim.Spec.VolumeName, name)
	}
	if claim.Annotations[volume.AnnStorageProvisioner] != volume.Provisioner || claim.Annotations[volume.AnnBetaStorageProvisioner] != volume.Provisioner {
		t.Errorf("claim annotations %v", claim.Annotations)
	}
	if msg := c.waitEvent(created, "ProvisioningSucceeded"); msg != "Successfully provisioned volume "+name {
		t.Errorf("ProvisioningSucceeded message %q", msg)
	}
	pv := c.waitVolumePhase(name, corev1.VolumeBound)
	dir := filepath.Join(c.root, name)
	if hp := pv.Spec.HostPath; hp == nil || hp.Path != dir || hp.Type == nil || *hp.Type != corev1.HostPathDirectoryOrCreate {
		t.Errorf("hostPath %+v, want %s DirectoryOrCreate", hp, dir)
	}
	if got := volume.LocalVolumeNode(pv); got != "node-a" {
		t.Errorf("pinned to %q, want node-a", got)
	}
	if pv.Annotations[volume.AnnProvisionedBy] != volume.Provisioner || pv.Spec.StorageClassName != "local-path" ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("volume annotations %v class %q policy %q", pv.Annotations, pv.Spec.StorageClassName, pv.Spec.PersistentVolumeReclaimPolicy)
	}
	if q := pv.Spec.Capacity[corev1.ResourceStorage]; q.String() != "2Gi" {
		t.Errorf("capacity %s", q.String())
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.UID != created.UID {
		t.Errorf("claimRef %+v", ref)
	}

	// The node's part: its agent makes the directory for the pod, the pod writes to it.
	path, err := nodevolume.PrepareLocalVolume(c.root, pv)
	if err != nil || path != dir {
		t.Fatalf("PrepareLocalVolume: %q, %v", path, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("web-0"), 0o644); err != nil {
		t.Fatal(err)
	}
	reclaimer := nodevolume.NewReclaimer(c.client, "node-a", c.root)
	go reclaimer.Run(c.ctx)

	c.deleteClaim("www-web-0")
	c.waitGone("volume "+name, func() error { _, err := c.pv(name); return err })
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory %s still there: %v", dir, err)
	}
}

func TestMissingClassStaysPending(t *testing.T) {
	c := startCluster(t)
	created := c.createClaim("data", "1Gi", ptr.To("gold"), nil)
	if msg := c.waitEvent(created, "ProvisioningFailed"); msg != `storageclass.storage.k8s.io "gold" not found` {
		t.Errorf("message %q", msg)
	}
	claim, err := c.claim("data")
	if err != nil {
		t.Fatal(err)
	}
	if claim.Status.Phase != corev1.ClaimPending || claim.Spec.VolumeName != "" {
		t.Errorf("phase %q volume %q", claim.Status.Phase, claim.Spec.VolumeName)
	}
}

func TestExternalProvisionerIsAwaited(t *testing.T) {
	c := startCluster(t)
	class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "nfs"}, Provisioner: "example.com/nfs"}
	if _, err := c.client.StorageV1().StorageClasses().Create(c.ctx, class, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	created := c.createClaim("data", "1Gi", ptr.To("nfs"), nil)
	msg := c.waitEvent(created, "ExternalProvisioning")
	if !strings.HasPrefix(msg, "Waiting for a volume to be created either by the external provisioner 'example.com/nfs'") {
		t.Errorf("message %q", msg)
	}
	claim, err := c.claim("data")
	if err != nil {
		t.Fatal(err)
	}
	if claim.Annotations[volume.AnnStorageProvisioner] != "example.com/nfs" || claim.Annotations[volume.AnnBetaStorageProvisioner] != "example.com/nfs" {
		t.Errorf("annotations %v", claim.Annotations)
	}
	// The external provisioner's part: a volume pre-bound to the claim, which we bind.
	c.createPV("pvc-"+string(created.UID), "1Gi", corev1.PersistentVolumeReclaimDelete, func(pv *corev1.PersistentVolume) {
		pv.Annotations = map[string]string{volume.AnnProvisionedBy: "example.com/nfs"}
		pv.Spec.StorageClassName = "nfs"
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "data", UID: created.UID}
	})
	if got := c.waitClaimBound("data").Spec.VolumeName; got != "pvc-"+string(created.UID) {
		t.Errorf("bound to %q", got)
	}
	// Released, it is the external provisioner's to delete: it stays.
	c.deleteClaim("data")
	c.waitVolumePhase("pvc-"+string(created.UID), corev1.VolumeReleased)
}

func TestClaimProtection(t *testing.T) {
	c := startCluster(t)
	c.createPV("kept", "1Gi", corev1.PersistentVolumeReclaimRetain)
	c.createClaim("data", "1Gi", ptr.To(""), nil)
	c.waitClaimBound("data")
	c.waitVolumePhase("kept", corev1.VolumeBound)

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "web", Image: "busybox"}},
			Volumes: []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}},
		},
	}
	pod, err := c.client.CoreV1().Pods("default").Create(c.ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	if _, err := c.client.CoreV1().Pods("default").UpdateStatus(c.ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	c.deleteClaim("data")
	if err := c.client.CoreV1().PersistentVolumes().Delete(c.ctx, "kept", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.consistently("the claim and its volume staying while the pod runs", 2*time.Second, func() (bool, string) {
		claim, err := c.claim("data")
		if err != nil {
			return false, "claim: " + err.Error()
		}
		pv, err := c.pv("kept")
		if err != nil {
			return false, "volume: " + err.Error()
		}
		return claim.DeletionTimestamp != nil && pv.DeletionTimestamp != nil, "not terminating"
	})

	// The pod goes: the claim goes, its volume is released and, deleted already, goes too.
	if err := c.client.CoreV1().Pods("default").Delete(c.ctx, "web-0", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	c.waitGone("claim data", func() error { _, err := c.claim("data"); return err })
	c.waitGone("volume kept", func() error { _, err := c.pv("kept"); return err })
}

func TestSwitchingTheDefaultClass(t *testing.T) {
	c := startCluster(t)
	c.setDefault(volume.StorageClassName, false) // the class the control plane starts with
	for _, name := range []string{"alpha", "beta"} {
		class := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: "example.com/" + name}
		if name == "alpha" {
			class.Annotations = map[string]string{volume.AnnIsDefaultClass: "true"}
		}
		if _, err := c.client.StorageV1().StorageClasses().Create(c.ctx, class, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.createClaim("one", "1Gi", nil, nil).Spec.StorageClassName; got == nil || *got != "alpha" {
		t.Fatalf("first claim's class %v, want alpha", got)
	}
	// kubectl patch storageclass alpha/beta -p '{"metadata":{"annotations":{...}}}'
	c.setDefault("alpha", false)
	c.setDefault("beta", true)
	if got := c.createClaim("two", "1Gi", nil, nil).Spec.StorageClassName; got == nil || *got != "beta" {
		t.Fatalf("second claim's class %v, want beta", got)
	}

	// With no default a claim keeps no class, until a default appears (retroactive).
	c.setDefault("beta", false)
	if got := c.createClaim("three", "1Gi", nil, nil).Spec.StorageClassName; got != nil {
		t.Fatalf("third claim's class %q, want none", *got)
	}
	c.setDefault("alpha", true)
	c.eventually("the third claim to get the new default", func() (bool, string) {
		claim, err := c.claim("three")
		if err != nil {
			return false, err.Error()
		}
		if claim.Spec.StorageClassName == nil {
			return false, "no class"
		}
		return *claim.Spec.StorageClassName == "alpha", *claim.Spec.StorageClassName
	})
	// Claims that chose their class keep it.
	for name, want := range map[string]string{"one": "alpha", "two": "beta"} {
		claim, err := c.claim(name)
		if err != nil {
			t.Fatal(err)
		}
		if *claim.Spec.StorageClassName != want {
			t.Errorf("claim %s class %q, want %q", name, *claim.Spec.StorageClassName, want)
		}
	}
}
