package volume

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestVolumeAllowsNode(t *testing.T) {
	node := newNode("node-a", "zone", "z1", "disks", "4")
	expr := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	withTerms := func(terms ...corev1.NodeSelectorTerm) *corev1.PersistentVolume {
		return newPV("v", "1Gi", func(pv *corev1.PersistentVolume) {
			pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: terms}}
		})
	}
	exprs := func(e ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: e}
	}
	tests := []struct {
		name string
		pv   *corev1.PersistentVolume
		want bool
	}{
		{"no affinity", newPV("v", "1Gi"), true},
		{"hostname In", withTerms(exprs(expr(hostnameLabel, corev1.NodeSelectorOpIn, "node-a"))), true},
		{"hostname In another", withTerms(exprs(expr(hostnameLabel, corev1.NodeSelectorOpIn, "node-b"))), false},
		{"NotIn", withTerms(exprs(expr("zone", corev1.NodeSelectorOpNotIn, "z2"))), true},
		{"Exists", withTerms(exprs(expr("zone", corev1.NodeSelectorOpExists))), true},
		{"DoesNotExist", withTerms(exprs(expr("zone", corev1.NodeSelectorOpDoesNotExist))), false},
		{"Gt", withTerms(exprs(expr("disks", corev1.NodeSelectorOpGt, "3"))), true},
		{"Lt", withTerms(exprs(expr("disks", corev1.NodeSelectorOpLt, "3"))), false},
		{"Gt with a non-number matches nothing", withTerms(exprs(expr("disks", corev1.NodeSelectorOpGt, "x"))), false},
		{"expressions in a term are ANDed", withTerms(exprs(expr("zone", corev1.NodeSelectorOpIn, "z1"), expr(hostnameLabel, corev1.NodeSelectorOpIn, "node-b"))), false},
		{"terms are ORed", withTerms(exprs(expr(hostnameLabel, corev1.NodeSelectorOpIn, "node-b")), exprs(expr("zone", corev1.NodeSelectorOpIn, "z1"))), true},
		{"an empty term matches nothing", withTerms(corev1.NodeSelectorTerm{}), false},
		{"no terms match nothing", withTerms(), false},
		{"metadata.name field", withTerms(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{expr("metadata.name", corev1.NodeSelectorOpIn, "node-a")}}), true},
		{"another field", withTerms(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{expr("spec.unschedulable", corev1.NodeSelectorOpIn, "false")}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := volumeAllowsNode(tt.pv, node); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
