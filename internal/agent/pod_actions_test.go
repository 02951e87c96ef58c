package agent

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

func TestComputePodActions(t *testing.T) {
	always, onFailure, never := corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever
	simple := func(p corev1.RestartPolicy) *corev1.Pod { return testPod(p, nil, "app") }
	withInit := func(p corev1.RestartPolicy) *corev1.Pod { return testPod(p, []string{"init-1", "init-2"}, "app") }
	sidecarPod := func() *corev1.Pod {
		pod := testPod(always, []string{"proxy", "init"}, "app")
		pod.Spec.InitContainers[0].RestartPolicy = ptrTo(corev1.ContainerRestartPolicyAlways)
		return pod
	}
	deleting := func() *corev1.Pod {
		pod := simple(always)
		pod.DeletionTimestamp = &metav1.Time{Time: epoch}
		return pod
	}
	terminal := func() *corev1.Pod {
		pod := simple(never)
		pod.Status.Phase = corev1.PodSucceeded
		return pod
	}
	lostNeverPod := func() *corev1.Pod {
		pod := simple(never)
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}
		return pod
	}
	changedPod := func() *corev1.Pod {
		pod := simple(never)
		return pod
	}
	// A back-off that has seen the container crash once already, at +0s.
	crashedOnce := func(pod *corev1.Pod, name string) *crashBackOff {
		b := newCrashBackOff(10*time.Second, 5*time.Minute)
		spec, _ := containerSpec(pod, name)
		b.next(backOffKey(spec), epoch)
		return b
	}
	crashLoop := "back-off 10s restarting failed container=app pod=web-0_default(uid-1)"

	tests := []struct {
		name      string
		pod       *corev1.Pod
		rs        func(*corev1.Pod) *runtime.PodStatus
		probes    func(*runtime.PodStatus) map[string]probeStatus
		backOff   func(*corev1.Pod) *crashBackOff
		startErr  map[string]startError
		unhealthy map[string]bool
		noVols    bool
		noNet     bool
		now       int // seconds after epoch
		want      podActions
	}{
		{
			name: "new pod: sandbox, then the container",
			pod:  simple(always),
			want: podActions{CreateSandbox: true, Start: []containerStart{{Name: "app"}}},
		},
		{
			name:   "claims not bound yet: nothing starts",
			pod:    simple(always),
			noVols: true,
			want:   podActions{WaitingForVolumes: true},
		},
		{
			name:  "no pod CIDR yet: nothing starts",
			pod:   simple(always),
			noNet: true,
			want:  podActions{WaitingForNetwork: true},
		},
		{
			name: "init containers: the first one only",
			pod:  withInit(always),
			want: podActions{CreateSandbox: true, Start: []containerStart{{Name: "init-1", Init: true}}},
		},
		{
			name: "init container running: wait",
			pod:  withInit(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("init-1", 0)) },
			want: podActions{},
		},
		{
			name: "first init done: the second",
			pod:  withInit(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("init-1", 0, 0, 1)) },
			want: podActions{Start: []containerStart{{Name: "init-2", Init: true}}},
		},
		{
			name: "all init done: regular containers",
			pod:  withInit(always),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("init-1", 0, 0, 1), exited("init-2", 0, 0, 2))
			},
			want: podActions{Start: []containerStart{{Name: "app"}}},
		},
		{
			name: "init failed under Never: the pod fails",
			pod:  withInit(never),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("init-1", 0, 1, 1)) },
			want: podActions{KillPod: true},
		},
		{
			name: "init failed once under Always: restarted at once",
			pod:  withInit(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("init-1", 0, 1, 1)) },
			now:  1,
			want: podActions{Start: []containerStart{{Name: "init-1", Init: true, Attempt: 1, FailedAt: epoch.Add(time.Second)}}},
		},
		{
			name:    "init failing again: Init:CrashLoopBackOff",
			pod:     withInit(onFailure),
			rs:      func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("init-1", 1, 1, 1)) },
			backOff: func(p *corev1.Pod) *crashBackOff { return crashedOnce(p, "init-1") },
			now:     3,
			want: podActions{
				Waiting:      map[string]corev1.ContainerStateWaiting{"init-1": {Reason: "CrashLoopBackOff", Message: "back-off 10s restarting failed container=init-1 pod=web-0_default(uid-1)"}},
				BackOff:      []string{"init-1"},
				RequeueAfter: 8 * time.Second,
			},
		},
		{
			name: "regular containers ran: init containers are not run again",
			pod:  withInit(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("app", 0)) },
			want: podActions{},
		},
		{
			name: "running: nothing to do",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("app", 0)) },
			want: podActions{},
		},
		{
			name: "first crash under Always: restart at once",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 1, 5)) },
			now:  5,
			want: podActions{Start: []containerStart{{Name: "app", Attempt: 1, FailedAt: epoch.Add(5 * time.Second)}}},
		},
		{
			name: "crash again within the back-off: CrashLoopBackOff",
			pod:  simple(always),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("app", 0, 1, 0), exited("app", 1, 1, 2))
			},
			backOff: func(p *corev1.Pod) *crashBackOff { return crashedOnce(p, "app") },
			now:     4,
			want: podActions{
				Waiting:      map[string]corev1.ContainerStateWaiting{"app": {Reason: "CrashLoopBackOff", Message: crashLoop}},
				BackOff:      []string{"app"},
				RequeueAfter: 8 * time.Second,
			},
		},
		{
			name: "back-off over: restart",
			pod:  simple(always),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("app", 0, 1, 0), exited("app", 1, 1, 2))
			},
			backOff: func(p *corev1.Pod) *crashBackOff { return crashedOnce(p, "app") },
			now:     12,
			want:    podActions{Start: []containerStart{{Name: "app", Attempt: 2, FailedAt: epoch.Add(2 * time.Second)}}},
		},
		{
			name: "a clean exit under Always restarts too",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 0, 5)) },
			now:  5,
			want: podActions{Start: []containerStart{{Name: "app", Attempt: 1, FailedAt: epoch.Add(5 * time.Second)}}},
		},
		{
			name: "clean exit under OnFailure: the pod is done",
			pod:  simple(onFailure),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 0, 5)) },
			want: podActions{KillPod: true},
		},
		{
			name: "failure under OnFailure: restart",
			pod:  simple(onFailure),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 2, 5)) },
			now:  5,
			want: podActions{Start: []containerStart{{Name: "app", Attempt: 1, FailedAt: epoch.Add(5 * time.Second)}}},
		},
		{
			name: "failure under Never: the pod is done",
			pod:  simple(never),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 2, 5)) },
			want: podActions{KillPod: true},
		},
		{
			name: "Never with one container still running: not done",
			pod:  testPod(never, nil, "app", "logger"),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("app", 0, 0, 5), running("logger", 0))
			},
			want: podActions{},
		},
		{
			name: "liveness failed: killed, to restart like a crash",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("app", 0)) },
			probes: func(rs *runtime.PodStatus) map[string]probeStatus {
				return map[string]probeStatus{"app-0": {Started: true, LivenessFailed: true}}
			},
			want: podActions{Kill: []containerKill{{ID: "app-0", Name: "app", Message: "Container app failed liveness probe, will be restarted", Unhealthy: true}}},
		},
		{
			name:      "killed for liveness, exited 0 under OnFailure: still restarted",
			pod:       simple(onFailure),
			rs:        func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 0, 5)) },
			unhealthy: map[string]bool{"app-0": true},
			now:       5,
			want:      podActions{Start: []containerStart{{Name: "app", Attempt: 1, FailedAt: epoch.Add(5 * time.Second)}}},
		},
		{
			name:      "killed for liveness under Never: not restarted",
			pod:       simple(never),
			rs:        func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, exited("app", 0, 0, 5)) },
			unhealthy: map[string]bool{"app-0": true},
			want:      podActions{KillPod: true},
		},
		{
			name: "startup probe failed: killed",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("app", 0)) },
			probes: func(rs *runtime.PodStatus) map[string]probeStatus {
				return map[string]probeStatus{"app-0": {StartupFailed: true}}
			},
			want: podActions{Kill: []containerKill{{ID: "app-0", Name: "app", Message: "Container app failed startup probe, will be restarted", Unhealthy: true}}},
		},
		{
			name: "spec changed (new image): restarted whatever the policy",
			pod:  changedPod(),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				rs := runtimeStatus(p, running("app", 0))
				rs.Containers[0].Hash = "old"
				return rs
			},
			want: podActions{
				Kill:  []containerKill{{ID: "app-0", Name: "app", Message: "Container app definition changed, will be restarted"}},
				Start: []containerStart{{Name: "app", Attempt: 1}},
			},
		},
		{
			name: "created but never started (agent stopped in between): started",
			pod:  simple(always),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, created("app", 0)) },
			want: podActions{Start: []containerStart{{Name: "app", ExistingID: "app-0"}}},
		},
		{
			name:     "failed start in back-off: waits with its error",
			pod:      simple(always),
			rs:       func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p) },
			startErr: map[string]startError{"app": {Reason: "CreateContainerError", Message: "boom", At: epoch}},
			backOff:  func(p *corev1.Pod) *crashBackOff { return crashedOnce(p, "app") },
			now:      1,
			want: podActions{
				Waiting:      map[string]corev1.ContainerStateWaiting{"app": {Reason: "CreateContainerError", Message: "boom"}},
				RequeueAfter: 9 * time.Second,
			},
		},
		{
			name:     "failed pull in back-off: ImagePullBackOff",
			pod:      simple(always),
			rs:       func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p) },
			startErr: map[string]startError{"app": {Reason: "ErrImagePull", Message: "not found", At: epoch}},
			backOff:  func(p *corev1.Pod) *crashBackOff { return crashedOnce(p, "app") },
			now:      1,
			want: podActions{
				Waiting:      map[string]corev1.ContainerStateWaiting{"app": {Reason: "ImagePullBackOff", Message: fmt.Sprintf("Back-off pulling image %q", simple(always).Spec.Containers[0].Image)}},
				RequeueAfter: 9 * time.Second,
			},
		},
		{
			name: "dead instances beyond the two newest are removed",
			pod:  simple(always),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("app", 0, 1, 0), exited("app", 1, 1, 1), exited("app", 2, 1, 2), running("app", 3))
			},
			want: podActions{Remove: []string{"app-1", "app-0"}},
		},
		{
			name: "being deleted: kill",
			pod:  deleting(),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("app", 0)) },
			want: podActions{KillPod: true},
		},
		{
			name: "terminal in the API: kill what is left",
			pod:  terminal(),
			want: podActions{KillPod: true},
		},
		{
			name: "the runtime lost a container the API says finished under Never: not run again",
			pod:  lostNeverPod(),
			want: podActions{KillPod: true},
		},
		{
			name: "sandbox died under a running pod: re-created",
			pod:  simple(always),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				rs := runtimeStatus(p, exited("app", 0, 137, 5))
				rs.Sandbox, rs.IPs = runtime.SandboxNotReady, nil
				return rs
			},
			now:  5,
			want: podActions{CreateSandbox: true, SandboxChanged: true, Start: []containerStart{{Name: "app", Attempt: 1, FailedAt: epoch.Add(5 * time.Second)}}},
		},
		{
			name: "sidecar started: the next init container runs beside it",
			pod:  sidecarPod(),
			rs:   func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("proxy", 0)) },
			want: podActions{Start: []containerStart{{Name: "init", Init: true}}},
		},
		{
			name:   "sidecar not started yet (startup probe): wait",
			pod:    sidecarPod(),
			rs:     func(p *corev1.Pod) *runtime.PodStatus { return runtimeStatus(p, running("proxy", 0)) },
			probes: func(*runtime.PodStatus) map[string]probeStatus { return map[string]probeStatus{} },
			want:   podActions{},
		},
		{
			name: "sidecar exited after initialization: restarted",
			pod:  sidecarPod(),
			rs: func(p *corev1.Pod) *runtime.PodStatus {
				return runtimeStatus(p, exited("proxy", 0, 1, 4), exited("init", 0, 0, 1), running("app", 0))
			},
			now:  4,
			want: podActions{Start: []containerStart{{Name: "proxy", Init: true, Attempt: 1, FailedAt: epoch.Add(4 * time.Second)}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs *runtime.PodStatus
			if tt.rs != nil {
				rs = tt.rs(tt.pod)
			}
			probes := allReady(rs)
			if tt.probes != nil {
				probes = tt.probes(rs)
			}
			b := newCrashBackOff(10*time.Second, 5*time.Minute)
			if tt.backOff != nil {
				b = tt.backOff(tt.pod)
			}
			got := computePodActions(podState{
				Pod: tt.pod, Runtime: rs, Probes: probes, BackOff: b, StartErrors: tt.startErr, Unhealthy: tt.unhealthy,
				VolumesReady: !tt.noVols, NetworkReady: !tt.noNet, Now: epoch.Add(time.Duration(tt.now) * time.Second),
			})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmp.AllowUnexported(podActions{})); diff != "" {
				t.Fatalf("actions (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
