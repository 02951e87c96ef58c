package agent

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestCheckVolumes(t *testing.T) {
	claimVol := func(claim string) corev1.Volume {
		return corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
	}
	pod := func(vols ...corev1.Volume) *corev1.Pod {
		p := testPod(corev1.RestartPolicyAlways, nil, "app")
		p.Spec.Volumes = vols
		return p
	}
	bound := func(name, pv string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pv}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
	}
	volume := func(name string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeSpec{AccessModes: modes}}
	}
	user := func(name, node string, phase corev1.PodPhase) *corev1.Pod {
		p := pod(claimVol("data"))
		p.Name, p.UID, p.Spec.NodeName, p.Status.Phase = name, types.UID("uid-x"+name), node, phase
		return p
	}
	rwo := corev1.ReadWriteOnce
	tests := []struct {
		name    string
		pod     *corev1.Pod
		facts   volumeFacts
		want    string // problem message; "" when ready
		wantPVs int
	}{
		{name: "no volumes", pod: pod(), want: ""},
		{
			name: "claim missing", pod: pod(claimVol("data")),
			want: `Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found`,
		},
		{
			name: "claim pending", pod: pod(claimVol("data")),
			facts: volumeFacts{Claims: map[string]*corev1.PersistentVolumeClaim{"data": {ObjectMeta: metav1.ObjectMeta{Name: "data"}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}}},
			want:  "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound",
		},
		{
			name: "claim bound", pod: pod(claimVol("data")),
			facts:   volumeFacts{Claims: map[string]*corev1.PersistentVolumeClaim{"data": bound("data", "pv-1")}, Volumes: map[string]*corev1.PersistentVolume{"pv-1": volume("pv-1", rwo)}},
			wantPVs: 1,
		},
		{
			name: "RWO volume used by a running pod on another node",
			pod:  pod(claimVol("data")),
			facts: volumeFacts{
				Claims: map[string]*corev1.PersistentVolumeClaim{"data": bound("data", "pv-1")}, Volumes: map[string]*corev1.PersistentVolume{"pv-1": volume("pv-1", rwo)},
				Users: []*corev1.Pod{user("b", "node-2", corev1.PodRunning), user("a", "node-3", corev1.PodRunning), user("same-node", "node-1", corev1.PodRunning), user("done", "node-2", corev1.PodSucceeded), user("waiting", "node-2", corev1.PodPending)},
			},
			want: `Multi-Attach error for volume "pv-1" Volume is already used by pod(s) a, b`,
		},
		{
			name: "RWX volume may be used from several nodes",
			pod:  pod(claimVol("data")),
			facts: volumeFacts{
				Claims: map[string]*corev1.PersistentVolumeClaim{"data": bound("data", "pv-1")}, Volumes: map[string]*corev1.PersistentVolume{"pv-1": volume("pv-1", corev1.ReadWriteMany)},
				Users: []*corev1.Pod{user("b", "node-2", corev1.PodRunning)},
			},
			wantPVs: 1,
		},
		{
			name: "config map missing",
			pod:  pod(corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}),
			want: `MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found`,
		},
		{
			name: "optional secret missing is fine",
			pod:  pod(corev1.Volume{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x", Optional: ptrTo(true)}}}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pvs, problem := checkVolumes(tt.pod, tt.facts, "node-1")
			got := ""
			if problem != nil {
				got = problem.Message
			}
			if got != tt.want {
				t.Fatalf("problem %q\nwant    %q", got, tt.want)
			}
			if len(pvs) != tt.wantPVs {
				t.Fatalf("%d bound volumes, want %d", len(pvs), tt.wantPVs)
			}
		})
	}
}
