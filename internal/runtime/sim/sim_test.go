package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"

	"ordinal.dev/ordinal/internal/runtime"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newPod(uid string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p-" + uid, Namespace: "default", UID: types.UID(uid), Annotations: annotations},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
		},
	}
}

// fixture is a sim runtime on a fake clock with a pod CIDR.
func fixture(t *testing.T, opts Options) (*Runtime, *testingclock.FakeClock) {
	t.Helper()
	clk := testingclock.NewFakeClock(epoch)
	opts.Clock = clk
	r := New(opts)
	if err := r.UpdatePodCIDR(context.Background(), "10.42.3.0/24"); err != nil {
		t.Fatal(err)
	}
	return r, clk
}

func mustRun(t *testing.T, r *Runtime, pod *corev1.Pod) {
	t.Helper()
	if err := r.RunPodSandbox(context.Background(), &runtime.SandboxConfig{Pod: pod}); err != nil {
		t.Fatal(err)
	}
}

func mustStart(t *testing.T, r *Runtime, pod *corev1.Pod, init bool, c *corev1.Container, attempt uint32) string {
	t.Helper()
	ctx := context.Background()
	id, err := r.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: c, Init: init, Attempt: attempt})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func containerStatus(t *testing.T, r *Runtime, uid types.UID, id string) runtime.ContainerStatus {
	t.Helper()
	st, err := r.PodStatus(context.Background(), uid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Containers {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("container %s not listed", id)
	return runtime.ContainerStatus{}
}

func TestSandboxIPsComeFromThePodCIDRAndAreReleased(t *testing.T) {
	r, _ := fixture(t, Options{})
	ctx := context.Background()
	a, b := newPod("a", nil), newPod("b", nil)
	mustRun(t, r, a)
	mustRun(t, r, b)
	sa, _ := r.PodStatus(ctx, a.UID)
	sb, _ := r.PodStatus(ctx, b.UID)
	if len(sa.IPs) != 1 || sa.IPs[0] != "10.42.3.2" || sb.IPs[0] != "10.42.3.3" {
		t.Fatalf("IPs %v %v, want 10.42.3.2 and 10.42.3.3", sa.IPs, sb.IPs)
	}
	if err := r.RemovePodSandbox(ctx, a.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PodStatus(ctx, a.UID); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("removed pod: err %v, want ErrNotFound", err)
	}
	c := newPod("c", nil)
	mustRun(t, r, c)
	sc, _ := r.PodStatus(ctx, c.UID)
	if sc.IPs[0] != "10.42.3.4" {
		t.Fatalf("next IP %v: a released address must not be handed out again at once", sc.IPs)
	}
	// Idempotent: a ready sandbox keeps its IP.
	mustRun(t, r, c)
	if again, _ := r.PodStatus(ctx, c.UID); again.IPs[0] != "10.42.3.4" {
		t.Fatalf("second RunPodSandbox changed the IP to %v", again.IPs)
	}
}

func TestSandboxNeedsPodCIDRUnlessHostNetwork(t *testing.T) {
	r := New(Options{Clock: testingclock.NewFakeClock(epoch)})
	pod := newPod("a", nil)
	err := r.RunPodSandbox(context.Background(), &runtime.SandboxConfig{Pod: pod})
	if !errors.Is(err, runtime.ErrNoPodCIDR) {
		t.Fatalf("err %v, want ErrNoPodCIDR", err)
	}
	pod.Spec.HostNetwork = true
	if err := r.RunPodSandbox(context.Background(), &runtime.SandboxConfig{Pod: pod}); err != nil {
		t.Fatal(err)
	}
}

func TestPodCIDRExhausted(t *testing.T) {
	r := New(Options{Clock: testingclock.NewFakeClock(epoch)})
	ctx := context.Background()
	if err := r.UpdatePodCIDR(ctx, "10.42.0.0/30"); err != nil { // one assignable address: .2
		t.Fatal(err)
	}
	mustRun(t, r, newPod("a", nil))
	err := r.RunPodSandbox(ctx, &runtime.SandboxConfig{Pod: newPod("b", nil)})
	if !errors.Is(err, runtime.ErrPodCIDRExhausted) {
		t.Fatalf("err %v, want ErrPodCIDRExhausted", err)
	}
}

func TestContainerLifecycle(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		init        bool
		after       time.Duration
		wantState   runtime.ContainerState
		wantCode    int32
		wantReason  string
	}{
		{name: "app runs", after: time.Hour, wantState: runtime.ContainerRunning},
		{name: "init completes at once", init: true, wantState: runtime.ContainerExited, wantReason: "Completed"},
		{name: "crash", annotations: map[string]string{AnnotationCrash: "true"}, wantState: runtime.ContainerExited, wantCode: 1, wantReason: "Error"},
		{name: "crash does not touch init containers", annotations: map[string]string{AnnotationCrash: "true"}, init: true, wantState: runtime.ContainerExited, wantReason: "Completed"},
		{name: "exit-code at once", annotations: map[string]string{AnnotationExitCode: "3"}, wantState: runtime.ContainerExited, wantCode: 3, wantReason: "Error"},
		{name: "exit-code before run-seconds", annotations: map[string]string{AnnotationExitCode: "0", AnnotationRunSeconds: "5"}, after: 4 * time.Second, wantState: runtime.ContainerRunning},
		{name: "exit-code after run-seconds", annotations: map[string]string{AnnotationExitCode: "0", AnnotationRunSeconds: "5"}, after: 5 * time.Second, wantState: runtime.ContainerExited, wantReason: "Completed"},
		{name: "never-ready still runs", annotations: map[string]string{AnnotationNeverReady: "true"}, after: time.Hour, wantState: runtime.ContainerRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, clk := fixture(t, Options{})
			pod := newPod("a", tt.annotations)
			mustRun(t, r, pod)
			spec := &pod.Spec.Containers[0]
			if tt.init {
				spec = &pod.Spec.InitContainers[0]
			}
			id := mustStart(t, r, pod, tt.init, spec, 0)
			clk.Step(tt.after)
			got := containerStatus(t, r, pod.UID, id)
			if got.State != tt.wantState || got.ExitCode != tt.wantCode || got.Reason != tt.wantReason {
				t.Fatalf("got %s code %d reason %q, want %s code %d reason %q", got.State, got.ExitCode, got.Reason, tt.wantState, tt.wantCode, tt.wantReason)
			}
			if !got.StartedAt.Equal(epoch) {
				t.Errorf("startedAt %v, want %v", got.StartedAt, epoch)
			}
			if got.State == runtime.ContainerExited {
				want := epoch
				if tt.annotations[AnnotationRunSeconds] != "" {
					want = epoch.Add(5 * time.Second)
				}
				if !got.FinishedAt.Equal(want) {
					t.Errorf("finishedAt %v, want %v", got.FinishedAt, want)
				}
			}
		})
	}
}

func TestStartDelay(t *testing.T) {
	for _, tt := range []struct {
		name        string
		node        time.Duration
		annotations map[string]string
		want        time.Duration
	}{
		{name: "node default", node: 3 * time.Second, want: 3 * time.Second},
		{name: "pod override", node: 3 * time.Second, annotations: map[string]string{AnnotationStartDelay: "500ms"}, want: 500 * time.Millisecond},
		{name: "bare seconds", annotations: map[string]string{AnnotationStartDelay: "2"}, want: 2 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, clk := fixture(t, Options{StartDelay: tt.node})
			pod := newPod("a", tt.annotations)
			mustRun(t, r, pod)
			id, err := r.CreateContainer(context.Background(), pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan error, 1)
			go func() { started <- r.StartContainer(context.Background(), id) }()
			waitForWaiters(t, clk)
			if got := containerStatus(t, r, pod.UID, id); got.State != runtime.ContainerCreated {
				t.Fatalf("during the delay: state %s, want Created", got.State)
			}
			clk.Step(tt.want - time.Millisecond)
			select {
			case <-started:
				t.Fatal("started before the delay passed")
			default:
			}
			clk.Step(time.Millisecond)
			if err := <-started; err != nil {
				t.Fatal(err)
			}
			if got := containerStatus(t, r, pod.UID, id); got.State != runtime.ContainerRunning || !got.StartedAt.Equal(epoch.Add(tt.want)) {
				t.Fatalf("after the delay: %s started %v", got.State, got.StartedAt)
			}
		})
	}
}

func TestStartCancelled(t *testing.T) {
	r, clk := fixture(t, Options{StartDelay: time.Minute})
	pod := newPod("a", nil)
	mustRun(t, r, pod)
	id, _ := r.CreateContainer(context.Background(), pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.StartContainer(ctx, id) }()
	waitForWaiters(t, clk)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if got := containerStatus(t, r, pod.UID, id); got.State != runtime.ContainerCreated {
		t.Fatalf("state %s, want Created", got.State)
	}
}

func TestStopContainer(t *testing.T) {
	t.Run("SIGTERM stops at once with 0", func(t *testing.T) {
		r, _ := fixture(t, Options{})
		pod := newPod("a", nil)
		mustRun(t, r, pod)
		id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
		if err := r.StopContainer(context.Background(), id, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := containerStatus(t, r, pod.UID, id); got.State != runtime.ContainerExited || got.ExitCode != 0 || got.Reason != "Completed" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("grace 0 kills", func(t *testing.T) {
		r, _ := fixture(t, Options{})
		pod := newPod("a", nil)
		mustRun(t, r, pod)
		id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
		_ = r.StopContainer(context.Background(), id, 0)
		if got := containerStatus(t, r, pod.UID, id); got.ExitCode != 137 {
			t.Fatalf("exit %d, want 137", got.ExitCode)
		}
	})
	t.Run("ignore-sigterm is killed after the grace period", func(t *testing.T) {
		r, clk := fixture(t, Options{})
		pod := newPod("a", map[string]string{AnnotationIgnoreSIGTERM: "true"})
		mustRun(t, r, pod)
		id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
		done := make(chan error, 1)
		go func() { done <- r.StopContainer(context.Background(), id, 10*time.Second) }()
		waitForWaiters(t, clk)
		clk.Step(9 * time.Second)
		if got := containerStatus(t, r, pod.UID, id); got.State != runtime.ContainerRunning {
			t.Fatalf("state %s during the grace period, want Running", got.State)
		}
		clk.Step(time.Second)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := containerStatus(t, r, pod.UID, id)
		if got.ExitCode != 137 || !got.FinishedAt.Equal(epoch.Add(10*time.Second)) {
			t.Fatalf("got code %d finished %v, want 137 at +10s", got.ExitCode, got.FinishedAt)
		}
	})
	t.Run("ignore-sigterm killed at once when the stop is cancelled", func(t *testing.T) {
		r, clk := fixture(t, Options{})
		pod := newPod("a", map[string]string{AnnotationIgnoreSIGTERM: "true"})
		mustRun(t, r, pod)
		id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.StopContainer(ctx, id, time.Hour) }()
		waitForWaiters(t, clk)
		cancel()
		<-done
		if got := containerStatus(t, r, pod.UID, id); got.ExitCode != 137 || !got.FinishedAt.Equal(epoch) {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("stopping an exited container is a no-op", func(t *testing.T) {
		r, _ := fixture(t, Options{})
		pod := newPod("a", map[string]string{AnnotationExitCode: "4"})
		mustRun(t, r, pod)
		id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
		_ = r.StopContainer(context.Background(), id, time.Second)
		if got := containerStatus(t, r, pod.UID, id); got.ExitCode != 4 {
			t.Fatalf("exit %d, want 4", got.ExitCode)
		}
	})
}

func TestStopPodSandboxKillsReleasesAndKeepsRecords(t *testing.T) {
	r, _ := fixture(t, Options{})
	ctx := context.Background()
	pod := newPod("a", nil)
	mustRun(t, r, pod)
	id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
	if err := r.StopPodSandbox(ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	st, _ := r.PodStatus(ctx, pod.UID)
	if st.Sandbox != runtime.SandboxNotReady || len(st.IPs) != 0 {
		t.Fatalf("sandbox %s IPs %v", st.Sandbox, st.IPs)
	}
	if got := containerStatus(t, r, pod.UID, id); got.ExitCode != 137 {
		t.Fatalf("exit %d, want 137", got.ExitCode)
	}
	if _, err := r.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]}); !errors.Is(err, runtime.ErrSandboxNotReady) {
		t.Fatalf("create in stopped sandbox: %v", err)
	}
}

func TestRemoveContainer(t *testing.T) {
	r, _ := fixture(t, Options{})
	ctx := context.Background()
	pod := newPod("a", nil)
	mustRun(t, r, pod)
	id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
	if err := r.RemoveContainer(ctx, id); !errors.Is(err, runtime.ErrContainerRunning) {
		t.Fatalf("removing a running container: %v", err)
	}
	_ = r.StopContainer(ctx, id, time.Second)
	if err := r.RemoveContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	st, _ := r.PodStatus(ctx, pod.UID)
	if len(st.Containers) != 0 {
		t.Fatalf("containers left: %v", st.Containers)
	}
}

func TestProbes(t *testing.T) {
	r, _ := fixture(t, Options{})
	ctx := context.Background()
	plain := newPod("a", nil)
	odd := newPod("b", map[string]string{AnnotationNeverReady: "true", AnnotationFailLiveness: "true"})
	probe := &corev1.Probe{}
	for _, tt := range []struct {
		pod   *corev1.Pod
		typ   runtime.ProbeType
		probe *corev1.Probe
		want  bool
	}{
		{plain, runtime.Readiness, nil, true},
		{plain, runtime.Liveness, probe, true},
		{odd, runtime.Readiness, nil, false},
		{odd, runtime.Readiness, probe, false},
		{odd, runtime.Liveness, probe, false},
		{odd, runtime.Startup, probe, true},
	} {
		mustRun(t, r, tt.pod)
		st, _ := r.PodStatus(ctx, tt.pod.UID)
		var id string
		if len(st.Containers) == 0 {
			id = mustStart(t, r, tt.pod, false, &tt.pod.Spec.Containers[0], 0)
		} else {
			id = st.Containers[0].ID
		}
		res, err := r.Probe(ctx, &runtime.ProbeRequest{PodUID: tt.pod.UID, ContainerID: id, Type: tt.typ, Probe: tt.probe})
		if err != nil || res.Success != tt.want {
			t.Errorf("pod %s %s probe(%v): success %v err %v, want %v", tt.pod.Name, tt.typ, tt.probe != nil, res.Success, err, tt.want)
		}
	}
}

func TestBadAnnotationFailsCreate(t *testing.T) {
	r, _ := fixture(t, Options{})
	pod := newPod("a", map[string]string{AnnotationExitCode: "lots"})
	mustRun(t, r, pod)
	_, err := r.CreateContainer(context.Background(), pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
	if err == nil {
		t.Fatal("want an error naming the annotation")
	}
	t.Log(err)
}

func TestListPodsFindsEverything(t *testing.T) {
	r, _ := fixture(t, Options{})
	for _, uid := range []string{"a", "b"} {
		pod := newPod(uid, nil)
		mustRun(t, r, pod)
		mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
	}
	_ = r.StopPodSandbox(context.Background(), "b")
	pods, err := r.ListPods(context.Background())
	if err != nil || len(pods) != 2 {
		t.Fatalf("ListPods: %d pods, err %v", len(pods), err)
	}
}

func TestExitContainerHook(t *testing.T) {
	r, _ := fixture(t, Options{})
	pod := newPod("a", nil)
	mustRun(t, r, pod)
	id := mustStart(t, r, pod, false, &pod.Spec.Containers[0], 0)
	if err := r.ExitContainer(pod.UID, "app", 2); err != nil {
		t.Fatal(err)
	}
	if got := containerStatus(t, r, pod.UID, id); got.ExitCode != 2 || got.State != runtime.ContainerExited {
		t.Fatalf("got %+v", got)
	}
}

func TestNormalizeImage(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                       "docker.io/library/nginx:latest",
		"nginx:1.27":                  "docker.io/library/nginx:1.27",
		"bitnami/redis":               "docker.io/bitnami/redis:latest",
		"registry.k8s.io/pause:3.10":  "registry.k8s.io/pause:3.10",
		"localhost:5000/app":          "localhost:5000/app:latest",
		"localhost/app:v1":            "localhost/app:v1",
		"busybox@sha256:0123abcd":     "docker.io/library/busybox@sha256:0123abcd",
		"quay.io/org/img:tag":         "quay.io/org/img:tag",
		"registry:5000/team/app:v2.1": "registry:5000/team/app:v2.1",
	} {
		if got := normalizeImage(in); got != want {
			t.Errorf("normalizeImage(%q) = %q, want %q", in, got, want)
		}
	}
}

// waitForWaiters blocks until something waits on the fake clock, so a Step is not lost.
func waitForWaiters(t *testing.T, clk *testingclock.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("nothing waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}
