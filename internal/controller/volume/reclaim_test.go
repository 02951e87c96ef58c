package volume

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestPlanSharedReclaim(t *testing.T) {
	var (
		reclaimAll    = sharedReclaim{storage: true, dropFinalizer: true, deleteVolume: true}
		reclaimLetGo  = sharedReclaim{storage: true, dropFinalizer: true}
		letGo         = sharedReclaim{dropFinalizer: true}
		deleteObject  = sharedReclaim{deleteVolume: true}
		nothing       = sharedReclaim{}
		onlyProtected = pvFinalizers(VolumeProtectionFinalizer)
		retain        = pvPolicy(corev1.PersistentVolumeReclaimRetain)
	)
	tests := []struct {
		name string
		pv   *corev1.PersistentVolume
		want sharedReclaim
	}{
		{"released with Delete: the directory, the finalizer, then the object", sharedPV("v", "/s", "d"), reclaimAll},
		{"failed with Delete (an earlier try failed): try again", sharedPV("v", "/s", "d", pvPhase(corev1.VolumeFailed)), reclaimAll},
		{"released, finalizer gone: the directory was done, only the object is left", sharedPV("v", "/s", "d", onlyProtected), deleteObject},
		{"bound: nothing", sharedPV("v", "/s", "d", pvPhase(corev1.VolumeBound)), nothing},
		{"available: nothing", sharedPV("v", "/s", "d", pvPhase(corev1.VolumeAvailable)), nothing},
		{"just provisioned (no phase): nothing", sharedPV("v", "/s", "d", pvPhase("")), nothing},
		{"released with Retain: keep everything", sharedPV("v", "/s", "d", retain), nothing},
		{"deleted after release: the directory, then let the object go", sharedPV("v", "/s", "d", pvDeleting), reclaimLetGo},
		{"deleted while bound: wait for the claim to let go", sharedPV("v", "/s", "d", pvDeleting, pvPhase(corev1.VolumeBound)), nothing},
		{"deleted, finalizer already gone: nothing", sharedPV("v", "/s", "d", pvDeleting, onlyProtected), nothing},
		{"deleted with Retain: the data stays, the object goes", sharedPV("v", "/s", "d", pvDeleting, retain), letGo},
		{"deleted with Retain while bound: the data stays, the object goes", sharedPV("v", "/s", "d", pvDeleting, retain, pvPhase(corev1.VolumeBound)), letGo},
		{"a local-path volume: the node's business", newPV("v", "1Gi", pvAnnotation(AnnProvisionedBy, Provisioner), pvPolicy(corev1.PersistentVolumeReclaimDelete), pvPhase(corev1.VolumeReleased)), nothing},
		{"a static volume: not ours", newPV("v", "1Gi", pvPolicy(corev1.PersistentVolumeReclaimDelete), pvPhase(corev1.VolumeReleased)), nothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planSharedReclaim(tt.pv); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSharedReclaimTouchesStorageOnce plays the deleter's passes over a released volume, as
// the API would store each write, and checks that the directory is reclaimed in exactly one
// of them whatever pass follows: the finalizer is dropped before the object is deleted, and
// a volume without it never has its storage touched again.
func TestSharedReclaimTouchesStorageOnce(t *testing.T) {
	pv := sharedPV("v", "/s", "d")
	storage := 0
	for pass := 0; pass < 5; pass++ {
		act := planSharedReclaim(pv)
		if act.storage {
			storage++
		}
		if act.dropFinalizer {
			pv.Finalizers = withoutFinalizer(pv.Finalizers, ProvisionerFinalizer)
		}
		if act.deleteVolume {
			// Terminating: pv-protection is left, which the volume sync removes.
			pvDeleting(pv)
		}
	}
	if storage != 1 {
		t.Errorf("storage reclaimed %d times, want once", storage)
	}
	if slices.Contains(pv.Finalizers, ProvisionerFinalizer) || pv.DeletionTimestamp == nil {
		t.Errorf("finalizers %v deleted %v: want the object going", pv.Finalizers, pv.DeletionTimestamp != nil)
	}
}

func TestClaimLetGo(t *testing.T) {
	pv := sharedPV("pvc-1", "/s", "d")
	claim := func(uid types.UID, volume string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{}
		c.Namespace, c.Name, c.UID, c.Spec.VolumeName = "default", "data", uid, volume
		return c
	}
	tests := []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		want  bool
	}{
		{"the claim is gone", nil, true},
		{"another claim with the same name", claim("uid-other", "pvc-1"), true},
		{"the claim is bound to another volume", claim("uid-data", "pvc-2"), true},
		{"the claim still names the volume", claim("uid-data", "pvc-1"), false},
		{"the claim never named the volume (it was never bound)", claim("uid-data", ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClaimLetGo(pv, tt.claim); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDirectoryUsers(t *testing.T) {
	pv := sharedPV("pvc-1", "/s", "ns/data")
	hostPath := func(p string) pvOption {
		return func(pv *corev1.PersistentVolume) { pv.Spec.HostPath.Path = p }
	}
	local := func(p string) pvOption {
		return func(pv *corev1.PersistentVolume) {
			pv.Spec.HostPath = nil
			pv.Spec.Local = &corev1.LocalVolumeSource{Path: p}
		}
	}
	all := volumes(
		pv,
		newPV("same-dir", "1Gi", hostPath("/s/ns/data/")),  // a pathPattern giving two claims one directory
		newPV("inside", "1Gi", hostPath("/s/ns/data/sub")), // a static volume made inside it
		newPV("local-inside", "1Gi", local("/s/ns/data/x")),
		newPV("parent", "1Gi", hostPath("/s/ns")),                                         // holds ours: reclaiming ours takes nothing of its own
		newPV("sibling", "1Gi", hostPath("/s/ns/data-2")),                                 // only shares a prefix of the name
		newPV("elsewhere", "1Gi", hostPath("/srv/ns/data")),                               // another tree
		newPV("nfs", "1Gi", func(pv *corev1.PersistentVolume) { pv.Spec.HostPath = nil }), // no host path
	)
	want := []string{"inside", "local-inside", "same-dir"}
	if diff := cmp.Diff(want, directoryUsers(pv, all)); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if got := directoryUsers(pv, volumes(pv)); got != nil {
		t.Errorf("alone: users %v", got)
	}
}
