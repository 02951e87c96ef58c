package process

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ordinal.dev/ordinal/internal/runtime"
)

func TestMemoryLimitEndsInOOMKilled(t *testing.T) {
	f := newFixture(t)
	pod := testPod("hungry", sh("main", "echo eating; tail /dev/zero"))
	pod.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	st := f.waitExit(pod.UID, id, 30*time.Second)
	if st.ExitCode != 137 || st.Reason != "OOMKilled" {
		t.Fatalf("exit = %d %q, want 137 OOMKilled", st.ExitCode, st.Reason)
	}
}

func TestRestartedRuntimeFindsRunningContainers(t *testing.T) {
	f := newFixture(t)
	pod := testPod("survivor", sh("main", "trap 'exit 0' TERM; echo up; while true; do sleep 0.05; done"))
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	f.waitLog(pod.UID, "main", 0, "up", 5*time.Second)

	// An agent restart: a new Runtime over the same data dir, the old one forgotten.
	again := f.newRuntime()
	pods, err := again.ListPods(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 || pods[0].UID != pod.UID || pods[0].Sandbox != runtime.SandboxReady || len(pods[0].IPs) != 1 {
		t.Fatalf("ListPods after restart = %+v", pods)
	}
	if c := pods[0].Containers; len(c) != 1 || c[0].ID != id || c[0].State != runtime.ContainerRunning || c[0].StartedAt.IsZero() {
		t.Fatalf("containers after restart = %+v", c)
	}
	// The new runtime supervises it: it stops it and sees how it ended.
	if err := again.StopContainer(f.ctx, id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ps, _ := again.PodStatus(f.ctx, pod.UID)
	if c := ps.Containers[0]; c.State != runtime.ContainerExited || c.ExitCode != 0 || c.Reason != "Completed" {
		t.Fatalf("after stop: %+v", c)
	}
	f.rt = again
}

func TestProbesAndHooks(t *testing.T) {
	f := newFixture(t)
	pod := testPod("probed", sh("main", "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"))
	c := &pod.Spec.Containers[0]
	c.Lifecycle = &corev1.Lifecycle{
		PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "echo started > /tmp/poststart"}}},
		PreStop:   &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "echo stopping > /proc/1/fd/1"}}},
	}
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	probe := func(p *corev1.Probe) runtime.ProbeResult {
		t.Helper()
		res, err := f.rt.Probe(f.ctx, &runtime.ProbeRequest{PodUID: pod.UID, ContainerID: id, Type: runtime.Liveness, Probe: p})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	exec := func(cmd ...string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}}
	}
	if res := probe(exec("cat", "/tmp/poststart")); !res.Success || res.Output != "started\n" {
		t.Fatalf("postStart hook did not run: %+v", res)
	}
	if res := probe(exec("sh", "-c", "echo bad; exit 1")); res.Success || res.Output != "bad\n" {
		t.Fatalf("failing exec probe: %+v", res)
	}
	httpGet := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(8080)}}}
	}
	deadline := time.Now().Add(5 * time.Second)
	for res := probe(httpGet("/healthz")); !res.Success; res = probe(httpGet("/healthz")) {
		if time.Now().After(deadline) {
			t.Fatalf("http probe never succeeded: %s", res.Output)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res := probe(httpGet("/missing")); res.Success || !strings.Contains(res.Output, "404") {
		t.Fatalf("http probe of a missing page: %+v", res)
	}
	if res := probe(nil); !res.Success {
		t.Fatal("no probe must mean success")
	}
	if err := f.rt.StopContainer(f.ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	f.waitLog(pod.UID, "main", 0, "stopping", time.Second)
	if _, err := f.rt.Probe(f.ctx, &runtime.ProbeRequest{PodUID: pod.UID, ContainerID: id, Probe: exec("true")}); err == nil {
		t.Fatal("probing an exited container must be an error")
	}
}

func TestTerminationMessages(t *testing.T) {
	f := newFixture(t)
	pod := testPod("messages",
		sh("file", "echo 'custom message' > /dev/termination-log; exit 2"),
		sh("logs", "echo line one; echo last words; exit 1"))
	pod.Spec.Containers[1].TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
	f.runSandbox(pod, nil)
	a, b := f.start(pod, 0, 0), f.start(pod, 1, 0)
	if st := f.waitExit(pod.UID, a, 10*time.Second); st.Message != "custom message\n" {
		t.Errorf("file message = %q", st.Message)
	}
	if st := f.waitExit(pod.UID, b, 10*time.Second); st.Message != "line one\nlast words\n" {
		t.Errorf("fallback message = %q", st.Message)
	}
}

func TestSecurityContext(t *testing.T) {
	f := newFixture(t)
	yes, no := true, false
	pod := testPod("secure", sh("main", "touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-readonly; ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo ping-ok || echo ping-denied; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status"))
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		ReadOnlyRootFilesystem: &yes, AllowPrivilegeEscalation: &no,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}},
	}
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	f.waitExit(pod.UID, id, 10*time.Second)
	text := f.logText(pod.UID, "main", 0)
	for _, want := range []string{"rootfs-readonly", "ping-denied", "NoNewPrivs:\t1"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestStopAndRemovePodSandbox(t *testing.T) {
	f := newFixture(t)
	pod := testPod("gone", sh("main", "sleep 1000"))
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	netns := f.rt.sandboxes[pod.UID].rec.NetNS
	if err := f.rt.StopPodSandbox(f.ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	ps, _ := f.rt.PodStatus(f.ctx, pod.UID)
	if ps.Sandbox != runtime.SandboxNotReady || len(ps.IPs) != 0 || ps.Containers[0].State != runtime.ContainerExited || ps.Containers[0].ExitCode != 137 {
		t.Fatalf("after StopPodSandbox: %+v", ps)
	}
	if _, err := os.Stat(netns); !os.IsNotExist(err) {
		t.Fatalf("network namespace %s left behind: %v", netns, err)
	}
	if _, err := f.rt.CreateContainer(f.ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]}); !errors.Is(err, runtime.ErrSandboxNotReady) {
		t.Fatalf("CreateContainer in a stopped sandbox: %v", err)
	}
	// A stopped sandbox starts again with a new network.
	f.runSandbox(pod, nil)
	if ps, _ := f.rt.PodStatus(f.ctx, pod.UID); ps.Sandbox != runtime.SandboxReady || len(ps.IPs) != 1 {
		t.Fatalf("restarted sandbox: %+v", ps)
	}
	if err := f.rt.RemovePodSandbox(f.ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.PodStatus(f.ctx, pod.UID); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("PodStatus after removal: %v", err)
	}
	if _, err := os.Stat(LogPath(f.opts.DataDir, pod.UID, "main", 0)); !os.IsNotExist(err) {
		t.Fatalf("log left behind: %v", err)
	}
	if pins, _ := f.rt.images.Pins(); len(pins) != 0 {
		t.Fatalf("image pins left: %v", pins)
	}
	_ = id
}
