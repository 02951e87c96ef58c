package agent

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

func TestNodeStatus(t *testing.T) {
	m := SimMachine("ordinal-sim-3", 3)
	v := runtime.VersionInfo{Name: "sim", Version: "0.1"}
	notReady := nodeStatus(m, v, 10250, corev1.NodeStatus{}, nodeReadiness{Message: messageNetworkNotReady}, epoch)
	if c := nodeCondition(notReady, corev1.NodeReady); c.Status != corev1.ConditionFalse || c.Reason != "KubeletNotReady" {
		t.Fatalf("Ready %+v", c)
	}
	ready := nodeStatus(m, v, 10250, notReady, nodeReadiness{Ready: true}, epoch.Add(10*time.Second))
	c := nodeCondition(ready, corev1.NodeReady)
	if c.Status != corev1.ConditionTrue || c.Reason != "KubeletReady" || c.Message != "kubelet is posting ready status" || !c.LastTransitionTime.Time.Equal(epoch.Add(10*time.Second)) {
		t.Fatalf("Ready %+v", c)
	}
	mem := nodeCondition(ready, corev1.NodeMemoryPressure)
	if mem.Reason != "KubeletHasSufficientMemory" || !mem.LastTransitionTime.Time.Equal(epoch) || !mem.LastHeartbeatTime.Time.Equal(epoch.Add(10*time.Second)) {
		t.Fatalf("MemoryPressure %+v: transition kept, heartbeat moved", mem)
	}
	if ready.Addresses[0].Address != "10.44.0.3" || ready.NodeInfo.ContainerRuntimeVersion != "sim://0.1" || ready.NodeInfo.KubeletVersion != "v1.32.13" {
		t.Fatalf("addresses %v nodeInfo %+v", ready.Addresses, ready.NodeInfo)
	}
	if ready.DaemonEndpoints.KubeletEndpoint.Port != 10250 {
		t.Fatalf("daemonEndpoints %+v", ready.DaemonEndpoints)
	}
	cpu := ready.Allocatable[corev1.ResourceCPU]
	mem16 := ready.Capacity[corev1.ResourceMemory]
	if cpu.String() != "4" || mem16.String() != "16Gi" {
		t.Fatalf("cpu %s memory %s", cpu.String(), mem16.String())
	}
	events := conditionEvents(notReady.Conditions, ready.Conditions)
	if len(events) != 1 || events[0] != "NodeReady" {
		t.Fatalf("events %v, want [NodeReady]", events)
	}
	if first := conditionEvents(nil, notReady.Conditions); len(first) != 4 {
		t.Fatalf("first report events %v", first)
	}
}

func TestNeedsReport(t *testing.T) {
	m := SimMachine("n", 1)
	v := runtime.VersionInfo{Name: "sim", Version: "0.1"}
	old := nodeStatus(m, v, 10250, corev1.NodeStatus{}, nodeReadiness{Ready: true}, epoch)
	same := nodeStatus(m, v, 10250, old, nodeReadiness{Ready: true}, epoch.Add(10*time.Second))
	if needsReport(old, same, epoch, epoch.Add(10*time.Second), time.Minute) {
		t.Error("only heartbeats changed within the report period: no write")
	}
	if !needsReport(old, same, epoch, epoch.Add(time.Minute), time.Minute) {
		t.Error("report period over: write")
	}
	changed := nodeStatus(m, v, 10250, old, nodeReadiness{Message: "down"}, epoch.Add(10*time.Second))
	if !needsReport(old, changed, epoch, epoch.Add(10*time.Second), time.Minute) {
		t.Error("a condition changed: write")
	}
}

func TestSimMachineAddresses(t *testing.T) {
	for index, want := range map[int]string{1: "10.44.0.1", 254: "10.44.0.254", 255: "10.44.1.1"} {
		if got := SimMachine("n", index).InternalIP; got != want {
			t.Errorf("SimMachine(%d) IP %s, want %s", index, got, want)
		}
	}
}

func nodeCondition(s corev1.NodeStatus, t corev1.NodeConditionType) corev1.NodeCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.NodeCondition{}
}
