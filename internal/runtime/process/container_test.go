package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEchoExitsZeroWithItsOutputInTheLog(t *testing.T) {
	f := newFixture(t)
	pod := testPod("echo", sh("main", "echo hello from busybox; echo oops >&2"))
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	st := f.waitExit(pod.UID, id, 10*time.Second)
	if st.ExitCode != 0 || st.Reason != "Completed" {
		t.Fatalf("exit = %d %q, want 0 Completed", st.ExitCode, st.Reason)
	}
	text := f.logText(pod.UID, "main", 0)
	if !strings.Contains(text, "hello from busybox\n") || !strings.Contains(text, "oops\n") {
		t.Fatalf("log = %q", text)
	}
}

func TestExitCodesAndReasons(t *testing.T) {
	f := newFixture(t)
	pod := testPod("codes", sh("three", "exit 3"), corev1.Container{Name: "missing", Command: []string{"/no/such/binary"}})
	f.runSandbox(pod, nil)
	id := f.start(pod, 0, 0)
	if st := f.waitExit(pod.UID, id, 10*time.Second); st.ExitCode != 3 || st.Reason != "Error" {
		t.Fatalf("exit 3: got %d %q, want 3 Error", st.ExitCode, st.Reason)
	}

	c := &pod.Spec.Containers[1]
	id, err := f.rt.CreateContainer(f.ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: c})
	if err != nil {
		t.Fatal(err)
	}
	err = f.rt.StartContainer(f.ctx, id)
	if err == nil || !strings.Contains(err.Error(), "/no/such/binary") {
		t.Fatalf("StartContainer = %v, want an error naming the binary", err)
	}
	st := f.status(pod.UID, id)
	if st.State != runtime.ContainerExited || st.ExitCode != 128 || st.Reason != "ContainerCannotRun" || !strings.Contains(st.Message, "/no/such/binary") {
		t.Fatalf("status = %+v, want exited 128 ContainerCannotRun", st)
	}
}

func TestStopContainerIsGraceful(t *testing.T) {
	f := newFixture(t)
	pod := testPod("stop",
		sh("polite", "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done"),
		sh("stubborn", "trap '' TERM; echo ready; while true; do sleep 0.05; done"))
	f.runSandbox(pod, nil)
	polite, stubborn := f.start(pod, 0, 0), f.start(pod, 1, 0)
	f.waitLog(pod.UID, "polite", 0, "ready", 5*time.Second)
	f.waitLog(pod.UID, "stubborn", 0, "ready", 5*time.Second)

	start := time.Now()
	if err := f.rt.StopContainer(f.ctx, polite, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := f.status(pod.UID, polite); st.State != runtime.ContainerExited || st.ExitCode != 7 {
		t.Fatalf("polite: %+v, want exited 7", st)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("polite container took %s to stop", d)
	}
	f.waitLog(pod.UID, "polite", 0, "got TERM", time.Second)

	start = time.Now()
	if err := f.rt.StopContainer(f.ctx, stubborn, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	if st := f.status(pod.UID, stubborn); st.State != runtime.ContainerExited || st.ExitCode != 137 {
		t.Fatalf("stubborn: %+v, want exited 137 (SIGKILL)", st)
	}
	if d < 500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("stubborn container stopped after %s, want the 500ms grace period then a kill", d)
	}
}

func TestEnvironmentHostsAndResolvConf(t *testing.T) {
	f := newFixture(t)
	pod := testPod("web-0", sh("main", "env; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; hostname; id"))
	pod.Spec.Hostname, pod.Spec.Subdomain = "web-0", "web"
	pod.Spec.HostAliases = []corev1.HostAlias{{IP: "10.9.9.9", Hostnames: []string{"alias-one", "alias-two"}}}
	uid := int64(1234)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: &uid}
	f.opts.HostResolvConf = writeTemp(t, "search corp.example\nnameserver 192.0.2.53\n")
	f.rt.opts.HostResolvConf = f.opts.HostResolvConf
	f.runSandbox(pod, nil)
	c := &pod.Spec.Containers[0]
	id, err := f.rt.CreateContainer(f.ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: c, Env: []string{"GREETING=hello world", "PATH=/bin:/usr/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.rt.StartContainer(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if st := f.waitExit(pod.UID, id, 10*time.Second); st.ExitCode != 0 {
		t.Fatalf("exit %d: %s", st.ExitCode, f.logText(pod.UID, "main", 0))
	}
	ps, _ := f.rt.PodStatus(f.ctx, pod.UID)
	ip := ps.IPs[0]
	text := f.logText(pod.UID, "main", 0)
	for _, want := range []string{
		"GREETING=hello world\n", "HOSTNAME=web-0\n", "PATH=/bin:/usr/bin\n",
		"search default.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.43.0.10\noptions ndots:5\n",
		"127.0.0.1\tlocalhost\n", ip + "\tweb-0.web.default.svc.cluster.local\tweb-0\n", "10.9.9.9\talias-one\talias-two\n",
		"---\nweb-0\nuid=1234 gid=0(root)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestEmptyDirIsSharedByThePodsContainers(t *testing.T) {
	f := newFixture(t)
	pod := testPod("shared",
		sh("writer", "echo from-writer > /data/note"),
		sh("reader", "until [ -f /data/note ]; do sleep 0.05; done; cat /data/note; cat /mem/x 2>/dev/null; df -t tmpfs /mem | tail -1"))
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
	}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/data"}}
	pod.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: "/data", ReadOnly: true}, {Name: "mem", MountPath: "/mem"}}
	f.runSandbox(pod, nil)
	w := f.start(pod, 0, 0)
	r := f.start(pod, 1, 0)
	f.waitExit(pod.UID, w, 10*time.Second)
	if st := f.waitExit(pod.UID, r, 10*time.Second); st.ExitCode != 0 {
		t.Fatalf("reader exit %d: %s", st.ExitCode, f.logText(pod.UID, "reader", 0))
	}
	text := f.logText(pod.UID, "reader", 0)
	if !strings.Contains(text, "from-writer\n") || !strings.Contains(text, "/mem") {
		t.Fatalf("reader saw %q", text)
	}
}
