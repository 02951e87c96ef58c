package agent_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// The scenarios below play no scheduler: pods are created bound to a node.

func TestAgentRunsSimulatedPods(t *testing.T) {
	client := startCluster(t)
	ctx := context.Background()
	rt := sim.New(sim.Options{})
	startAgent(t, client, "ordinal-sim-1", 1, rt)

	t.Run("node registers, gets a pod CIDR, becomes Ready and renews its lease", func(t *testing.T) {
		eventually(t, 10*time.Second, "node Ready with a pod CIDR", func() (bool, string) {
			node, err := client.CoreV1().Nodes().Get(ctx, "ordinal-sim-1", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady {
					return node.Spec.PodCIDR != "" && c.Status == corev1.ConditionTrue, fmt.Sprintf("cidr %q ready %s %s", node.Spec.PodCIDR, c.Status, c.Message)
				}
			}
			return false, "no Ready condition"
		})
		node, _ := client.CoreV1().Nodes().Get(ctx, "ordinal-sim-1", metav1.GetOptions{})
		for k, v := range map[string]string{"kubernetes.io/hostname": "ordinal-sim-1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"} {
			if node.Labels[k] != v {
				t.Errorf("label %s=%q, want %q", k, node.Labels[k], v)
			}
		}
		if cpu := node.Status.Allocatable[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("4")) != 0 {
			t.Errorf("allocatable cpu %s, want 4", cpu.String())
		}
		if pods := node.Status.Capacity[corev1.ResourcePods]; pods.Value() != 110 {
			t.Errorf("pods capacity %s, want 110", pods.String())
		}
		if got := node.Status.NodeInfo; got.KubeletVersion != "v1.32.13" || got.ContainerRuntimeVersion != "sim://0.1" {
			t.Errorf("nodeInfo %+v", got)
		}
		if len(node.Status.Addresses) == 0 || node.Status.Addresses[0].Address != "10.44.0.1" {
			t.Errorf("addresses %+v", node.Status.Addresses)
		}
		if node.Spec.PodCIDR != "10.42.0.0/24" || len(node.Spec.PodCIDRs) != 1 {
			t.Errorf("podCIDR %q %v, want 10.42.0.0/24", node.Spec.PodCIDR, node.Spec.PodCIDRs)
		}
		eventually(t, 10*time.Second, "the node lease", func() (bool, string) {
			lease, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "ordinal-sim-1", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return *lease.Spec.HolderIdentity == "ordinal-sim-1" && *lease.Spec.LeaseDurationSeconds == 40 && lease.Spec.RenewTime != nil, fmt.Sprint(lease.Spec)
		})
	})

	t.Run("a pod runs, becomes Ready and gets an IP from the node's pod CIDR", func(t *testing.T) {
		create(t, client, newPod("web", "ordinal-sim-1", nil, "nginx"))
		pod := waitRunningReady(t, client, "web")
		_, cidr, _ := net.ParseCIDR("10.42.0.0/24")
		if ip := net.ParseIP(pod.Status.PodIP); ip == nil || !cidr.Contains(ip) || len(pod.Status.PodIPs) != 1 {
			t.Errorf("podIP %q podIPs %v, want one in %s", pod.Status.PodIP, pod.Status.PodIPs, cidr)
		}
		if pod.Status.HostIP != "10.44.0.1" || pod.Status.StartTime == nil {
			t.Errorf("hostIP %q startTime %v", pod.Status.HostIP, pod.Status.StartTime)
		}
		cs := pod.Status.ContainerStatuses[0]
		if !strings.HasPrefix(cs.ContainerID, "sim://") || cs.State.Running == nil || cs.Started == nil || !*cs.Started {
			t.Errorf("container status %+v", cs)
		}
		if pod.Status.QOSClass != corev1.PodQOSBestEffort {
			t.Errorf("qosClass %q", pod.Status.QOSClass)
		}
		for _, want := range []string{`Pulled: Container image "nginx:1.27" already present on machine`, "Created: Created container nginx", "Started: Started container nginx"} {
			waitEvent(t, client, "default", "web", want)
		}
	})

	t.Run("init containers run one after the other, before the app", func(t *testing.T) {
		pod := newPod("with-init", "ordinal-sim-1", map[string]string{sim.AnnotationStartDelay: "30ms"}, "app")
		pod.Spec.InitContainers = []corev1.Container{{Name: "init-1", Image: "busybox"}, {Name: "init-2", Image: "busybox"}}
		pod = create(t, client, pod)
		got := waitRunningReady(t, client, "with-init")
		for _, cs := range got.Status.InitContainerStatuses {
			if cs.State.Terminated == nil || cs.State.Terminated.Reason != "Completed" || !cs.Ready {
				t.Errorf("init container %s: %+v", cs.Name, cs.State)
			}
		}
		rs, err := rt.PodStatus(ctx, pod.UID)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]runtime.ContainerStatus{}
		for _, c := range rs.Containers {
			byName[c.Name] = c
		}
		if !byName["init-2"].CreatedAt.After(byName["init-1"].FinishedAt.Add(-time.Nanosecond)) || !byName["app"].CreatedAt.After(byName["init-2"].FinishedAt.Add(-time.Nanosecond)) {
			t.Errorf("out of order: init-1 finished %v, init-2 created %v finished %v, app created %v",
				byName["init-1"].FinishedAt, byName["init-2"].CreatedAt, byName["init-2"].FinishedAt, byName["app"].CreatedAt)
		}
	})

	t.Run("a never-ready pod runs but is not Ready", func(t *testing.T) {
		create(t, client, newPod("never-ready", "ordinal-sim-1", map[string]string{sim.AnnotationNeverReady: "true"}, "app"))
		var pod *corev1.Pod
		eventually(t, 10*time.Second, "never-ready Running", func() (bool, string) {
			pod = getPod(t, client, "never-ready")
			return pod.Status.Phase == corev1.PodRunning && len(pod.Status.ContainerStatuses) == 1 && pod.Status.ContainerStatuses[0].State.Running != nil, describe(pod)
		})
		time.Sleep(300 * time.Millisecond) // several relists: readiness must not come
		pod = getPod(t, client, "never-ready")
		if podCondition(pod, corev1.PodReady) != corev1.ConditionFalse || pod.Status.ContainerStatuses[0].Ready {
			t.Fatalf("never-ready pod is ready: %s", describe(pod))
		}
	})

	t.Run("a readiness probe holds readiness until its initial delay", func(t *testing.T) {
		p := newPod("probed", "ordinal-sim-1", nil, "app")
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intOrString(80)}},
			InitialDelaySeconds: 1, PeriodSeconds: 1,
		}
		create(t, client, p)
		eventually(t, 10*time.Second, "probed Running", func() (bool, string) {
			pod := getPod(t, client, "probed")
			return pod.Status.Phase == corev1.PodRunning, describe(pod)
		})
		pod := getPod(t, client, "probed")
		started := pod.Status.ContainerStatuses[0].State.Running.StartedAt.Time
		if podCondition(pod, corev1.PodReady) == corev1.ConditionTrue && time.Since(started) < 900*time.Millisecond {
			t.Fatalf("Ready before the initial delay: %s", describe(pod))
		}
		pod = waitRunningReady(t, client, "probed")
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady && c.LastTransitionTime.Time.Before(started.Add(time.Second)) {
				t.Errorf("Ready at %v, container started at %v with a 1s initial delay", c.LastTransitionTime, started)
			}
		}
	})

	t.Run("a failing liveness probe restarts the container", func(t *testing.T) {
		p := newPod("unhealthy", "ordinal-sim-1", map[string]string{sim.AnnotationFailLiveness: "true"}, "app")
		p.Spec.Containers[0].LivenessProbe = &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
			PeriodSeconds: 1, FailureThreshold: 1,
		}
		create(t, client, p)
		eventually(t, 15*time.Second, "restarts by liveness", func() (bool, string) {
			pod := getPod(t, client, "unhealthy")
			return len(pod.Status.ContainerStatuses) == 1 && pod.Status.ContainerStatuses[0].RestartCount >= 1, describe(pod)
		})
		waitEvent(t, client, "default", "unhealthy", "Unhealthy: Liveness probe failed: simulated failure")
		waitEvent(t, client, "default", "unhealthy", "Killing: Container app failed liveness probe, will be restarted")

		// Under OnFailure the clean exit after SIGTERM still counts as a failure: the
		// container comes back and the pod never looks Succeeded.
		p = newPod("unhealthy-onfailure", "ordinal-sim-1", map[string]string{sim.AnnotationFailLiveness: "true"}, "app")
		p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		p.Spec.Containers[0].LivenessProbe = &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
			PeriodSeconds: 1, FailureThreshold: 1,
		}
		create(t, client, p)
		eventually(t, 15*time.Second, "restarts by liveness under OnFailure", func() (bool, string) {
			pod := getPod(t, client, "unhealthy-onfailure")
			if isTerminalPhase(pod.Status.Phase) {
				t.Fatalf("pod went %s: %s", pod.Status.Phase, describe(pod))
			}
			return len(pod.Status.ContainerStatuses) == 1 && pod.Status.ContainerStatuses[0].RestartCount >= 2, describe(pod)
		})
	})

	t.Run("a crashing pod goes into CrashLoopBackOff and keeps being restarted", func(t *testing.T) {
		create(t, client, newPod("crasher", "ordinal-sim-1", map[string]string{sim.AnnotationCrash: "true"}, "app"))
		sawBackOff := false
		eventually(t, 20*time.Second, "restartCount ≥ 3 with CrashLoopBackOff seen", func() (bool, string) {
			pod := getPod(t, client, "crasher")
			if len(pod.Status.ContainerStatuses) == 0 {
				return false, describe(pod)
			}
			cs := pod.Status.ContainerStatuses[0]
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				sawBackOff = true
				if !strings.Contains(cs.State.Waiting.Message, "restarting failed container=app pod=crasher_default(") {
					t.Errorf("CrashLoopBackOff message %q", cs.State.Waiting.Message)
				}
				if cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
					t.Errorf("lastState %+v", cs.LastTerminationState)
				}
			}
			return sawBackOff && cs.RestartCount >= 3 && pod.Status.Phase == corev1.PodRunning, describe(pod)
		})
		waitEvent(t, client, "default", "crasher", "BackOff: Back-off restarting failed container app in pod crasher_default(")
	})

	t.Run("restartPolicy Never with exit codes ends Succeeded or Failed", func(t *testing.T) {
		ok := newPod("job-ok", "ordinal-sim-1", map[string]string{sim.AnnotationExitCode: "0", sim.AnnotationRunSeconds: "0.2"}, "app")
		ok.Spec.RestartPolicy = corev1.RestartPolicyNever
		bad := newPod("job-bad", "ordinal-sim-1", map[string]string{sim.AnnotationExitCode: "3"}, "app")
		bad.Spec.RestartPolicy = corev1.RestartPolicyNever
		okPod, badPod := create(t, client, ok), create(t, client, bad)
		for name, want := range map[string]corev1.PodPhase{"job-ok": corev1.PodSucceeded, "job-bad": corev1.PodFailed} {
			eventually(t, 10*time.Second, name+" "+string(want), func() (bool, string) {
				pod := getPod(t, client, name)
				return pod.Status.Phase == want, describe(pod)
			})
		}
		if cs := getPod(t, client, "job-bad").Status.ContainerStatuses[0]; cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 3 || cs.RestartCount != 0 {
			t.Errorf("job-bad container %+v", cs)
		}
		// A finished pod gives back its IP but keeps its records until deleted.
		for _, p := range []*corev1.Pod{okPod, badPod} {
			eventually(t, 5*time.Second, p.Name+" sandbox stopped", func() (bool, string) {
				rs, err := rt.PodStatus(ctx, p.UID)
				return err == nil && rs.Sandbox == runtime.SandboxNotReady && len(rs.Containers) == 1, fmt.Sprint(rs, err)
			})
		}
		if getPod(t, client, "job-ok").Status.PodIP == "" {
			t.Error("a finished pod keeps showing its IP")
		}
	})

	t.Run("graceful delete: containers stop, the pod goes Succeeded, then away", func(t *testing.T) {
		pod := waitRunningReady(t, client, "web")
		last, stop := watchUntilDeleted(t, client, pod)
		defer stop()
		if err := client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, client, "web")
		final := <-last
		if final == nil || final.Status.Phase != corev1.PodSucceeded || final.Status.ContainerStatuses[0].State.Terminated == nil {
			t.Fatalf("last state before removal: %v", describeOrNil(final))
		}
		waitRuntimeForgets(t, rt, pod)
		waitEvent(t, client, "default", "web", "Killing: Stopping container nginx")
	})

	t.Run("graceful delete of a container ignoring SIGTERM: killed at the end of the grace period", func(t *testing.T) {
		p := newPod("stubborn", "ordinal-sim-1", map[string]string{sim.AnnotationIgnoreSIGTERM: "true"}, "app")
		p.Spec.TerminationGracePeriodSeconds = ptrTo(int64(2))
		create(t, client, p)
		pod := waitRunningReady(t, client, "stubborn")
		last, stop := watchUntilDeleted(t, client, pod)
		defer stop()
		begin := time.Now()
		if err := client.CoreV1().Pods("default").Delete(ctx, "stubborn", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, client, "stubborn")
		if took := time.Since(begin); took < 1900*time.Millisecond {
			t.Errorf("gone after %v, before the 2s grace period", took)
		}
		final := <-last
		if final == nil || final.Status.Phase != corev1.PodFailed || final.Status.ContainerStatuses[0].State.Terminated.ExitCode != 137 {
			t.Fatalf("last state before removal: %v", describeOrNil(final))
		}
	})

	t.Run("force delete: gone from the API at once, the agent cleans up", func(t *testing.T) {
		create(t, client, newPod("forced", "ordinal-sim-1", nil, "app"))
		pod := waitRunningReady(t, client, "forced")
		zero := int64(0)
		if err := client.CoreV1().Pods("default").Delete(ctx, "forced", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.CoreV1().Pods("default").Get(ctx, "forced", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("after a forced delete: %v", err)
		}
		waitRuntimeForgets(t, rt, pod)
	})

	t.Run("a pod whose claim is not bound waits, then starts", func(t *testing.T) {
		claim := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
			Spec: corev1.PersistentVolumeClaimSpec{
				StorageClassName: ptrTo(""), // class-less: no provisioner steps in
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}
		if _, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p := newPod("db", "ordinal-sim-1", nil, "db")
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		create(t, client, p)
		waitEvent(t, client, "default", "db", "FailedMount: Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[data]: error processing PVC default/data: PVC is not bound")
		pod := getPod(t, client, "db")
		if pod.Status.Phase != corev1.PodPending || pod.Status.ContainerStatuses[0].State.Waiting == nil || pod.Status.ContainerStatuses[0].State.Waiting.Reason != "ContainerCreating" {
			t.Fatalf("waiting pod: %s", describe(pod))
		}
		bindClaim(t, client, "data", "pv-data", corev1.ReadWriteOnce)
		waitRunningReady(t, client, "db")
	})

	t.Run("the pod status is not rewritten when nothing changes", func(t *testing.T) {
		before := waitRunningReady(t, client, "db")
		time.Sleep(300 * time.Millisecond)
		if after := getPod(t, client, "db"); after.ResourceVersion != before.ResourceVersion {
			t.Fatalf("resourceVersion moved from %s to %s with nothing changing", before.ResourceVersion, after.ResourceVersion)
		}
	})
}
func TestMultiAttachKeepsPodWaiting(t *testing.T) {
	client := startCluster(t)
	ctx := context.Background()
	startAgent(t, client, "ordinal-sim-1", 1, sim.New(sim.Options{}))
	startAgent(t, client, "ordinal-sim-2", 2, sim.New(sim.Options{}))
	claim := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "shared", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptrTo(""), // class-less: no provisioner steps in
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bindClaim(t, client, "shared", "pv-shared", corev1.ReadWriteOnce)
	withClaim := func(name, node string) *corev1.Pod {
		p := newPod(name, node, nil, "app")
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "shared"}}}}
		return p
	}
	create(t, client, withClaim("first", "ordinal-sim-1"))
	waitRunningReady(t, client, "first")
	create(t, client, withClaim("neighbour", "ordinal-sim-1")) // same node: RWO allows it
	create(t, client, withClaim("second", "ordinal-sim-2"))
	waitRunningReady(t, client, "neighbour")
	waitEvent(t, client, "default", "second", `FailedAttachVolume: Multi-Attach error for volume "pv-shared" Volume is already used by pod(s) first, neighbour`)
	if pod := getPod(t, client, "second"); pod.Status.Phase != corev1.PodPending {
		t.Fatalf("second: %s", describe(pod))
	}
	// Once the pods on the first node are gone, the volume can move.
	zero := int64(0)
	for _, name := range []string{"first", "neighbour"} {
		if err := client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
	}
	waitRunningReady(t, client, "second")
}

func TestAgentRestartKeepsPodsRunning(t *testing.T) {
	client := startCluster(t)
	ctx := context.Background()
	rt := sim.New(sim.Options{})
	first := startAgent(t, client, "ordinal-sim-1", 1, rt)
	create(t, client, newPod("steady", "ordinal-sim-1", nil, "app"))
	leaving := create(t, client, newPod("leaving", "ordinal-sim-1", nil, "app"))
	terminating := create(t, client, newPod("terminating", "ordinal-sim-1", nil, "app"))
	before := waitRunningReady(t, client, "steady")
	waitRunningReady(t, client, "leaving")
	waitRunningReady(t, client, "terminating")

	first.stop()
	// While the agent is away: one pod is force-deleted, one is deleted gracefully.
	zero := int64(0)
	if err := client.CoreV1().Pods("default").Delete(ctx, "leaving", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if err := client.CoreV1().Pods("default").Delete(ctx, "terminating", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	startAgent(t, client, "ordinal-sim-1", 1, rt)

	waitRuntimeForgets(t, rt, leaving)
	waitGone(t, client, "terminating")
	waitRuntimeForgets(t, rt, terminating)
	create(t, client, newPod("after", "ordinal-sim-1", nil, "app"))
	waitRunningReady(t, client, "after")

	after := waitRunningReady(t, client, "steady")
	b, a := before.Status.ContainerStatuses[0], after.Status.ContainerStatuses[0]
	if a.ContainerID != b.ContainerID || !a.State.Running.StartedAt.Equal(&b.State.Running.StartedAt) || a.RestartCount != 0 {
		t.Fatalf("the running pod was disturbed by the restart:\nbefore %+v\nafter  %+v", b, a)
	}
	if a, b := after.Status.PodIP, before.Status.PodIP; a != b {
		t.Fatalf("pod IP changed from %s to %s", b, a)
	}
}
