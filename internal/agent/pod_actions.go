package agent

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// podState is everything a pod worker knows about one pod at one moment. It is the input of
// computePodActions and generatePodStatus, which do no I/O: the worker gathers it, the
// runtime and the API carry out what they return.
type podState struct {
	// Pod is the API object; read-only.
	Pod *corev1.Pod
	// Runtime is what the runtime has for the pod; nil when it has nothing.
	Runtime *runtime.PodStatus
	// Probes holds the probe verdicts of running containers, by container ID.
	Probes map[string]probeStatus
	// BackOff is the worker's crash back-off; read-only here.
	BackOff *crashBackOff
	// StartErrors holds the last failed start of each container (by name) since its last
	// successful start.
	StartErrors map[string]startError
	// Unhealthy holds the IDs of containers the agent killed because a probe failed: they
	// count as failed whatever their exit code.
	Unhealthy map[string]bool
	// VolumesReady: every volume the pod needs can be mounted (claims bound, not attached
	// elsewhere, config maps and secrets present).
	VolumesReady bool
	// NetworkReady: the node's pod CIDR is known, or the pod uses the host's network.
	NetworkReady bool
	Now          time.Time
}

// startError is a start that failed; it holds the container back like a crash does.
type startError struct {
	Reason, Message string
	At              time.Time
}

// podActions is what computePodActions decided. The worker carries it out in field order:
// kill the pod, or re-create the sandbox, then kill containers, then start containers one
// by one, then remove dead containers.
type podActions struct {
	// KillPod: the pod is done (or being deleted): stop everything and the sandbox.
	KillPod bool
	// CreateSandbox: run the pod's sandbox before starting containers.
	CreateSandbox bool
	// SandboxChanged: the sandbox died under a pod that still runs; it is re-created.
	SandboxChanged bool
	// WaitingForVolumes / WaitingForNetwork: the sandbox is needed but cannot be created yet.
	WaitingForVolumes bool
	WaitingForNetwork bool
	Kill              []containerKill
	Start             []containerStart
	// Remove lists dead container instances no longer needed for status (all but the two
	// newest of each container: the current one and the one lastState describes).
	Remove []string
	// Waiting gives the waiting state of containers held back (CrashLoopBackOff, start
	// errors), by name; the status shows it.
	Waiting map[string]corev1.ContainerStateWaiting
	// BackOff names the containers waiting in CrashLoopBackOff (for the BackOff event).
	BackOff []string
	// RequeueAfter is when the pod needs another look although nothing may change: a
	// back-off ends. Zero: no such time.
	RequeueAfter time.Duration
}

type containerStart struct {
	Name    string
	Init    bool
	Attempt uint32
	// ExistingID is a created but never started instance to start instead of a new one.
	ExistingID string
	// FailedAt is the exit this start restarts after, recorded in the back-off; zero when
	// nothing failed (a first start, or a restart the agent itself caused).
	FailedAt time.Time
}

type containerKill struct {
	ID, Name string
	Init     bool
	// Message is the Killing event's message.
	Message string
	// Unhealthy: killed because a liveness or startup probe failed.
	Unhealthy bool
}

// computePodActions decides the next step for a pod that is neither being deleted nor
// terminal: which containers to start, restart or kill, following upstream kubelet's
// computePodActions: init containers one by one to completion, then regular containers,
// restarts by the restart policy with crash-loop back-off, and probes' verdicts.
func computePodActions(s podState) podActions {
	p := &planner{s: s, acts: podActions{Waiting: map[string]corev1.ContainerStateWaiting{}}, instances: instancesByName(s.Runtime)}
	pod := s.Pod
	if pod.DeletionTimestamp != nil || isTerminal(pod.Status.Phase) {
		return podActions{KillPod: true}
	}
	initDone, failed := p.initContainers()
	if failed {
		return podActions{KillPod: true}
	}
	if initDone {
		p.sidecars()
		if p.regularContainers() {
			return podActions{KillPod: true}
		}
	}
	p.sandbox()
	p.garbage()
	return p.acts
}

type planner struct {
	s         podState
	acts      podActions
	instances map[string][]runtime.ContainerStatus
}

func (p *planner) latest(name string) *runtime.ContainerStatus {
	if list := p.instances[name]; len(list) > 0 {
		return &list[0]
	}
	return nil
}

// initContainers walks the init containers in order and plans the first step still to do.
// initDone: every regular init container has succeeded and every sidecar has started (or
// a regular container has run, which means initialization happened before). failed: a
// regular init container failed under restartPolicy Never, which fails the pod.
func (p *planner) initContainers() (initDone, failed bool) {
	for i := range p.s.Pod.Spec.Containers {
		if len(p.instances[p.s.Pod.Spec.Containers[i].Name]) > 0 {
			return true, false
		}
	}
	for i := range p.s.Pod.Spec.InitContainers {
		c := &p.s.Pod.Spec.InitContainers[i]
		cur := p.latest(c.Name)
		switch {
		case cur == nil:
			if p.terminatedInAPI(c.Name, true) {
				continue // succeeded before the runtime lost its record
			}
			p.startOrWait(c, true, 0, "", time.Time{})
			return false, false
		case cur.State == runtime.ContainerCreated:
			p.startOrWait(c, true, cur.Attempt, cur.ID, time.Time{})
			return false, false
		case cur.State == runtime.ContainerRunning:
			if isSidecar(c) {
				p.checkRunning(c, true, cur)
				if p.s.Probes[cur.ID].Started {
					continue
				}
			}
			return false, false
		case cur.State == runtime.ContainerExited:
			if isSidecar(c) {
				p.startOrWait(c, true, cur.Attempt+1, "", cur.FinishedAt)
				return false, false
			}
			if cur.ExitCode == 0 {
				continue
			}
			if p.s.Pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				return false, true
			}
			p.startOrWait(c, true, cur.Attempt+1, "", cur.FinishedAt)
			return false, false
		default: // unknown: wait for the runtime to make up its mind
			return false, false
		}
	}
	return true, false
}

// sidecars keeps restartable init containers running once initialization is done.
func (p *planner) sidecars() {
	for i := range p.s.Pod.Spec.InitContainers {
		c := &p.s.Pod.Spec.InitContainers[i]
		if !isSidecar(c) {
			continue
		}
		switch cur := p.latest(c.Name); {
		case cur == nil:
			p.startOrWait(c, true, 0, "", time.Time{})
		case cur.State == runtime.ContainerCreated:
			p.startOrWait(c, true, cur.Attempt, cur.ID, time.Time{})
		case cur.State == runtime.ContainerRunning:
			p.checkRunning(c, true, cur)
		case cur.State == runtime.ContainerExited:
			p.startOrWait(c, true, cur.Attempt+1, "", cur.FinishedAt)
		}
	}
}

// regularContainers plans the pod's containers and reports whether the pod has finished:
// every container exited and the restart policy restarts none.
func (p *planner) regularContainers() (finished bool) {
	policy := p.s.Pod.Spec.RestartPolicy
	finished = true
	for i := range p.s.Pod.Spec.Containers {
		c := &p.s.Pod.Spec.Containers[i]
		switch cur := p.latest(c.Name); {
		case cur == nil:
			if p.terminatedInAPI(c.Name, false) {
				continue
			}
			finished = false
			p.startOrWait(c, false, 0, "", time.Time{})
		case cur.State == runtime.ContainerCreated:
			finished = false
			p.startOrWait(c, false, cur.Attempt, cur.ID, time.Time{})
		case cur.State == runtime.ContainerRunning:
			finished = false
			p.checkRunning(c, false, cur)
		case cur.State == runtime.ContainerExited:
			if shouldRestart(policy, cur.ExitCode) || (p.s.Unhealthy[cur.ID] && policy != corev1.RestartPolicyNever) {
				finished = false
				p.startOrWait(c, false, cur.Attempt+1, "", cur.FinishedAt)
			}
		default:
			finished = false
		}
	}
	return finished
}

// checkRunning restarts at once a running container whose spec changed (whatever the
// restart policy, as upstream), and kills one whose liveness or startup probe failed: it
// then restarts like a crashed container, by the restart policy and with back-off, so a
// probe that keeps failing ends in CrashLoopBackOff rather than a restart storm.
func (p *planner) checkRunning(c *corev1.Container, init bool, cur *runtime.ContainerStatus) {
	probes := p.s.Probes[cur.ID]
	kill := containerKill{ID: cur.ID, Name: c.Name, Init: init, Unhealthy: true}
	switch {
	case cur.Hash != "" && cur.Hash != containerHash(c):
		kill.Message, kill.Unhealthy = fmt.Sprintf(messageDefinitionChange, c.Name), false
		p.acts.Start = append(p.acts.Start, containerStart{Name: c.Name, Init: init, Attempt: cur.Attempt + 1})
	case probes.StartupFailed:
		kill.Message = fmt.Sprintf(messageStartupRestart, c.Name)
	case probes.LivenessFailed:
		kill.Message = fmt.Sprintf(messageLivenessRestart, c.Name)
	default:
		return
	}
	p.acts.Kill = append(p.acts.Kill, kill)
}

// startOrWait starts a container unless its back-off holds it: after a failed start it
// waits with that error as its waiting reason; after a crash, in CrashLoopBackOff.
func (p *planner) startOrWait(c *corev1.Container, init bool, attempt uint32, existing string, failedAt time.Time) {
	key := backOffKey(c)
	if se, ok := p.s.StartErrors[c.Name]; ok {
		if in, left, _ := p.s.BackOff.inBackOff(key, se.At, p.s.Now); in {
			waiting := corev1.ContainerStateWaiting{Reason: se.Reason, Message: se.Message}
			if se.Reason == waitingImagePull {
				// The sync that failed the pull reported ErrImagePull; while the back-off
				// holds the next try, upstream shows ImagePullBackOff.
				waiting = corev1.ContainerStateWaiting{Reason: waitingImagePullBackOff, Message: fmt.Sprintf("Back-off pulling image %q", c.Image)}
			}
			p.acts.Waiting[c.Name] = waiting
			p.requeue(left)
			return
		}
	}
	if !failedAt.IsZero() {
		if in, left, delay := p.s.BackOff.inBackOff(key, failedAt, p.s.Now); in {
			p.acts.Waiting[c.Name] = corev1.ContainerStateWaiting{
				Reason:  waitingCrashLoopBackOff,
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", delay, c.Name, podFullName(p.s.Pod)),
			}
			p.acts.BackOff = append(p.acts.BackOff, c.Name)
			p.requeue(left)
			return
		}
	}
	p.acts.Start = append(p.acts.Start, containerStart{Name: c.Name, Init: init, Attempt: attempt, ExistingID: existing, FailedAt: failedAt})
}

// terminatedInAPI reports a container the API shows as terminated for good although the
// runtime has no record of it (the runtime lost its state): it must not run again, or the
// status write would be refused ("may not be transitioned to non-terminated state").
func (p *planner) terminatedInAPI(name string, init bool) bool {
	statuses := p.s.Pod.Status.ContainerStatuses
	if init {
		statuses = p.s.Pod.Status.InitContainerStatuses
	}
	for _, st := range statuses {
		if st.Name != name || st.State.Terminated == nil {
			continue
		}
		if init {
			return st.State.Terminated.ExitCode == 0
		}
		return !shouldRestart(p.s.Pod.Spec.RestartPolicy, st.State.Terminated.ExitCode)
	}
	return false
}

// sandbox adds the sandbox's creation when a container is to start in a pod without a
// ready sandbox, unless volumes or network are not ready yet, in which case nothing starts.
func (p *planner) sandbox() {
	rs := p.s.Runtime
	if rs != nil && rs.Sandbox == runtime.SandboxReady {
		return
	}
	if len(p.acts.Start) == 0 && rs != nil {
		return // everything waits in back-off; the sandbox can wait with it
	}
	if !p.s.VolumesReady || !p.s.NetworkReady {
		p.acts.WaitingForVolumes = !p.s.VolumesReady
		p.acts.WaitingForNetwork = !p.s.NetworkReady
		p.acts.Start, p.acts.Kill = nil, nil
		return
	}
	p.acts.CreateSandbox = true
	p.acts.SandboxChanged = rs != nil && len(rs.Containers) > 0
}

// garbage removes dead instances beyond the two newest of each container.
func (p *planner) garbage() {
	for _, list := range p.instances {
		for i := 2; i < len(list); i++ {
			if list[i].State == runtime.ContainerExited || list[i].State == runtime.ContainerCreated {
				p.acts.Remove = append(p.acts.Remove, list[i].ID)
			}
		}
	}
}

func (p *planner) requeue(d time.Duration) {
	if d > 0 && (p.acts.RequeueAfter == 0 || d < p.acts.RequeueAfter) {
		p.acts.RequeueAfter = d
	}
}

// backOffKey identifies a container's back-off: a changed spec starts afresh, as upstream.
func backOffKey(c *corev1.Container) string { return c.Name + "_" + containerHash(c) }

func isTerminal(phase corev1.PodPhase) bool {
	return phase == corev1.PodSucceeded || phase == corev1.PodFailed
}
