package nodelifecycle

import (
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestObserve(t *testing.T) {
	seen := func(probe time.Time, n *corev1.Node, l *coordinationv1.Lease) *nodeHealth {
		h := observe(nil, n, l, probe)
		return &h
	}
	a := readyNode("a", at(-5))
	noReady := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: metav1.NewTime(at(-20))}}
	lease := nodeLease("a", at(-3), 0)
	tests := []struct {
		name      string
		prev      *nodeHealth
		node      *corev1.Node
		lease     *coordinationv1.Lease
		wantProbe time.Time
	}{
		{name: "first sight of a node with status: now", node: a, wantProbe: at(0)},
		{name: "first sight of a node that never posted status: its creation", node: noReady, wantProbe: at(-20)},
		{name: "first sight of a node that never posted status but renews its lease: now", node: noReady, lease: lease, wantProbe: at(0)},
		{name: "nothing changed: the old probe time stays", prev: seen(at(-30), a, lease), node: a, lease: lease, wantProbe: at(-30)},
		{name: "the Ready heartbeat changed", prev: seen(at(-30), a, lease), node: readyNode("a", at(-1)), lease: lease, wantProbe: at(0)},
		{name: "the lease was renewed", prev: seen(at(-30), a, lease), node: a, lease: nodeLease("a", at(-1), 0), wantProbe: at(0)},
		{name: "a renewal whose time went back still counts", prev: seen(at(-30), a, lease), node: a, lease: nodeLease("a", at(-3600), 0), wantProbe: at(0)},
		{name: "the lease appeared", prev: seen(at(-30), a, nil), node: a, lease: lease, wantProbe: at(0)},
		{name: "the lease disappeared: no heartbeat", prev: seen(at(-30), a, lease), node: a, wantProbe: at(-30)},
		{name: "the Ready condition appeared", prev: seen(at(-30), noReady, nil), node: a, wantProbe: at(0)},
		{name: "the Ready condition disappeared", prev: seen(at(-30), a, nil), node: noReady, wantProbe: at(0)},
		{
			name: "timestamps from the agent's clock far ahead do not make a node fresh",
			prev: seen(at(-30), readyNode("a", at(3600)), nodeLease("a", at(3600), 0)),
			node: readyNode("a", at(3600)), lease: nodeLease("a", at(3600), 0), wantProbe: at(-30),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := observe(tt.prev, tt.node, tt.lease, at(0))
			if !got.ProbeTime.Equal(tt.wantProbe) {
				t.Fatalf("probe time %s, want %s", got.ProbeTime.Sub(t0), tt.wantProbe.Sub(t0))
			}
		})
	}
}

func TestMarkUnknown(t *testing.T) {
	n := withCondition(readyNode("a", at(-60)), corev1.NodeNetworkUnavailable, corev1.ConditionFalse)
	st, changed := markUnknown(n, at(0))
	if !changed {
		t.Fatal("a Ready node must change")
	}
	for _, ct := range unknownConditionTypes {
		c := findNodeCondition(st.Conditions, ct)
		if c == nil || c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusUnknown" || c.Message != "Kubelet stopped posting node status." {
			t.Errorf("%s: %+v", ct, c)
			continue
		}
		if !c.LastHeartbeatTime.Time.Equal(at(-60)) || !c.LastTransitionTime.Time.Equal(at(0)) {
			t.Errorf("%s: heartbeat %s transition %s, want the old heartbeat and now", ct, c.LastHeartbeatTime, c.LastTransitionTime)
		}
	}
	if c := findNodeCondition(st.Conditions, corev1.NodeNetworkUnavailable); c.Status != corev1.ConditionFalse {
		t.Errorf("NetworkUnavailable belongs to the network: %+v", c)
	}
	if findNodeCondition(n.Status.Conditions, corev1.NodeReady).Status != corev1.ConditionTrue {
		t.Error("the informer's node was modified")
	}
	again := n.DeepCopy()
	again.Status = st
	if _, changed := markUnknown(again, at(5)); changed {
		t.Error("an Unknown node must not change again")
	}

	blank := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b", CreationTimestamp: metav1.NewTime(at(-100))}}
	st, _ = markUnknown(blank, at(0))
	if len(st.Conditions) != 4 {
		t.Fatalf("conditions %+v", st.Conditions)
	}
	for _, c := range st.Conditions {
		if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusNeverUpdated" || c.Message != "Kubelet never posted node status." ||
			!c.LastHeartbeatTime.Time.Equal(at(-100)) || !c.LastTransitionTime.Time.Equal(at(0)) {
			t.Errorf("never posted: %+v", c)
		}
	}
}
