package agent

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

func statusOf(pod *corev1.Pod, rs *runtime.PodStatus, waiting map[string]corev1.ContainerStateWaiting, terminal bool, now int) corev1.PodStatus {
	return generatePodStatus(statusInput{
		podState: podState{Pod: pod, Runtime: rs, Probes: allReady(rs), Now: epoch.Add(time.Duration(now) * time.Second)},
		Waiting:  waiting, Terminal: terminal, HostIP: "10.44.0.1", RuntimeName: "sim",
	})
}

func at(s int) metav1.Time { return metav1.NewTime(epoch.Add(time.Duration(s) * time.Second)) }

func TestGeneratePodStatusNewPod(t *testing.T) {
	pod := testPod(corev1.RestartPolicyAlways, nil, "app")
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at(-5)}}
	got := statusOf(pod, nil, nil, false, 0)
	f := false
	want := corev1.PodStatus{
		Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort,
		HostIP: "10.44.0.1", HostIPs: []corev1.HostIP{{IP: "10.44.0.1"}}, StartTime: ptrTo(at(0)),
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionFalse, LastTransitionTime: at(0)},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: at(0)},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [app]", LastTransitionTime: at(0)},
			{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [app]", LastTransitionTime: at(0)},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at(-5)},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", Image: "nginx", Started: &f,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("status (-want +got):\n%s", diff)
	}
}

func TestGeneratePodStatusRunningAndReady(t *testing.T) {
	pod := testPod(corev1.RestartPolicyAlways, nil, "app")
	pod.Status.StartTime = ptrTo(at(-1))
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: at(-1)}}
	rs := runtimeStatus(pod, instance{name: "app", state: runtime.ContainerRunning, started: 2})
	got := statusOf(pod, rs, nil, false, 3)
	tr := true
	want := corev1.PodStatus{
		Phase: corev1.PodRunning, QOSClass: corev1.PodQOSBestEffort,
		HostIP: "10.44.0.1", HostIPs: []corev1.HostIP{{IP: "10.44.0.1"}},
		PodIP: "10.42.0.5", PodIPs: []corev1.PodIP{{IP: "10.42.0.5"}}, StartTime: ptrTo(at(-1)),
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: at(3)},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: at(3)},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: at(3)},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: at(3)},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at(3)},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", Image: "docker.io/library/nginx:latest", ImageID: "docker.io/library/nginx@sha256:abc",
			ContainerID: "sim://app-0", Ready: true, Started: &tr,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(2)}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("status (-want +got):\n%s", diff)
	}
}

func TestGeneratePodStatusCases(t *testing.T) {
	always, never := corev1.RestartPolicyAlways, corev1.RestartPolicyNever
	crashLoop := corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 10s restarting failed container=app pod=web-0_default(uid-1)"}
	tests := []struct {
		name       string
		pod        *corev1.Pod
		instances  []instance
		waiting    map[string]corev1.ContainerStateWaiting
		terminal   bool
		noSandbox  bool
		check      func(t *testing.T, s corev1.PodStatus)
		wantPhase  corev1.PodPhase
		wantReady  corev1.ConditionStatus
		wantReason string // of the Ready condition
	}{
		{
			name:      "init containers in progress",
			pod:       testPod(always, []string{"init-1", "init-2"}, "app"),
			instances: []instance{running("init-1", 0)},
			wantPhase: corev1.PodPending, wantReady: corev1.ConditionFalse, wantReason: "ContainersNotReady",
			check: func(t *testing.T, s corev1.PodStatus) {
				if s.InitContainerStatuses[0].State.Running == nil || s.InitContainerStatuses[1].State.Waiting.Reason != "PodInitializing" {
					t.Errorf("init statuses %+v", s.InitContainerStatuses)
				}
				if s.ContainerStatuses[0].State.Waiting.Reason != "PodInitializing" {
					t.Errorf("app waiting %+v, want PodInitializing", s.ContainerStatuses[0].State.Waiting)
				}
				c := condition(s, corev1.PodInitialized)
				if c.Status != corev1.ConditionFalse || c.Reason != "ContainersNotInitialized" || c.Message != "containers with incomplete status: [init-1 init-2]" {
					t.Errorf("Initialized %+v", c)
				}
			},
		},
		{
			name:      "init containers done, app starting",
			pod:       testPod(always, []string{"init-1"}, "app"),
			instances: []instance{exited("init-1", 0, 0, 1)},
			wantPhase: corev1.PodPending, wantReady: corev1.ConditionFalse, wantReason: "ContainersNotReady",
			check: func(t *testing.T, s corev1.PodStatus) {
				if !s.InitContainerStatuses[0].Ready {
					t.Error("a succeeded init container is ready")
				}
				if c := condition(s, corev1.PodInitialized); c.Status != corev1.ConditionTrue {
					t.Errorf("Initialized %+v", c)
				}
			},
		},
		{
			name:      "crash loop",
			pod:       testPod(always, nil, "app"),
			instances: []instance{exited("app", 0, 1, 1), exited("app", 1, 1, 3)},
			waiting:   map[string]corev1.ContainerStateWaiting{"app": crashLoop},
			wantPhase: corev1.PodRunning, wantReady: corev1.ConditionFalse, wantReason: "ContainersNotReady",
			check: func(t *testing.T, s corev1.PodStatus) {
				cs := s.ContainerStatuses[0]
				if cs.State.Waiting == nil || *cs.State.Waiting != crashLoop {
					t.Errorf("state %+v, want CrashLoopBackOff", cs.State)
				}
				if cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
					t.Errorf("restartCount %d lastState %+v", cs.RestartCount, cs.LastTerminationState)
				}
			},
		},
		{
			name:      "restarted: lastState is the previous instance",
			pod:       testPod(always, nil, "app"),
			instances: []instance{exited("app", 0, 2, 1), running("app", 1)},
			wantPhase: corev1.PodRunning, wantReady: corev1.ConditionTrue,
			check: func(t *testing.T, s corev1.PodStatus) {
				cs := s.ContainerStatuses[0]
				if cs.RestartCount != 1 || cs.LastTerminationState.Terminated.ExitCode != 2 || cs.ContainerID != "sim://app-1" {
					t.Errorf("status %+v", cs)
				}
				if got := cs.LastTerminationState.Terminated.ContainerID; got != "sim://app-0" {
					t.Errorf("lastState containerID %q", got)
				}
			},
		},
		{
			name:      "Never, all succeeded",
			pod:       testPod(never, []string{"init"}, "app"),
			instances: []instance{exited("init", 0, 0, 1), exited("app", 0, 0, 5)},
			wantPhase: corev1.PodSucceeded, wantReady: corev1.ConditionFalse, wantReason: "PodCompleted",
			check: func(t *testing.T, s corev1.PodStatus) {
				if c := condition(s, corev1.PodInitialized); c.Reason != "PodCompleted" {
					t.Errorf("Initialized %+v", c)
				}
			},
		},
		{
			name:      "Never, a failure",
			pod:       testPod(never, nil, "app", "logger"),
			instances: []instance{exited("app", 0, 3, 5), exited("logger", 0, 0, 5)},
			wantPhase: corev1.PodFailed, wantReady: corev1.ConditionFalse, wantReason: "PodFailed",
		},
		{
			name:      "Never, init failed",
			pod:       testPod(never, []string{"init"}, "app"),
			instances: []instance{exited("init", 0, 1, 1)},
			wantPhase: corev1.PodFailed, wantReady: corev1.ConditionFalse, wantReason: "PodFailed",
		},
		{
			name:      "Never, one still running",
			pod:       testPod(never, nil, "app", "logger"),
			instances: []instance{exited("app", 0, 3, 5), running("logger", 0)},
			wantPhase: corev1.PodRunning, wantReady: corev1.ConditionFalse, wantReason: "ContainersNotReady",
		},
		{
			name:      "stopped for deletion with exit 0: Succeeded",
			pod:       testPod(always, nil, "app"),
			instances: []instance{exited("app", 0, 0, 5)},
			terminal:  true,
			noSandbox: true,
			wantPhase: corev1.PodSucceeded, wantReady: corev1.ConditionFalse, wantReason: "PodCompleted",
			check: func(t *testing.T, s corev1.PodStatus) {
				if s.PodIP != "10.42.0.9" {
					t.Errorf("podIP %q: a stopped pod keeps its IP", s.PodIP)
				}
			},
		},
		{
			name:      "stopped for deletion after a kill: Failed",
			pod:       testPod(always, nil, "app"),
			instances: []instance{exited("app", 0, 137, 5)},
			terminal:  true,
			wantPhase: corev1.PodFailed, wantReady: corev1.ConditionFalse, wantReason: "PodFailed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pod.Status.PodIP, tt.pod.Status.PodIPs = "10.42.0.9", []corev1.PodIP{{IP: "10.42.0.9"}}
			rs := runtimeStatus(tt.pod, tt.instances...)
			if tt.noSandbox {
				rs.Sandbox, rs.IPs = runtime.SandboxNotReady, nil
			}
			s := statusOf(tt.pod, rs, tt.waiting, tt.terminal, 10)
			if s.Phase != tt.wantPhase {
				t.Errorf("phase %s, want %s", s.Phase, tt.wantPhase)
			}
			if c := condition(s, corev1.PodReady); c.Status != tt.wantReady || c.Reason != tt.wantReason {
				t.Errorf("Ready %s/%s, want %s/%s", c.Status, c.Reason, tt.wantReady, tt.wantReason)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestTerminalPhaseSticks(t *testing.T) {
	pod := testPod(corev1.RestartPolicyNever, nil, "app")
	pod.Status.Phase, pod.Status.Reason = corev1.PodFailed, "DeadlineExceeded"
	s := statusOf(pod, runtimeStatus(pod, running("app", 0)), nil, false, 1)
	if s.Phase != corev1.PodFailed || s.Reason != "DeadlineExceeded" {
		t.Fatalf("phase %s reason %q: a terminal phase is never left", s.Phase, s.Reason)
	}
}

func TestTerminatedPodStatusMarksUnfinishedContainers(t *testing.T) {
	pod := testPod(corev1.RestartPolicyAlways, []string{"init"}, "app")
	s := terminatedPodStatus(statusOf(pod, runtimeStatus(pod, running("init", 0)), nil, true, 1))
	if s.Phase != corev1.PodFailed {
		t.Fatalf("phase %s, want Failed", s.Phase)
	}
	for _, cs := range append(s.InitContainerStatuses, s.ContainerStatuses...) {
		term := cs.State.Terminated
		if term == nil || term.ExitCode != 137 || term.Reason != "ContainerStatusUnknown" {
			t.Errorf("%s: %+v, want terminated 137 ContainerStatusUnknown", cs.Name, cs.State)
		}
	}
}

func TestReadinessGates(t *testing.T) {
	pod := testPod(corev1.RestartPolicyAlways, nil, "app")
	pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}}
	s := statusOf(pod, runtimeStatus(pod, running("app", 0)), nil, false, 1)
	c := condition(s, corev1.PodReady)
	if c.Status != corev1.ConditionFalse || c.Reason != "ReadinessGatesNotReady" || c.Message != `corresponding condition of pod readiness gate "example.com/lb" does not exist.` {
		t.Fatalf("Ready %+v", c)
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: "example.com/lb", Status: corev1.ConditionTrue}}
	s = statusOf(pod, runtimeStatus(pod, running("app", 0)), nil, false, 1)
	if c := condition(s, corev1.PodReady); c.Status != corev1.ConditionTrue {
		t.Fatalf("Ready %+v once the gate is true", c)
	}
	if c := condition(s, "example.com/lb"); c.Status != corev1.ConditionTrue {
		t.Fatal("a condition the kubelet does not own is kept")
	}
}

func TestConditionTransitionTimesHold(t *testing.T) {
	pod := testPod(corev1.RestartPolicyAlways, nil, "app")
	rs := runtimeStatus(pod, running("app", 0))
	first := statusOf(pod, rs, nil, false, 1)
	pod.Status = first
	second := statusOf(pod, rs, nil, false, 50)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("nothing changed, yet the status did (-first +second):\n%s", diff)
	}
}

func condition(s corev1.PodStatus, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}
