package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNodeColumns(t *testing.T) {
	assertHeaders(t, &corev1.Node{},
		"Name", "Status", "Roles", "Age", "Version",
		"Internal-IP+", "External-IP+", "OS-Image+", "Kernel-Version+", "Container-Runtime+")
}

func TestNodeRow(t *testing.T) {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "node-1",
			CreationTimestamp: ago(50 * time.Hour),
			Labels: map[string]string{
				"node-role.kubernetes.io/worker":        "",
				"node-role.kubernetes.io/control-plane": "",
				"kubernetes.io/role":                    "worker", // same role twice shows once
				"kubernetes.io/hostname":                "node-1",
			},
		},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeHostName, Address: "node-1"},
				{Type: corev1.NodeInternalIP, Address: "192.168.1.10"},
				{Type: corev1.NodeInternalIP, Address: "192.168.1.11"},
			},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:          "v1.32.13-ordinal",
				OSImage:                 "Debian GNU/Linux 13 (trixie)",
				KernelVersion:           "6.12.0",
				ContainerRuntimeVersion: "runc://1.3.0",
			},
		},
	}
	assertCells(t, n, "node-1", "Ready", "control-plane,worker", "2d2h", "v1.32.13-ordinal",
		"192.168.1.10", "<none>", "Debian GNU/Linux 13 (trixie)", "6.12.0", "runc://1.3.0")
}

func TestNodeStatus(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ready         *corev1.ConditionStatus
		unschedulable bool
		want          string
	}{
		{"ready", ptr(corev1.ConditionTrue), false, "Ready"},
		{"cordoned", ptr(corev1.ConditionTrue), true, "Ready,SchedulingDisabled"},
		{"not ready", ptr(corev1.ConditionFalse), false, "NotReady"},
		{"unreachable", ptr(corev1.ConditionUnknown), false, "NotReady"},
		{"never reported", nil, false, "Unknown"},
		{"never reported and cordoned", nil, true, "Unknown,SchedulingDisabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &corev1.Node{Spec: corev1.NodeSpec{Unschedulable: tc.unschedulable}}
			if tc.ready != nil {
				n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: *tc.ready}}
			}
			cells := cellsOf(t, n)
			if cells[1] != tc.want {
				t.Errorf("status %q, want %q", cells[1], tc.want)
			}
			if cells[2] != "<none>" {
				t.Errorf("roles %q, want <none>", cells[2])
			}
			if cells[7] != "<unknown>" || cells[8] != "<unknown>" || cells[9] != "<unknown>" {
				t.Errorf("empty node info shows %q", cells[7:])
			}
		})
	}
}
