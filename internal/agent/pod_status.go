package agent

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// Pod condition reasons, as upstream (pkg/kubelet/status).
const (
	reasonContainersNotReady       = "ContainersNotReady"
	reasonContainersNotInitialized = "ContainersNotInitialized"
	reasonPodCompleted             = "PodCompleted"
	reasonPodFailed                = "PodFailed"
	reasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
	reasonContainerStatusUnknown   = "ContainerStatusUnknown"
)

// statusInput adds to podState what only the status needs.
type statusInput struct {
	podState
	// Waiting holds the waiting states the planner and the worker decided (back-off,
	// start errors), by container name.
	Waiting map[string]corev1.ContainerStateWaiting
	// Terminal: the pod's containers have all been stopped for good (deletion, or the pod
	// finished); its phase must become Succeeded or Failed.
	Terminal bool
	// HostIP is the node's InternalIP.
	HostIP string
	// RuntimeName prefixes container IDs (sim://…).
	RuntimeName string
}

// generatePodStatus computes the pod's status from what the runtime reports, the probes
// and the previous status, as upstream kubelet's generateAPIPodStatus does. Times are
// truncated to seconds, the API's precision, so a status that did not change compares
// equal to the stored one and is not written again.
func generatePodStatus(in statusInput) corev1.PodStatus {
	pod := in.Pod
	old := pod.Status
	s := corev1.PodStatus{QOSClass: old.QOSClass, NominatedNodeName: old.NominatedNodeName}

	hasInit := len(pod.Spec.InitContainers) > 0
	s.InitContainerStatuses = in.containerStatuses(pod.Spec.InitContainers, old.InitContainerStatuses, hasInit, true)
	s.ContainerStatuses = in.containerStatuses(pod.Spec.Containers, old.ContainerStatuses, hasInit, false)

	s.Phase = podPhase(pod, s.InitContainerStatuses, s.ContainerStatuses, in.Terminal)
	// A pod never leaves a terminal phase.
	if !isTerminal(s.Phase) && isTerminal(old.Phase) {
		s.Phase = old.Phase
	}
	if s.Phase == old.Phase {
		s.Reason, s.Message = old.Reason, old.Message
	}

	s.HostIP = in.HostIP
	if in.HostIP != "" {
		s.HostIPs = []corev1.HostIP{{IP: in.HostIP}}
	}
	switch rs := in.Runtime; {
	case pod.Spec.HostNetwork && in.HostIP != "":
		s.PodIP, s.PodIPs = in.HostIP, []corev1.PodIP{{IP: in.HostIP}}
	case rs != nil && rs.Sandbox == runtime.SandboxReady && len(rs.IPs) > 0:
		s.PodIP = rs.IPs[0]
		for _, ip := range rs.IPs {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip})
		}
	default: // a stopped pod keeps showing the IP it had, as upstream
		s.PodIP, s.PodIPs = old.PodIP, old.PodIPs
	}
	s.StartTime = old.StartTime
	if s.StartTime == nil {
		t := metav1.NewTime(in.Now.Truncate(time.Second))
		s.StartTime = &t
	}
	s.Conditions = in.conditions(s)
	return s
}

// containerStatuses converts the runtime's instances of one list of containers (init or
// regular) into API statuses, in spec order.
func (in statusInput) containerStatuses(specs []corev1.Container, old []corev1.ContainerStatus, hasInit, init bool) []corev1.ContainerStatus {
	if len(specs) == 0 {
		return nil
	}
	oldByName := map[string]corev1.ContainerStatus{}
	for _, st := range old {
		oldByName[st.Name] = st
	}
	instances := instancesByName(in.Runtime)
	defaultReason := waitingContainerCreating
	if hasInit {
		defaultReason = waitingPodInitializing
	}
	out := make([]corev1.ContainerStatus, 0, len(specs))
	for i := range specs {
		c := &specs[i]
		st := corev1.ContainerStatus{
			Name: c.Name, Image: c.Image,
			State:        corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: defaultReason}},
			VolumeMounts: volumeMountStatuses(c),
		}
		list := instances[c.Name]
		if prev, found := oldByName[c.Name]; found && len(list) == 0 {
			if prev.State.Terminated != nil {
				st = *prev.DeepCopy() // the runtime forgot it; the API remembers how it ended
			} else {
				st.RestartCount, st.LastTerminationState = prev.RestartCount, prev.LastTerminationState
			}
		}
		if len(list) > 0 {
			cur := list[0]
			st.ContainerID = in.RuntimeName + "://" + cur.ID
			st.Image, st.ImageID = cur.Image, cur.ImageRef
			st.RestartCount = int32(cur.Attempt)
			st.State = in.containerState(cur)
			if len(list) > 1 {
				st.LastTerminationState = in.containerState(list[1])
				if st.LastTerminationState.Terminated == nil {
					st.LastTerminationState = corev1.ContainerState{}
				}
			}
		}
		if w, ok := in.Waiting[c.Name]; ok {
			if st.State.Terminated != nil {
				st.LastTerminationState = st.State
			}
			w := w
			st.State = corev1.ContainerState{Waiting: &w}
		}
		running := st.State.Running != nil
		var probes probeStatus
		if len(list) > 0 {
			probes = in.Probes[list[0].ID]
		}
		started := running && probes.Started
		st.Started = &started
		switch {
		case init && !isSidecar(c):
			st.Ready = st.State.Terminated != nil && st.State.Terminated.ExitCode == 0
		default:
			st.Ready = running && probes.Started && probes.Ready
		}
		out = append(out, st)
	}
	return out
}

func (in statusInput) containerState(c runtime.ContainerStatus) corev1.ContainerState {
	switch c.State {
	case runtime.ContainerRunning:
		return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: apiTime(c.StartedAt)}}
	case runtime.ContainerExited:
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: c.ExitCode, Reason: c.Reason, Message: c.Message,
			StartedAt: apiTime(c.StartedAt), FinishedAt: apiTime(c.FinishedAt),
			ContainerID: in.RuntimeName + "://" + c.ID,
		}}
	}
	// Created but not started (a start delay, an image being readied): upstream shows the
	// same waiting reason as before the container existed.
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waitingContainerCreating}}
}

func apiTime(t time.Time) metav1.Time {
	if t.IsZero() {
		return metav1.Time{}
	}
	return metav1.NewTime(t.Truncate(time.Second))
}

// volumeMountStatuses reports a container's mounts, as upstream does since
// RecursiveReadOnlyMounts (beta, on by default in 1.32).
func volumeMountStatuses(c *corev1.Container) []corev1.VolumeMountStatus {
	var out []corev1.VolumeMountStatus
	for _, m := range c.VolumeMounts {
		st := corev1.VolumeMountStatus{Name: m.Name, MountPath: m.MountPath, ReadOnly: m.ReadOnly}
		if m.ReadOnly {
			disabled := corev1.RecursiveReadOnlyDisabled
			st.RecursiveReadOnly = &disabled
		}
		out = append(out, st)
	}
	return out
}

// podPhase derives the phase from container statuses as upstream's getPhase. terminal: the
// pod's containers will not run again whatever the restart policy.
func podPhase(pod *corev1.Pod, initStatuses, statuses []corev1.ContainerStatus, terminal bool) corev1.PodPhase {
	byName := map[string]corev1.ContainerStatus{}
	for _, st := range append(append([]corev1.ContainerStatus{}, initStatuses...), statuses...) {
		byName[st.Name] = st
	}
	var pendingInit, failedInit, waiting, running, stopped, succeeded, unknown int
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st, ok := byName[c.Name]
		if isSidecar(c) {
			// A sidecar counts among the running containers; it holds initialization
			// until it has started.
			switch {
			case !ok:
				unknown++
			case st.State.Running != nil:
				if st.Started == nil || !*st.Started {
					pendingInit++
				}
				running++
			case st.State.Terminated != nil:
			case st.State.Waiting != nil:
				if st.LastTerminationState.Terminated == nil {
					pendingInit++
					waiting++
				}
			default:
				pendingInit++
				unknown++
			}
			continue
		}
		switch {
		case !ok, st.State.Running != nil:
			pendingInit++
		case st.State.Terminated != nil:
			if st.State.Terminated.ExitCode != 0 {
				failedInit++
			}
		case st.State.Waiting != nil:
			if t := st.LastTerminationState.Terminated; t != nil {
				if t.ExitCode != 0 {
					failedInit++
				}
			} else {
				pendingInit++
			}
		default:
			pendingInit++
		}
	}
	for _, c := range pod.Spec.Containers {
		st, ok := byName[c.Name]
		switch {
		case !ok:
			unknown++
		case st.State.Running != nil:
			running++
		case st.State.Terminated != nil:
			stopped++
			if st.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case st.State.Waiting != nil:
			if st.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	if failedInit > 0 && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
		return corev1.PodFailed
	}
	switch {
	case pendingInit > 0 && !anyRegularContainerStarted(statuses):
		return corev1.PodPending
	case waiting > 0:
		return corev1.PodPending
	case running > 0 && unknown == 0:
		return corev1.PodRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if terminal {
			if stopped == succeeded {
				return corev1.PodSucceeded
			}
			return corev1.PodFailed
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}

func anyRegularContainerStarted(statuses []corev1.ContainerStatus) bool {
	for _, st := range statuses {
		if st.State.Running != nil || st.State.Terminated != nil || st.LastTerminationState.Terminated != nil {
			return true
		}
	}
	return false
}

// conditions builds the pod's conditions: those other components own are kept, then the
// kubelet's in upstream's order (PodReadyToStartContainers, Initialized, Ready,
// ContainersReady, PodScheduled). A condition keeps its lastTransitionTime while its status
// does not change.
func (in statusInput) conditions(s corev1.PodStatus) []corev1.PodCondition {
	old := in.Pod.Status.Conditions
	var out []corev1.PodCondition
	for _, c := range old {
		if !kubeletCondition(c.Type) {
			out = append(out, c)
		}
	}
	sandboxReady := in.Runtime != nil && in.Runtime.Sandbox == runtime.SandboxReady
	ready := corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionFalse}
	if sandboxReady {
		ready.Status = corev1.ConditionTrue
	}
	containersReady := containersReadyCondition(in.Pod, s)
	out = append(out,
		ready,
		initializedCondition(in.Pod, s),
		podReadyCondition(in.Pod, containersReady, out),
		containersReady,
		corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
	)
	now := metav1.NewTime(in.Now.Truncate(time.Second))
	for i := range out {
		if !kubeletCondition(out[i].Type) {
			continue
		}
		out[i].LastTransitionTime = now
		for _, o := range old {
			if o.Type == out[i].Type && o.Status == out[i].Status {
				out[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	return out
}

func kubeletCondition(t corev1.PodConditionType) bool {
	switch t {
	case corev1.PodScheduled, corev1.PodReady, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReadyToStartContainers:
		return true
	}
	return false
}

func initializedCondition(pod *corev1.Pod, s corev1.PodStatus) corev1.PodCondition {
	cond := corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}
	if len(pod.Spec.InitContainers) == 0 {
		return cond
	}
	if s.Phase == corev1.PodSucceeded {
		cond.Reason = reasonPodCompleted
		return cond
	}
	if anyRegularContainerStarted(s.ContainerStatuses) {
		return cond
	}
	var incomplete []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st := findStatus(s.InitContainerStatuses, c.Name)
		done := st != nil && st.Ready
		if isSidecar(c) {
			done = st != nil && st.Started != nil && *st.Started
		}
		if !done {
			incomplete = append(incomplete, c.Name)
		}
	}
	if len(incomplete) == 0 {
		return cond
	}
	cond.Status, cond.Reason = corev1.ConditionFalse, reasonContainersNotInitialized
	cond.Message = fmt.Sprintf("containers with incomplete status: %s", bracketList(incomplete))
	return cond
}

func containersReadyCondition(pod *corev1.Pod, s corev1.PodStatus) corev1.PodCondition {
	cond := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse}
	switch s.Phase {
	case corev1.PodSucceeded:
		cond.Reason = reasonPodCompleted
		return cond
	case corev1.PodFailed:
		cond.Reason = reasonPodFailed
		return cond
	}
	var unready []string
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if st := findStatus(s.InitContainerStatuses, c.Name); isSidecar(c) && (st == nil || !st.Ready) {
			unready = append(unready, c.Name)
		}
	}
	for _, c := range pod.Spec.Containers {
		if st := findStatus(s.ContainerStatuses, c.Name); st == nil || !st.Ready {
			unready = append(unready, c.Name)
		}
	}
	if len(unready) > 0 {
		cond.Reason = reasonContainersNotReady
		cond.Message = fmt.Sprintf("containers with unready status: %s", bracketList(unready))
		return cond
	}
	cond.Status = corev1.ConditionTrue
	return cond
}

// podReadyCondition is ContainersReady plus the pod's readiness gates.
func podReadyCondition(pod *corev1.Pod, containersReady corev1.PodCondition, others []corev1.PodCondition) corev1.PodCondition {
	cond := corev1.PodCondition{Type: corev1.PodReady, Status: containersReady.Status, Reason: containersReady.Reason, Message: containersReady.Message}
	if containersReady.Status != corev1.ConditionTrue {
		return cond
	}
	var msgs []string
	for _, gate := range pod.Spec.ReadinessGates {
		var found *corev1.PodCondition
		for i := range others {
			if others[i].Type == gate.ConditionType {
				found = &others[i]
			}
		}
		switch {
		case found == nil:
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", gate.ConditionType))
		case found.Status != corev1.ConditionTrue:
			msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", gate.ConditionType, found.Status))
		}
	}
	if len(msgs) > 0 {
		cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, reasonReadinessGatesNotReady, strings.Join(msgs, ", ")
	}
	return cond
}

// terminatedPodStatus finishes the status of a pod whose containers were stopped for its
// deletion, as upstream's status manager does: a container that never ended shows as
// terminated with 137 and reason ContainerStatusUnknown, and the phase is terminal.
func terminatedPodStatus(s corev1.PodStatus) corev1.PodStatus {
	mark := func(list []corev1.ContainerStatus) {
		for i := range list {
			if list[i].State.Terminated != nil {
				continue
			}
			list[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 137, Reason: reasonContainerStatusUnknown,
				Message: "The container could not be located when the pod was terminated",
			}}
			list[i].Ready = false
		}
	}
	mark(s.InitContainerStatuses)
	mark(s.ContainerStatuses)
	if !isTerminal(s.Phase) {
		s.Phase = corev1.PodFailed
	}
	return s
}

func findStatus(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// bracketList formats names as Go prints a []string, which is what upstream's messages show.
func bracketList(names []string) string { return fmt.Sprint(names) }
