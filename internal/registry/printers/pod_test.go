package printers

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodColumns(t *testing.T) {
	assertHeaders(t, &corev1.Pod{},
		"Name", "Ready", "Status", "Restarts", "Age", "IP+", "Node+", "Nominated Node+", "Readiness Gates+")
}

func TestPodFullRow(t *testing.T) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default", CreationTimestamp: ago(5 * time.Minute)},
		Spec: corev1.PodSpec{
			NodeName:       "node-1",
			Containers:     containers("nginx", "sidecar"),
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "example.com/lb"}, {ConditionType: "example.com/dns"}},
		},
		Status: corev1.PodStatus{
			Phase:             corev1.PodRunning,
			PodIP:             "10.42.0.5",
			PodIPs:            []corev1.PodIP{{IP: "10.42.0.5"}, {IP: "fd00::5"}},
			NominatedNodeName: "node-2",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue},
				{Type: "example.com/lb", Status: corev1.ConditionTrue},
				{Type: "example.com/dns", Status: corev1.ConditionFalse},
			},
			ContainerStatuses: []corev1.ContainerStatus{running(true), running(true)},
		},
	}
	assertCells(t, p, "web-0", "2/2", "Running", "0", "5m", "10.42.0.5", "node-1", "node-2", "1/2")
}

func TestPodUnscheduledWideCellsSayNone(t *testing.T) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: containers("c")},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	assertCells(t, p, "p", "0/1", "Pending", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>")
}

// TestPodStatus covers the Status, Ready and Restarts cells, the part of
// `kubectl get pods` users read most.
func TestPodStatus(t *testing.T) {
	restartPolicyAlways := corev1.ContainerRestartPolicyAlways
	for _, tc := range []struct {
		name                    string
		pod                     corev1.Pod
		ready, status, restarts string
	}{
		{
			name:  "pending before scheduling",
			pod:   podWith(corev1.PodPending, containers("c"), nil),
			ready: "0/1", status: "Pending", restarts: "0",
		},
		{
			name: "scheduling gated",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodPending, containers("c"), nil)
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
				return p
			}(),
			ready: "0/1", status: "SchedulingGated", restarts: "0",
		},
		{
			name:  "container creating",
			pod:   podWith(corev1.PodPending, containers("c"), []corev1.ContainerStatus{waiting("ContainerCreating")}),
			ready: "0/1", status: "ContainerCreating", restarts: "0",
		},
		{
			name: "crash loop shows restarts and when the last one ended",
			pod: podWith(corev1.PodRunning, containers("c"), []corev1.ContainerStatus{
				withRestarts(waiting("CrashLoopBackOff"), 4, 2*time.Minute),
			}),
			ready: "0/1", status: "CrashLoopBackOff", restarts: "4 (2m ago)",
		},
		{
			name: "latest restart across containers counts",
			pod: podWith(corev1.PodRunning, containers("a", "b"), []corev1.ContainerStatus{
				withRestarts(running(true), 1, 3*time.Hour),
				withRestarts(running(true), 2, 90*time.Second),
			}),
			ready: "2/2", status: "Running", restarts: "3 (90s ago)",
		},
		{
			name: "restarts without a termination time",
			pod: podWith(corev1.PodRunning, containers("c"), []corev1.ContainerStatus{
				func() corev1.ContainerStatus { s := running(true); s.RestartCount = 2; return s }(),
			}),
			ready: "1/1", status: "Running", restarts: "2",
		},
		{
			name:  "running but not ready",
			pod:   podWith(corev1.PodRunning, containers("c"), []corev1.ContainerStatus{running(false)}),
			ready: "0/1", status: "Running", restarts: "0",
		},
		{
			name: "lowest-index container's reason wins",
			pod: podWith(corev1.PodPending, containers("a", "b"), []corev1.ContainerStatus{
				waiting("ImagePullBackOff"), waiting("CrashLoopBackOff"),
			}),
			ready: "0/2", status: "ImagePullBackOff", restarts: "0",
		},
		{
			name:  "completed",
			pod:   podWith(corev1.PodSucceeded, containers("c"), []corev1.ContainerStatus{terminated("Completed", 0)}),
			ready: "0/1", status: "Completed", restarts: "0",
		},
		{
			name:  "error",
			pod:   podWith(corev1.PodFailed, containers("c"), []corev1.ContainerStatus{terminated("Error", 1)}),
			ready: "0/1", status: "Error", restarts: "0",
		},
		{
			name:  "terminated without reason shows exit code",
			pod:   podWith(corev1.PodFailed, containers("c"), []corev1.ContainerStatus{terminated("", 3)}),
			ready: "0/1", status: "ExitCode:3", restarts: "0",
		},
		{
			name: "terminated without reason by a signal",
			pod: podWith(corev1.PodFailed, containers("c"), []corev1.ContainerStatus{
				func() corev1.ContainerStatus { s := terminated("", 137); s.State.Terminated.Signal = 9; return s }(),
			}),
			ready: "0/1", status: "Signal:9", restarts: "0",
		},
		{
			name: "evicted pod shows the status reason",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodFailed, containers("c"), nil)
				p.Status.Reason = "Evicted"
				return p
			}(),
			ready: "0/1", status: "Evicted", restarts: "0",
		},
		{
			name: "completed container beside a running one, pod ready",
			pod: withConditions(podWith(corev1.PodRunning, containers("job", "server"), []corev1.ContainerStatus{
				terminated("Completed", 0), running(true),
			}), corev1.PodReady),
			ready: "1/2", status: "Running", restarts: "0",
		},
		{
			name: "completed container beside a running one, pod not ready",
			pod: podWith(corev1.PodRunning, containers("job", "server"), []corev1.ContainerStatus{
				terminated("Completed", 0), running(true),
			}),
			ready: "1/2", status: "NotReady", restarts: "0",
		},
		{
			name:  "first init container running",
			pod:   initPod(containers("init-a", "init-b"), []corev1.ContainerStatus{running(false), waiting("PodInitializing")}),
			ready: "0/1", status: "Init:0/2", restarts: "0",
		},
		{
			name:  "second init container running",
			pod:   initPod(containers("init-a", "init-b"), []corev1.ContainerStatus{terminated("Completed", 0), running(false)}),
			ready: "0/1", status: "Init:1/2", restarts: "0",
		},
		{
			name:  "init container waiting on PodInitializing still counts as N/M",
			pod:   initPod(containers("init"), []corev1.ContainerStatus{waiting("PodInitializing")}),
			ready: "0/1", status: "Init:0/1", restarts: "0",
		},
		{
			name: "init container crash loop counts init restarts",
			pod: initPod(containers("init"), []corev1.ContainerStatus{
				withRestarts(waiting("CrashLoopBackOff"), 3, time.Minute),
			}),
			ready: "0/1", status: "Init:CrashLoopBackOff", restarts: "3 (60s ago)",
		},
		{
			name:  "init container failed",
			pod:   initPod(containers("init"), []corev1.ContainerStatus{terminated("Error", 1)}),
			ready: "0/1", status: "Init:Error", restarts: "0",
		},
		{
			name:  "init container failed without reason",
			pod:   initPod(containers("init"), []corev1.ContainerStatus{terminated("", 2)}),
			ready: "0/1", status: "Init:ExitCode:2", restarts: "0",
		},
		{
			name: "init container killed by a signal",
			pod: initPod(containers("init"), []corev1.ContainerStatus{
				func() corev1.ContainerStatus { s := terminated("", 143); s.State.Terminated.Signal = 15; return s }(),
			}),
			ready: "0/1", status: "Init:Signal:15", restarts: "0",
		},
		{
			name: "init done, containers starting",
			pod: func() corev1.Pod {
				p := initPod(containers("init"), []corev1.ContainerStatus{withRestarts(terminated("Completed", 0), 5, time.Hour)})
				p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("PodInitializing")}
				return p
			}(),
			// Finished init containers' restarts no longer count.
			ready: "0/1", status: "PodInitializing", restarts: "0",
		},
		{
			name: "sidecar counts in ready and restarts",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodRunning, containers("app"), []corev1.ContainerStatus{withRestarts(running(true), 1, 3*time.Minute)})
				p.Spec.InitContainers = containers("setup", "proxy")
				p.Spec.InitContainers[1].RestartPolicy = &restartPolicyAlways
				started := named("proxy", withRestarts(running(true), 2, 10*time.Minute))
				started.Started = ptr(true)
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{named("setup", withRestarts(terminated("Completed", 0), 5, time.Hour)), started}
				return p
			}(),
			ready: "2/2", status: "Running", restarts: "3 (3m ago)",
		},
		{
			name: "sidecar not yet started blocks initialization",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodPending, containers("app"), nil)
				p.Spec.InitContainers = containers("proxy")
				p.Spec.InitContainers[0].RestartPolicy = &restartPolicyAlways
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{named("proxy", running(false))}
				return p
			}(),
			ready: "0/2", status: "Init:0/1", restarts: "0",
		},
		{
			name: "deleted pod is terminating",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodRunning, containers("c"), []corev1.ContainerStatus{running(true)})
				p.DeletionTimestamp = agoPtr(0)
				return p
			}(),
			ready: "1/1", status: "Terminating", restarts: "0",
		},
		{
			name: "deleted pod that already finished keeps its result",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodSucceeded, containers("c"), []corev1.ContainerStatus{terminated("Completed", 0)})
				p.DeletionTimestamp = agoPtr(0)
				return p
			}(),
			ready: "0/1", status: "Completed", restarts: "0",
		},
		{
			name: "deleted pod on a lost node is unknown",
			pod: func() corev1.Pod {
				p := podWith(corev1.PodRunning, containers("c"), []corev1.ContainerStatus{running(true)})
				p.DeletionTimestamp = agoPtr(0)
				p.Status.Reason = "NodeLost"
				return p
			}(),
			ready: "1/1", status: "Unknown", restarts: "0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := cellsOf(t, &tc.pod)
			got := []interface{}{cells[1], cells[2], cells[3]}
			want := []interface{}{tc.ready, tc.status, tc.restarts}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ready/status/restarts = %q, want %q", got, want)
			}
		})
	}
}

func TestFinishedPodRowsAreMarkedCompleted(t *testing.T) {
	for phase, reason := range map[corev1.PodPhase]string{corev1.PodSucceeded: "Succeeded", corev1.PodFailed: "Failed"} {
		p := podWith(phase, containers("c"), nil)
		conds := tableOf(t, &p).Rows[0].Conditions
		if len(conds) != 1 || conds[0].Type != metav1.RowCompleted || conds[0].Status != metav1.ConditionTrue || conds[0].Reason != reason {
			t.Errorf("%s: conditions %+v", phase, conds)
		}
	}
	p := podWith(corev1.PodRunning, containers("c"), nil)
	if conds := tableOf(t, &p).Rows[0].Conditions; conds != nil {
		t.Errorf("running pod has conditions %+v", conds)
	}
}

func podWith(phase corev1.PodPhase, cs []corev1.Container, statuses []corev1.ContainerStatus) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", CreationTimestamp: ago(time.Hour)},
		Spec:       corev1.PodSpec{Containers: cs},
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: statuses},
	}
}

// initPod is a pending pod with one regular container, still initializing.
func initPod(inits []corev1.Container, statuses []corev1.ContainerStatus) corev1.Pod {
	p := podWith(corev1.PodPending, containers("app"), []corev1.ContainerStatus{waiting("PodInitializing")})
	p.Spec.InitContainers = inits
	p.Status.InitContainerStatuses = statuses
	return p
}

func withConditions(p corev1.Pod, trueConditions ...corev1.PodConditionType) corev1.Pod {
	for _, c := range trueConditions {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue})
	}
	return p
}

func containers(names ...string) []corev1.Container {
	out := make([]corev1.Container, len(names))
	for i, n := range names {
		out[i] = corev1.Container{Name: n, Image: "busybox"}
	}
	return out
}

func running(ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ago(time.Hour)}}}
}

func waiting(reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(reason string, exitCode int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: exitCode}}}
}

// named is s for the container called name; sidecars are told apart by name.
func named(name string, s corev1.ContainerStatus) corev1.ContainerStatus {
	s.Name = name
	return s
}

// withRestarts gives s n restarts, the last of which ended `ended` ago.
func withRestarts(s corev1.ContainerStatus, n int32, ended time.Duration) corev1.ContainerStatus {
	s.RestartCount = n
	s.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: ago(ended)}
	return s
}
