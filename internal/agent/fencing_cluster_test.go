package agent_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing/fencingtest"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// runningContainers counts the containers the sim runs for a pod.
func runningContainers(rt *sim.Runtime, pod *corev1.Pod) int {
	rs, err := rt.PodStatus(context.Background(), pod.UID)
	if err != nil {
		return 0
	}
	n := 0
	for _, c := range rs.Containers {
		if c.State == runtime.ContainerRunning {
			n++
		}
	}
	return n
}

func TestFencingThroughAPartition(t *testing.T) {
	ctx := context.Background()
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		// The test plays the node lifecycle controller itself (its failover record).
		DisableControllers: []string{"nodelifecycle"}})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	admin := kubernetes.NewForConfigOrDie(cp.RestConfig)
	startIPAM(t, admin)
	server, err := url.Parse(cp.RestConfig.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := fencingtest.NewPartitionProxy(t, server.Host)
	cfg := rest.CopyConfig(cp.RestConfig)
	cfg.Host = "https://" + proxy.Addr()

	// Renewals every second, fencing after 3s without one (stopping from 2.25s).
	const fencingPeriod = 3 * time.Second
	rt := sim.New(sim.Options{})
	m := agent.SimMachine("ordinal-sim-1", 1)
	a, err := agent.New(agent.Config{
		NodeName: "ordinal-sim-1", Client: kubernetes.NewForConfigOrDie(cfg), Runtime: rt, Machine: &m,
		RelistPeriod: 50 * time.Millisecond, BackOff: 200 * time.Millisecond, MaxBackOff: 2 * time.Second,
		NodeStatusUpdateFrequency: 500 * time.Millisecond, LeaseDurationSeconds: 4, FencingPeriod: fencingPeriod,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.Run(runCtx) }()
	t.Cleanup(func() {
		proxy.SetCut(false)
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the agent did not stop")
		}
	})

	web := create(t, admin, newPod("web", "ordinal-sim-1", nil, "nginx", "sidecar"))
	deleted := create(t, admin, newPod("deleted", "ordinal-sim-1", nil, "nginx"))
	failedOver := create(t, admin, newPod("failed-over", "ordinal-sim-1", nil, "nginx"))
	for _, p := range []*corev1.Pod{web, deleted, failedOver} {
		waitRunningReady(t, admin, p.Name)
	}
	eventually(t, 10*time.Second, "the lease to advertise fencing", func() (bool, string) {
		lease, err := admin.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "ordinal-sim-1", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		p, ok := fencing.Period(lease)
		return ok && p == fencingPeriod, fmt.Sprint(lease.Annotations)
	})

	// The partition: within the fencing period every container is gone.
	cutAt := time.Now()
	proxy.SetCut(true)
	eventually(t, 10*time.Second, "every container stopped", func() (bool, string) {
		n := runningContainers(rt, web) + runningContainers(rt, deleted) + runningContainers(rt, failedOver)
		return n == 0, fmt.Sprintf("%d running", n)
	})
	stoppedAfter := time.Since(cutAt)
	t.Logf("containers stopped %s after the partition", stoppedAfter.Round(time.Millisecond))
	if stoppedAfter > fencingPeriod+500*time.Millisecond {
		t.Errorf("containers stopped %s after the partition, later than the fencing period %s", stoppedAfter, fencingPeriod)
	}
	if stoppedAfter < time.Second {
		t.Errorf("containers stopped %s after the partition: a renewal a second ago was still valid", stoppedAfter)
	}

	// Meanwhile, on the other side: deleted is force-deleted, and the control plane records
	// the failover of failed-over on the lease (as the node lifecycle controller would).
	zero := int64(0)
	if err := admin.CoreV1().Pods("default").Delete(ctx, "deleted", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		lease, err := admin.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "ordinal-sim-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		fencing.SetFailover(lease, fencing.Failover{At: metav1.Now(), Pods: []fencing.PodRef{{Namespace: "default", Name: failedOver.Name, UID: failedOver.UID}}})
		_, err = admin.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, lease, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing starts while fenced.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := runningContainers(rt, web); n > 0 {
			t.Fatalf("a container of web started while the node was fenced")
		}
	}

	// The partition heals: web runs again under its restart policy, deleted is cleaned up,
	// and failed-over never runs here again although its pod is still bound here.
	proxy.SetCut(false)
	eventually(t, 15*time.Second, "web Running and Ready again after a restart", func() (bool, string) {
		pod := getPod(t, admin, "web")
		restarted := len(pod.Status.ContainerStatuses) == 2
		for _, cs := range pod.Status.ContainerStatuses {
			restarted = restarted && cs.RestartCount >= 1 && cs.State.Running != nil
		}
		return restarted && podCondition(pod, corev1.PodReady) == corev1.ConditionTrue && runningContainers(rt, web) == 2, describe(pod)
	})
	waitRuntimeForgets(t, rt, deleted)
	waitRuntimeForgets(t, rt, failedOver)
	if _, err := admin.CoreV1().Pods("default").Get(ctx, failedOver.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("the failed-over pod is the controller's to delete, not the agent's: %v", err)
	}
}
