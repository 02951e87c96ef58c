package agent

import (
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// Helpers about containers of a pod and the runtime's instances of them.

// containerSpec finds a container of the pod by name (names are unique across init and
// regular containers) and says whether it is an init container.
func containerSpec(pod *corev1.Pod, name string) (*corev1.Container, bool) {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], true
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], false
		}
	}
	return nil, false
}

// isSidecar reports a restartable init container: one that keeps running beside the
// regular containers.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// containerHash fingerprints what of a container's spec requires a restart when it
// changes. Resources are left out: changing them does not restart a container upstream.
func containerHash(c *corev1.Container) string {
	cc := c.DeepCopy()
	cc.Resources = corev1.ResourceRequirements{}
	cc.ResizePolicy = nil
	b, _ := json.Marshal(cc)
	h := fnv.New64a()
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// instancesByName groups the runtime's container instances by container name, newest first.
func instancesByName(rs *runtime.PodStatus) map[string][]runtime.ContainerStatus {
	out := map[string][]runtime.ContainerStatus{}
	if rs == nil {
		return out
	}
	for _, c := range rs.Containers {
		out[c.Name] = append(out[c.Name], c)
	}
	for _, list := range out {
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].Attempt != list[j].Attempt {
				return list[i].Attempt > list[j].Attempt
			}
			return list[i].CreatedAt.After(list[j].CreatedAt)
		})
	}
	return out
}

// latestInstances returns the newest instance of every container.
func latestInstances(rs *runtime.PodStatus) []runtime.ContainerStatus {
	var out []runtime.ContainerStatus
	for _, list := range instancesByName(rs) {
		out = append(out, list[0])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// shouldRestart applies the pod's restart policy to a container that exited with code.
func shouldRestart(policy corev1.RestartPolicy, code int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return true
}

// runningContainers lists the instances that still run (or are unknown, and so may).
func runningContainers(rs *runtime.PodStatus) []runtime.ContainerStatus {
	var out []runtime.ContainerStatus
	if rs == nil {
		return nil
	}
	for _, c := range rs.Containers {
		if c.State == runtime.ContainerRunning || c.State == runtime.ContainerUnknown {
			out = append(out, c)
		}
	}
	return out
}
