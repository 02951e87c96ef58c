package printers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeLostReason is the pod status reason the node lifecycle controller sets
// when a pod's node stops answering (upstream's NodeUnreachablePodReason).
const nodeLostReason = "NodeLost"

// podSummary is what the Ready, Status and Restarts cells of a pod show.
type podSummary struct {
	ready, total int    // ready containers, of all regular and sidecar containers
	reason       string // the Status cell
	restarts     int
	lastRestart  metav1.Time // when the latest counted restart ended; zero if unknown
}

// summarizePod reproduces upstream's printPod reasoning, in its order:
//
//  1. start from the phase, overridden by status.reason and by a
//     SchedulingGated PodScheduled condition;
//  2. walk init containers in order: the first one that has not finished (and
//     is not a started sidecar) names the status (Init:N/M, Init:<reason>,
//     Init:ExitCode:N) and stops the walk;
//  3. once initialization is over, the regular containers name the status
//     (waiting or terminated reason, lowest index wins), and a pod whose
//     containers say Completed but one still runs is Running or NotReady;
//  4. a deleted pod is Terminating, or Unknown when its node was lost.
//
// Restarts count the init containers while initializing, and afterwards only
// sidecars and regular containers.
func summarizePod(pod *corev1.Pod) podSummary {
	s := podSummary{total: len(pod.Spec.Containers), reason: string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		s.reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			s.reason = corev1.PodReasonSchedulingGated
		}
	}

	sidecars := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		if isSidecar(c) {
			sidecars[c.Name] = true
			s.total++
		}
	}

	var initRestarts, sidecarRestarts restartTally
	initializing := false
	for i, c := range pod.Status.InitContainerStatuses {
		initRestarts.count(c)
		if sidecars[c.Name] {
			sidecarRestarts.count(c)
		}
		if c.State.Terminated != nil && c.State.Terminated.ExitCode == 0 {
			continue
		}
		if sidecars[c.Name] && c.Started != nil && *c.Started {
			if c.Ready {
				s.ready++
			}
			continue
		}
		s.reason = initBlockedReason(c, i, len(pod.Spec.InitContainers))
		initializing = true
		break
	}
	restarts := initRestarts

	// Upstream also looks at containers when the Initialized condition is True
	// while an init container looks unfinished (e.g. after a node reboot).
	if !initializing || podConditionTrue(pod, corev1.PodInitialized) {
		restarts = sidecarRestarts
		hasRunning := false
		// Walk backwards so that the lowest-index container's reason wins.
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := pod.Status.ContainerStatuses[i]
			restarts.count(c)
			switch t := c.State.Terminated; {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				s.reason = c.State.Waiting.Reason
			case t != nil && t.Reason != "":
				s.reason = t.Reason
			case t != nil && t.Signal != 0:
				s.reason = fmt.Sprintf("Signal:%d", t.Signal)
			case t != nil:
				s.reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				s.ready++
			}
		}
		if s.reason == "Completed" && hasRunning {
			s.reason = "NotReady"
			if podConditionTrue(pod, corev1.PodReady) {
				s.reason = "Running"
			}
		}
	}

	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == nodeLostReason:
		s.reason = "Unknown"
	case pod.DeletionTimestamp != nil && !terminal:
		s.reason = "Terminating"
	}

	s.restarts, s.lastRestart = restarts.n, restarts.last
	return s
}

// initBlockedReason is the Status cell for a pod waiting on init container
// number index (of total) in state c.
func initBlockedReason(c corev1.ContainerStatus, index, total int) string {
	switch t := c.State.Terminated; {
	case t != nil && t.Reason != "":
		return "Init:" + t.Reason
	case t != nil && t.Signal != 0:
		return fmt.Sprintf("Init:Signal:%d", t.Signal)
	case t != nil:
		return fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
	case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
		return "Init:" + c.State.Waiting.Reason
	default:
		return fmt.Sprintf("Init:%d/%d", index, total)
	}
}

// isSidecar reports whether an init container keeps running beside the main
// containers (restartPolicy Always): it counts in Ready and Restarts.
func isSidecar(c corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// restartTally adds up restarts and remembers when the latest one ended.
type restartTally struct {
	n    int
	last metav1.Time
}

func (r *restartTally) count(c corev1.ContainerStatus) {
	r.n += int(c.RestartCount)
	if t := c.LastTerminationState.Terminated; t != nil && r.last.Before(&t.FinishedAt) {
		r.last = t.FinishedAt
	}
}
