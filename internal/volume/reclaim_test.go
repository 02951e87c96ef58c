package volume

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
)

func TestPlanReclaim(t *testing.T) {
	const node = "node-a"
	var (
		removeAndDelete = reclaimAction{removeDir: true, deleteVolume: true}
		removeAndLetGo  = reclaimAction{removeDir: true, dropFinalizer: true}
		letGo           = reclaimAction{dropFinalizer: true}
	)
	tests := []struct {
		name string
		pv   *corev1.PersistentVolume
		want reclaimAction
	}{
		{"released with Delete: remove the directory, then the object", localPV("v", "/r", node), removeAndDelete},
		{"failed with Delete (an earlier removal failed): try again", localPV("v", "/r", node, phase(corev1.VolumeFailed)), removeAndDelete},
		{"bound: nothing", localPV("v", "/r", node, phase(corev1.VolumeBound)), reclaimAction{}},
		{"available: nothing", localPV("v", "/r", node, phase(corev1.VolumeAvailable)), reclaimAction{}},
		{"just provisioned (no phase): nothing", localPV("v", "/r", node, phase("")), reclaimAction{}},
		{"released with Retain: keep", localPV("v", "/r", node, policy(corev1.PersistentVolumeReclaimRetain)), reclaimAction{}},
		{"on another node: not ours to touch", localPV("v", "/r", "node-b"), reclaimAction{}},
		{"not a local-path volume: not ours to touch", localPV("v", "/r", node, func(pv *corev1.PersistentVolume) {
			pv.Annotations[volumectl.AnnProvisionedBy] = "example.com/nfs"
		}), reclaimAction{}},
		{"deleted after release: remove the directory, let the object go", localPV("v", "/r", node, deleting), removeAndLetGo},
		{"deleted while bound: wait for the claim to let go", localPV("v", "/r", node, deleting, phase(corev1.VolumeBound)), reclaimAction{}},
		{"deleted, finalizer already gone: nothing", localPV("v", "/r", node, deleting, finalizers(volumectl.VolumeProtectionFinalizer)), reclaimAction{}},
		{"deleted with Retain: the data stays, the object goes", localPV("v", "/r", node, deleting, policy(corev1.PersistentVolumeReclaimRetain)), letGo},
		{"deleted with Retain while bound: the data stays, the object goes", localPV("v", "/r", node, deleting, phase(corev1.VolumeBound), policy(corev1.PersistentVolumeReclaimRetain)), letGo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planReclaim(tt.pv, node); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
