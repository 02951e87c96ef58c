package volume

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	rwo = corev1.ReadWriteOnce
	rox = corev1.ReadOnlyMany
	rwx = corev1.ReadWriteMany
)

// TestFindMatchingVolume: a claim and the cluster's volumes in, the volume to bind (or none,
// and why) out.
func TestFindMatchingVolume(t *testing.T) {
	tests := []struct {
		name    string
		claim   *corev1.PersistentVolumeClaim
		volumes []*corev1.PersistentVolume
		node    *corev1.Node
		delayed bool
		want    string // "" when nothing fits
		wantErr bool
	}{
		{
			name:    "the smallest volume that is big enough wins",
			claim:   newPVC("data", "3Gi"),
			volumes: volumes(newPV("big", "10Gi"), newPV("small", "1Gi"), newPV("medium", "5Gi")),
			want:    "medium",
		},
		{
			name:    "a volume of exactly the requested size fits",
			claim:   newPVC("data", "5Gi"),
			volumes: volumes(newPV("big", "10Gi"), newPV("exact", "5Gi")),
			want:    "exact",
		},
		{
			name:    "capacity is compared as a quantity, not as text",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("mega", "1000Mi"), newPV("giga", "1Gi")),
			want:    "giga",
		},
		{
			name:    "no volume is big enough: none",
			claim:   newPVC("data", "20Gi"),
			volumes: volumes(newPV("a", "10Gi"), newPV("b", "5Gi")),
		},
		{
			name:    "access modes must include every mode the claim asks for",
			claim:   newPVC("data", "1Gi", pvcModes(rwx)),
			volumes: volumes(newPV("rwo", "1Gi"), newPV("rwo-rwx", "10Gi", pvModes(rwo, rwx))),
			want:    "rwo-rwx",
		},
		{
			name:    "fewer access modes win over less capacity",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("wide", "1Gi", pvModes(rwo, rox, rwx)), newPV("narrow", "5Gi")),
			want:    "narrow",
		},
		{
			name:    "no volume has the access modes: none",
			claim:   newPVC("data", "1Gi", pvcModes(rwo, rox)),
			volumes: volumes(newPV("a", "1Gi"), newPV("b", "1Gi", pvModes(rox))),
		},
		{
			name:    "the class must be the claim's",
			claim:   newPVC("data", "1Gi", pvcClass("fast")),
			volumes: volumes(newPV("slow", "1Gi", pvClass("slow")), newPV("none", "1Gi"), newPV("fast", "10Gi", pvClass("fast"))),
			want:    "fast",
		},
		{
			name:    "a claim with class \"\" binds only class-less volumes",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("classy", "1Gi", pvClass("fast")), newPV("plain", "10Gi")),
			want:    "plain",
		},
		{
			name:    "a claim without a class (no default existed) binds class-less volumes",
			claim:   newPVC("data", "1Gi", pvcNoClass),
			volumes: volumes(newPV("classy", "1Gi", pvClass("fast")), newPV("plain", "10Gi")),
			want:    "plain",
		},
		{
			name:    "the beta class annotation wins over the field, on both sides",
			claim:   newPVC("data", "1Gi", pvcClass("ignored"), pvcAnnotation(annBetaStorageClass, "gold")),
			volumes: volumes(newPV("field", "1Gi", pvClass("gold"), pvAnnotation(annBetaStorageClass, "silver")), newPV("annotated", "5Gi", pvClass("x"), pvAnnotation(annBetaStorageClass, "gold"))),
			want:    "annotated",
		},
		{
			name:    "volume modes must be equal",
			claim:   newPVC("data", "1Gi", pvcBlock),
			volumes: volumes(newPV("fs", "1Gi"), newPV("block", "5Gi", pvBlock)),
			want:    "block",
		},
		{
			name:    "an unset volume mode is Filesystem",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("block", "1Gi", pvBlock), newPV("fs", "5Gi")),
			want:    "fs",
		},
		{
			name:    "the claim's selector must match the volume's labels",
			claim:   newPVC("data", "1Gi", pvcSelector("tier", "gold")),
			volumes: volumes(newPV("unlabelled", "1Gi"), newPV("silver", "1Gi", pvLabels("tier", "silver")), newPV("gold", "10Gi", pvLabels("tier", "gold"))),
			want:    "gold",
		},
		{
			name: "an invalid selector is an error",
			claim: newPVC("data", "1Gi", func(c *corev1.PersistentVolumeClaim) {
				c.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Near"}}}
			}),
			volumes: volumes(newPV("a", "1Gi")),
			wantErr: true,
		},
		{
			name:    "only Available volumes are offered",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("released", "1Gi", pvPhase(corev1.VolumeReleased)), newPV("new", "1Gi", pvPhase("")), newPV("failed", "1Gi", pvPhase(corev1.VolumeFailed)), newPV("available", "9Gi")),
			want:    "available",
		},
		{
			name:    "a volume reserved for another claim is not offered",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("reserved", "1Gi", pvClaim("default", "other", ""))),
		},
		{
			name:    "a volume being deleted is not offered",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("going", "1Gi", pvDeleting), newPV("staying", "2Gi")),
			want:    "staying",
		},
		{
			name:    "a volume pre-bound to the claim wins, whatever its class, phase or modes",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("small", "1Gi"), newPV("mine", "10Gi", pvClass("other"), pvPhase(corev1.VolumeBound), pvModes(rox), pvClaim("default", "data", ""))),
			want:    "mine",
		},
		{
			name:    "a volume provisioned for the claim (claimRef with its UID) wins",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("small", "1Gi"), newPV("pvc-uid-data", "1Gi", pvPhase(""), pvClaim("default", "data", "uid-data"))),
			want:    "pvc-uid-data",
		},
		{
			name:    "a volume pre-bound to the claim but too small is not taken",
			claim:   newPVC("data", "5Gi"),
			volumes: volumes(newPV("mine", "1Gi", pvClaim("default", "data", "")), newPV("other", "5Gi")),
			want:    "other",
		},
		{
			name:    "a volume bound to an earlier claim of the same name is not offered",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("old", "1Gi", pvClaim("default", "data", "uid-old"))),
		},
		{
			name:    "a claim in another namespace with the same name is another claim",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("theirs", "1Gi", pvClaim("other", "data", ""))),
		},
		{
			name:    "Immediate binding ignores node affinity",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("on-a", "1Gi", pvOnNode("node-a"))),
			want:    "on-a",
		},
		{
			name:    "delayed binding before a node is selected takes no free volume",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("free", "1Gi")),
			delayed: true,
		},
		{
			name:    "delayed binding before a node is selected still takes a pre-bound volume",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("free", "1Gi"), newPV("mine", "1Gi", pvClaim("default", "data", ""))),
			delayed: true,
			want:    "mine",
		},
		{
			name:    "delayed binding takes a volume reachable from the selected node",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("on-a", "1Gi", pvOnNode("node-a")), newPV("on-b", "2Gi", pvOnNode("node-b"))),
			node:    newNode("node-b"),
			delayed: true,
			want:    "on-b",
		},
		{
			name:    "delayed binding with no volume on the selected node: none",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("on-a", "1Gi", pvOnNode("node-a"))),
			node:    newNode("node-b"),
			delayed: true,
		},
		{
			name:    "a volume without node affinity is reachable from every node",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("anywhere", "1Gi")),
			node:    newNode("node-b"),
			delayed: true,
			want:    "anywhere",
		},
		{
			name:    "a pre-bound volume on another node than the selected one: none",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("mine", "1Gi", pvOnNode("node-a"), pvClaim("default", "data", "uid-data")), newPV("on-b", "1Gi", pvOnNode("node-b"))),
			node:    newNode("node-b"),
			delayed: true,
		},
		{
			name:    "equal fits are decided by name, so the choice is stable",
			claim:   newPVC("data", "1Gi"),
			volumes: volumes(newPV("b", "1Gi"), newPV("a", "1Gi"), newPV("c", "1Gi")),
			want:    "a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findMatchingVolume(tt.claim, tt.volumes, tt.node, tt.delayed)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("got volume %q, want %q", name, tt.want)
			}
		})
	}
}

func TestCheckVolumeSatisfiesClaim(t *testing.T) {
	tests := []struct {
		name  string
		pv    *corev1.PersistentVolume
		claim *corev1.PersistentVolumeClaim
		want  string
	}{
		{"fits", newPV("v", "1Gi"), newPVC("c", "1Gi"), ""},
		{"too small", newPV("v", "1Gi"), newPVC("c", "2Gi"), "requested PV is too small"},
		{"other class", newPV("v", "1Gi", pvClass("a")), newPVC("c", "1Gi"), "storageClassName does not match"},
		{"other volume mode", newPV("v", "1Gi", pvBlock), newPVC("c", "1Gi"), "incompatible volumeMode"},
		{"missing access mode", newPV("v", "1Gi"), newPVC("c", "1Gi", pvcModes(rwx)), "incompatible accessMode"},
		{"being deleted", newPV("v", "1Gi", pvDeleting), newPVC("c", "1Gi"), `the volume is marked for deletion "v"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := checkVolumeSatisfiesClaim(tt.pv, tt.claim); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
