package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// terminate stops a pod that is being deleted or has finished, and writes its final status.
// A deleted pod then goes to a terminal phase (Succeeded if every container exited 0, else
// Failed, as upstream since 1.27) and is removed from the API with grace period 0 and a UID
// precondition, after which its runtime records go too. A finished pod stays in the API (a
// Job reads it) with its sandbox stopped and its IP released.
func (w *podWorker) terminate(ctx context.Context, pod *corev1.Pod, rs *runtime.PodStatus) syncResult {
	a := w.agent
	deleting := pod.DeletionTimestamp != nil
	grace := terminationGrace(pod)
	if deleting {
		grace = deletionGrace(pod)
	}
	if err := w.killPod(ctx, pod, rs, grace); err != nil {
		slog.Warn("agent: stopping pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	rs, err := w.runtimeStatus(ctx)
	if err != nil {
		return syncResult{requeue: retryPeriod}
	}
	// The pod may have been updated (shorter grace, force delete) while it was stopping.
	if latest, gone := w.snapshot(); gone {
		return w.cleanup(ctx, latest, rs)
	} else if latest != nil {
		pod = latest
	}
	status := generatePodStatus(statusInput{
		podState: podState{Pod: pod, Runtime: rs, Now: a.clock.Now()},
		Terminal: true, HostIP: a.machine.InternalIP, RuntimeName: a.version.Name,
	})
	if deleting {
		status = terminatedPodStatus(status)
	}
	if err := w.writeStatus(ctx, pod, status); err != nil {
		slog.Warn("agent: writing final pod status", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	if !deleting {
		return syncResult{}
	}
	zero := int64(0)
	err = a.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		slog.Warn("agent: deleting terminated pod", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	// Gone from the API (a conflict on the UID means this pod is gone and another took its
	// name): forget it in the runtime too.
	w.markGone()
	return w.cleanup(ctx, pod, rs)
}

// cleanup stops and removes everything the runtime has for a pod that left the API: after
// the agent's own final delete, a forced delete, or a deletion while the agent was away.
func (w *podWorker) cleanup(ctx context.Context, pod *corev1.Pod, rs *runtime.PodStatus) syncResult {
	if rs == nil {
		return syncResult{done: true}
	}
	grace := minimumGracePeriod
	if pod != nil {
		grace = deletionGrace(pod)
	}
	if err := w.killPod(ctx, pod, rs, grace); err != nil {
		slog.Warn("agent: stopping removed pod", "pod", rs.Namespace+"/"+rs.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	if err := w.agent.runtime.RemovePodSandbox(ctx, w.uid); err != nil {
		slog.Warn("agent: removing pod sandbox", "pod", rs.Namespace+"/"+rs.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	return syncResult{done: true}
}

// killPod stops the pod's running containers with the grace period, as upstream: regular
// containers (and a running init container) together, then sidecars one by one in reverse
// order, so they outlive what they serve; then the sandbox, which releases the IP. A
// shorter grace period arriving meanwhile (see podWorker.update) turns the stop into a kill.
func (w *podWorker) killPod(ctx context.Context, pod *corev1.Pod, rs *runtime.PodStatus, grace time.Duration) error {
	a := w.agent
	running := runningContainers(rs)
	if len(running) > 0 {
		stopCtx, cancel := context.WithCancel(ctx)
		w.setStopping(cancel, grace)
		defer func() {
			w.setStopping(nil, 0)
			cancel()
		}()
		if _, gone := w.snapshot(); gone && grace > minimumGracePeriod {
			grace = minimumGracePeriod // force-deleted: no reason to wait longer than the least
		}
		grace = max(grace, minimumGracePeriod)
		var regular, sidecars []runtime.ContainerStatus
		for _, c := range running {
			if pod != nil && c.Init {
				if spec, _ := containerSpec(pod, c.Name); spec != nil && isSidecar(spec) {
					sidecars = append(sidecars, c)
					continue
				}
			}
			regular = append(regular, c)
		}
		var mu sync.Mutex
		var errs []error
		stop := func(c runtime.ContainerStatus) {
			if pod != nil {
				a.recorder.Eventf(containerRef(pod, c.Name, c.Init), corev1.EventTypeNormal, reasonKilling, messageStopping, c.Name)
			}
			if err := a.runtime.StopContainer(stopCtx, c.ID, grace); err != nil && !errors.Is(err, runtime.ErrNotFound) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("container %s: %w", c.Name, err))
				mu.Unlock()
			}
		}
		var wg sync.WaitGroup
		for _, c := range regular {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stop(c)
			}()
		}
		wg.Wait()
		sortSidecarsReverse(pod, sidecars)
		for _, c := range sidecars {
			stop(c)
		}
		if len(errs) > 0 {
			if pod != nil {
				a.recorder.Eventf(podRef(pod), corev1.EventTypeWarning, reasonFailedKillPod, "error killing pod: %v", errors.Join(errs...))
			}
			return errors.Join(errs...)
		}
	}
	if rs != nil && rs.Sandbox == runtime.SandboxReady {
		return a.runtime.StopPodSandbox(ctx, w.uid)
	}
	return nil
}

// sortSidecarsReverse orders running sidecars last-declared first.
func sortSidecarsReverse(pod *corev1.Pod, sidecars []runtime.ContainerStatus) {
	if pod == nil {
		return
	}
	index := map[string]int{}
	for i, c := range pod.Spec.InitContainers {
		index[c.Name] = i
	}
	for i := 1; i < len(sidecars); i++ {
		for j := i; j > 0 && index[sidecars[j].Name] > index[sidecars[j-1].Name]; j-- {
			sidecars[j], sidecars[j-1] = sidecars[j-1], sidecars[j]
		}
	}
}
