package agent

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// podSpec builds a pod with the named init and regular containers.
func testPod(policy corev1.RestartPolicy, inits []string, containers ...string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default", UID: "uid-1"},
		Spec:       corev1.PodSpec{RestartPolicy: policy, NodeName: "node-1"},
		Status:     corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort},
	}
	for _, n := range inits {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: n, Image: "busybox"})
	}
	for _, n := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: n, Image: "nginx"})
	}
	return pod
}

// instance describes a runtime container for tests: name, attempt, state, exit code and
// the seconds after epoch it started and finished.
type instance struct {
	name     string
	attempt  uint32
	state    runtime.ContainerState
	code     int32
	started  int
	finished int
}

func running(name string, attempt uint32) instance {
	return instance{name: name, attempt: attempt, state: runtime.ContainerRunning}
}

func exited(name string, attempt uint32, code int32, finished int) instance {
	return instance{name: name, attempt: attempt, state: runtime.ContainerExited, code: code, finished: finished}
}

func created(name string, attempt uint32) instance {
	return instance{name: name, attempt: attempt, state: runtime.ContainerCreated}
}

// runtimeStatus builds a ready sandbox holding the instances; IDs are name-attempt.
func runtimeStatus(pod *corev1.Pod, instances ...instance) *runtime.PodStatus {
	rs := &runtime.PodStatus{UID: pod.UID, Name: pod.Name, Namespace: pod.Namespace, Sandbox: runtime.SandboxReady, IPs: []string{"10.42.0.5"}, CreatedAt: epoch}
	for _, in := range instances {
		spec, init := containerSpec(pod, in.name)
		c := runtime.ContainerStatus{
			ID: instanceID(in.name, in.attempt), Name: in.name, Init: init, Attempt: in.attempt, State: in.state,
			Image: "docker.io/library/" + spec.Image + ":latest", ImageRef: "docker.io/library/" + spec.Image + "@sha256:abc",
			Hash: containerHash(spec), CreatedAt: epoch.Add(time.Duration(in.started) * time.Second),
		}
		if in.state != runtime.ContainerCreated {
			c.StartedAt = epoch.Add(time.Duration(in.started) * time.Second)
		}
		if in.state == runtime.ContainerExited {
			c.FinishedAt = epoch.Add(time.Duration(in.finished) * time.Second)
			c.ExitCode = in.code
			c.Reason = exitReasonOf(in.code)
		}
		rs.Containers = append(rs.Containers, c)
	}
	return rs
}

func exitReasonOf(code int32) string {
	if code == 0 {
		return "Completed"
	}
	return "Error"
}

func instanceID(name string, attempt uint32) string {
	return name + "-" + string(rune('0'+attempt))
}

// allReady marks every running instance started and ready.
func allReady(rs *runtime.PodStatus) map[string]probeStatus {
	out := map[string]probeStatus{}
	if rs == nil {
		return out
	}
	for _, c := range rs.Containers {
		if c.State == runtime.ContainerRunning {
			out[c.ID] = probeStatus{Started: true, Ready: true}
		}
	}
	return out
}
