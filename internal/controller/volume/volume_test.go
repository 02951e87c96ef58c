package volume

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

type volumeOutcome struct {
	AddFinalizer, RemoveFinalizer bool
	Unbind, KeepReservation       bool
	Phase                         corev1.PersistentVolumePhase
	Message                       string
	Delete, SyncClaim             bool
	Events                        []string
}

func volumeOutcomeOf(p volumePlan) volumeOutcome {
	o := volumeOutcome{AddFinalizer: p.addFinalizer, RemoveFinalizer: p.removeFinalizer, Unbind: p.unbind,
		KeepReservation: p.keepReservation, Phase: p.phase, Message: p.message, Delete: p.delete, SyncClaim: p.syncClaim}
	for _, e := range p.events {
		o.Events = append(o.Events, e.eventType+" "+e.reason+" "+e.message)
	}
	return o
}

func TestPlanVolume(t *testing.T) {
	var (
		boundTo  = pvClaim("default", "data", "uid-data")
		theClaim = newPVC("data", "1Gi", bound("v"))
		local    = pvAnnotation(AnnProvisionedBy, Provisioner)
		deleteIt = pvPolicy(corev1.PersistentVolumeReclaimDelete)
	)
	tests := []struct {
		name  string
		state volumeState
		want  volumeOutcome
	}{
		{
			name:  "a new volume gets pv-protection and is Available",
			state: volumeState{volume: newPV("v", "1Gi", pvFinalizers(), pvPhase(""))},
			want:  volumeOutcome{AddFinalizer: true, Phase: corev1.VolumeAvailable},
		},
		{
			name:  "a volume reserved for a claim (no UID yet) is Available",
			state: volumeState{volume: newPV("v", "1Gi", pvClaim("default", "data", ""), pvPhase(""))},
			want:  volumeOutcome{Phase: corev1.VolumeAvailable},
		},
		{
			name:  "a volume bound to a claim that names it is Bound",
			state: volumeState{volume: newPV("v", "1Gi", boundTo), claim: theClaim},
			want:  volumeOutcome{Phase: corev1.VolumeBound},
		},
		{
			name:  "a volume whose claim has not written its half yet waits for the claim's sync",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPhase("")), claim: newPVC("data", "1Gi")},
			want:  volumeOutcome{SyncClaim: true},
		},
		{
			name:  "a volume whose claim is gone is Released; Retain keeps it so",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPhase(corev1.VolumeBound))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased},
		},
		{
			name:  "a Released volume with Retain stays as it is",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPhase(corev1.VolumeReleased))},
			want:  volumeOutcome{},
		},
		{
			name:  "a released static volume with Delete loses its object",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, deleteIt, pvPhase(corev1.VolumeBound))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased, Delete: true},
		},
		{
			name:  "a released static volume being deleted is not deleted twice, and lets go of pv-protection",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, deleteIt, pvPhase(corev1.VolumeReleased), pvDeleting)},
			want:  volumeOutcome{RemoveFinalizer: true},
		},
		{
			name:  "a released local-path volume is left to its node",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, deleteIt, local, pvPhase(corev1.VolumeBound))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased},
		},
		{
			name:  "a released shared-path volume is left to the shared-path deleter",
			state: volumeState{volume: sharedPV("v", "/s", "d", pvPhase(corev1.VolumeBound))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased},
		},
		{
			name:  "a released volume of another provisioner is left to that provisioner",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, deleteIt, pvAnnotation(AnnProvisionedBy, "example.com/nfs"), pvPhase(corev1.VolumeBound))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased},
		},
		{
			name:  "a Failed volume stays Failed when its claim is gone",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, deleteIt, local, pvPhase(corev1.VolumeFailed))},
			want:  volumeOutcome{},
		},
		{
			name:  "Recycle is not supported: Failed, said once",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPolicy(corev1.PersistentVolumeReclaimRecycle), pvPhase(corev1.VolumeBound))},
			want: volumeOutcome{Phase: corev1.VolumeFailed, Message: "No recycler plugin found for the volume!",
				Events: []string{"Warning VolumeFailedRecycle No recycler plugin found for the volume!"}},
		},
		{
			name:  "Recycle already Failed: quiet",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPolicy(corev1.PersistentVolumeReclaimRecycle), pvPhase(corev1.VolumeFailed))},
			want:  volumeOutcome{},
		},
		{
			name:  "a provisioned volume whose claim took another volume is released",
			state: volumeState{volume: newPV("pvc-uid-data", "1Gi", boundTo, deleteIt, local, pvPhase("")), claim: newPVC("data", "1Gi", bound("other"))},
			want:  volumeOutcome{Phase: corev1.VolumeReleased},
		},
		{
			name:  "a volume we offered to a claim that took another one is freed",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvAnnotation(AnnBoundByController, "yes"), pvPhase(corev1.VolumeBound)), claim: newPVC("data", "1Gi", bound("other"))},
			want:  volumeOutcome{Unbind: true, Phase: corev1.VolumeAvailable},
		},
		{
			name:  "a volume the user reserved for a claim bound elsewhere keeps the reservation",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPhase(corev1.VolumeBound)), claim: newPVC("data", "1Gi", bound("other"))},
			want:  volumeOutcome{Unbind: true, KeepReservation: true, Phase: corev1.VolumeAvailable},
		},
		{
			name:  "a deleted bound volume keeps pv-protection",
			state: volumeState{volume: newPV("v", "1Gi", boundTo, pvPhase(corev1.VolumeBound), pvDeleting), claim: theClaim},
			want:  volumeOutcome{Phase: corev1.VolumeBound},
		},
		{
			name:  "a deleted free volume lets go of pv-protection",
			state: volumeState{volume: newPV("v", "1Gi", pvDeleting)},
			want:  volumeOutcome{RemoveFinalizer: true, Phase: corev1.VolumeAvailable},
		},
		{
			name:  "a deleted volume without pv-protection does not get it back",
			state: volumeState{volume: newPV("v", "1Gi", pvDeleting, pvFinalizers())},
			want:  volumeOutcome{Phase: corev1.VolumeAvailable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, volumeOutcomeOf(planVolume(tt.state))); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}
