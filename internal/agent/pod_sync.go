package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// sync takes one step for the pod: gather what is known (API object, runtime status,
// probes, volumes), let computePodActions decide, have the runtime act, and write the
// status that results if it changed.
func (w *podWorker) sync(ctx context.Context) syncResult {
	a := w.agent
	pod, gone := w.snapshot()
	rs, err := w.runtimeStatus(ctx)
	if err != nil {
		slog.Warn("agent: reading pod status from the runtime", "node", a.nodeName, "pod", w.uid, "err", err)
		return syncResult{requeue: retryPeriod}
	}
	if pod == nil && !gone {
		pod, gone = w.resolve(rs)
	}
	if gone {
		return w.cleanup(ctx, pod, rs)
	}
	if pod.DeletionTimestamp != nil || isTerminal(pod.Status.Phase) {
		return w.terminate(ctx, pod, rs)
	}

	now := a.clock.Now()
	probes, nextProbe := w.probePod(ctx, pod, rs, now)
	st := podState{
		Pod: pod, Runtime: rs, Probes: probes, BackOff: w.backOff, StartErrors: w.startErrors, Unhealthy: w.unhealthy,
		VolumesReady: true, NetworkReady: a.networkReady(pod), Now: now,
	}
	w.forgetUnhealthy(rs)
	var volumes mountableVolumes
	var nextRefresh time.Time
	if rs == nil || rs.Sandbox != runtime.SandboxReady {
		volumes, st.VolumesReady = w.checkVolumes(ctx, pod, now)
	} else {
		nextRefresh = w.refreshVolumes(ctx, pod, now)
	}
	acts := computePodActions(st)
	if a.startsHeld() {
		// Fenced, or not yet sure it may run anything (fencing.go): start nothing.
		acts.CreateSandbox, acts.Start = false, nil
	}
	if acts.KillPod {
		return w.terminate(ctx, pod, rs)
	}
	if acts.WaitingForNetwork && w.warnOnce("network", "", time.Minute, now) {
		a.recorder.Eventf(podRef(pod), corev1.EventTypeWarning, reasonNetworkNotReady,
			"network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:pod CIDR not assigned to node %s yet", a.nodeName)
	}
	if len(pod.Status.ContainerStatuses) == 0 && (acts.CreateSandbox || len(acts.Start) > 0) {
		// The pod's first status (ContainerCreating, Init:0/N) goes out before anything
		// starts: starting can take a while (image, start delay) and users watch for it.
		first := generatePodStatus(statusInput{podState: st, Waiting: acts.Waiting, HostIP: a.machine.InternalIP, RuntimeName: a.version.Name})
		if err := w.writeStatus(ctx, pod, first); err == nil {
			if latest, _ := w.snapshot(); latest != nil {
				pod, st.Pod = latest, latest
			}
		}
	}
	acted, failures, execErr := w.execute(ctx, pod, acts, volumes, now)
	if restartsUnhealthy(pod, acts) && execErr == nil {
		// A container killed for a failing probe is restarted by the next sync. Its exit
		// (0 after a clean SIGTERM) must not reach the API first: under OnFailure the API
		// refuses a terminated-with-0 container coming back, and the pod would look done.
		return syncResult{again: true}
	}
	if acted {
		if rs, err = w.runtimeStatus(ctx); err != nil {
			return syncResult{requeue: retryPeriod}
		}
		now = a.clock.Now()
		var next time.Time
		probes, next = w.probePod(ctx, pod, rs, now)
		nextProbe = earliest(nextProbe, next)
	}
	for name, wt := range failures {
		acts.Waiting[name] = wt
	}
	st.Runtime, st.Probes, st.Now = rs, probes, now
	status := generatePodStatus(statusInput{podState: st, Waiting: acts.Waiting, HostIP: a.machine.InternalIP, RuntimeName: a.version.Name})
	if err := w.writeStatus(ctx, pod, status); err != nil {
		slog.Warn("agent: writing pod status", "node", a.nodeName, "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return syncResult{requeue: retryPeriod}
	}

	res := syncResult{again: acted && execErr == nil && len(failures) == 0, requeue: acts.RequeueAfter}
	nextProbe = earliest(nextProbe, nextRefresh)
	if !nextProbe.IsZero() {
		res.requeue = minPositive(res.requeue, max(nextProbe.Sub(now), time.Millisecond))
	}
	if acts.WaitingForVolumes || execErr != nil {
		res.requeue = minPositive(res.requeue, retryPeriod)
	}
	return res
}

// restartsUnhealthy reports a sync that killed a container for failing a probe, to be
// restarted under the pod's restart policy.
func restartsUnhealthy(pod *corev1.Pod, acts podActions) bool {
	if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
		return false
	}
	for _, k := range acts.Kill {
		if k.Unhealthy {
			return true
		}
	}
	return false
}

// forgetUnhealthy drops the marks of containers the runtime no longer has.
func (w *podWorker) forgetUnhealthy(rs *runtime.PodStatus) {
	if len(w.unhealthy) == 0 {
		return
	}
	present := map[string]bool{}
	if rs != nil {
		for _, c := range rs.Containers {
			present[c.ID] = true
		}
	}
	for id := range w.unhealthy {
		if !present[id] {
			delete(w.unhealthy, id)
		}
	}
}

// runtimeStatus reads the pod from the runtime; nil when the runtime knows nothing of it.
func (w *podWorker) runtimeStatus(ctx context.Context) (*runtime.PodStatus, error) {
	rs, err := w.agent.runtime.PodStatus(ctx, w.uid)
	if errors.Is(err, runtime.ErrNotFound) {
		return nil, nil
	}
	return rs, err
}

// resolve matches a pod the runtime reports (found at start or by the relist) to its API
// object; without one, the pod was deleted while the agent was away.
func (w *podWorker) resolve(rs *runtime.PodStatus) (*corev1.Pod, bool) {
	if rs == nil {
		return nil, true
	}
	pod, err := w.agent.podLister.Pods(rs.Namespace).Get(rs.Name)
	if err != nil || pod.UID != w.uid {
		return nil, true
	}
	w.update(pod)
	return pod, false
}

// mountableVolumes is what the runtime needs to set up a pod's volumes.
type mountableVolumes struct {
	Bound      map[string]*corev1.PersistentVolume
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
}

// checkVolumes reports whether the pod's volumes can be mounted, recording why not.
func (w *podWorker) checkVolumes(ctx context.Context, pod *corev1.Pod, now time.Time) (mountableVolumes, bool) {
	a := w.agent
	facts, err := a.fetchVolumeFacts(ctx, pod)
	if err != nil {
		slog.Warn("agent: reading volumes", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return mountableVolumes{}, false
	}
	bound, problem := checkVolumes(pod, facts, a.nodeName)
	if problem == nil {
		w.volumesRefreshed = now
		return mountableVolumes{Bound: bound, ConfigMaps: facts.ConfigMapObjects, Secrets: facts.SecretObjects}, true
	}
	if w.warnOnce("volumes", problem.Message, time.Minute, now) {
		rec := a.recorder
		if problem.Component == componentAttachDetach {
			rec = a.adRecorder
		}
		rec.Event(podRef(pod), corev1.EventTypeWarning, problem.Reason, problem.Message)
	}
	return mountableVolumes{}, false
}

// execute carries out the planner's actions through the runtime, recording upstream's
// events. It reports whether anything was done, the waiting states of containers that
// failed to start, and an error that stopped it.
func (w *podWorker) execute(ctx context.Context, pod *corev1.Pod, acts podActions, volumes mountableVolumes, now time.Time) (bool, map[string]corev1.ContainerStateWaiting, error) {
	a := w.agent
	acted := false
	if acts.SandboxChanged {
		a.recorder.Event(podRef(pod), corev1.EventTypeNormal, reasonSandboxChanged, messageSandboxChanged)
	}
	if acts.CreateSandbox {
		config := &runtime.SandboxConfig{Pod: pod, Volumes: volumes.Bound, ConfigMaps: volumes.ConfigMaps, Secrets: volumes.Secrets}
		if err := a.runtime.RunPodSandbox(ctx, config); err != nil {
			if w.warnOnce("sandbox", err.Error(), time.Minute, now) {
				a.recorder.Eventf(podRef(pod), corev1.EventTypeWarning, reasonFailedSandbox, "Failed to create pod sandbox: %v", err)
			}
			return false, nil, err
		}
		acted = true
	}
	for _, k := range acts.Kill {
		a.recorder.Event(containerRef(pod, k.Name, k.Init), corev1.EventTypeNormal, reasonKilling, k.Message)
		if err := a.runtime.StopContainer(ctx, k.ID, max(terminationGrace(pod), minimumGracePeriod)); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return acted, nil, fmt.Errorf("stopping container %s: %w", k.Name, err)
		}
		if k.Unhealthy {
			w.unhealthy[k.ID] = true
		}
		acted = true
	}
	failures := map[string]corev1.ContainerStateWaiting{}
	for _, s := range acts.Start {
		if wt, ok := w.startContainer(ctx, pod, s); !ok {
			if wt != nil {
				failures[s.Name] = *wt
			}
			break
		}
		acted = true
	}
	for _, id := range acts.Remove {
		if err := a.runtime.RemoveContainer(ctx, id); err != nil {
			slog.Warn("agent: removing dead container", "pod", pod.Namespace+"/"+pod.Name, "id", id, "err", err)
		}
	}
	for _, name := range acts.BackOff {
		if w.warnOnce("backoff/"+name, acts.Waiting[name].Message, DefaultMaxBackOff, now) {
			_, init := containerSpec(pod, name)
			a.recorder.Eventf(containerRef(pod, name, init), corev1.EventTypeWarning, reasonBackOff, messageBackOff, name, podFullName(pod))
		}
	}
	return acted, failures, nil
}

// startContainer readies the image, creates (unless it exists) and starts one container.
// A failure puts the container in back-off with the failure as its waiting state.
func (w *podWorker) startContainer(ctx context.Context, pod *corev1.Pod, s containerStart) (*corev1.ContainerStateWaiting, bool) {
	a := w.agent
	spec, _ := containerSpec(pod, s.Name)
	if spec == nil {
		return nil, false
	}
	ref := containerRef(pod, s.Name, s.Init)
	key := backOffKey(spec)
	fail := func(reason, message string) (*corev1.ContainerStateWaiting, bool) {
		if ctx.Err() != nil {
			return nil, false // shutting down: not the container's fault
		}
		now := a.clock.Now()
		w.startErrors[s.Name] = startError{Reason: reason, Message: message, At: now}
		w.backOff.next(key, now)
		return &corev1.ContainerStateWaiting{Reason: reason, Message: message}, false
	}
	id := s.ExistingID
	if id == "" {
		var secrets [][]byte
		if len(pod.Spec.ImagePullSecrets) > 0 {
			secrets = a.pullSecrets(ctx, pod)
		}
		img, err := a.runtime.EnsureImage(ctx, spec.Image, spec.ImagePullPolicy, secrets)
		switch {
		case errors.Is(err, runtime.ErrImageNeverPull):
			msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", spec.Image)
			a.recorder.Event(ref, corev1.EventTypeWarning, waitingImageNeverPull, msg)
			return fail(waitingImageNeverPull, msg)
		case err != nil:
			a.recorder.Eventf(ref, corev1.EventTypeWarning, reasonFailed, "Failed to pull image %q: %v", spec.Image, err)
			a.recorder.Eventf(ref, corev1.EventTypeWarning, reasonFailed, "Error: %s", waitingImagePull)
			return fail(waitingImagePull, err.Error())
		case img.Pulled:
			a.recorder.Eventf(ref, corev1.EventTypeNormal, reasonPulling, messagePulling, spec.Image)
			a.recorder.Eventf(ref, corev1.EventTypeNormal, reasonPulled, messagePulled, spec.Image, img.Duration.Round(time.Millisecond))
		default:
			a.recorder.Eventf(ref, corev1.EventTypeNormal, reasonPulled, messageAlreadyPresent, spec.Image)
		}
		env, err := a.containerEnv(ctx, pod, spec, w.podIPs(ctx, pod))
		if err != nil {
			a.recorder.Eventf(ref, corev1.EventTypeWarning, reasonFailed, "Error: %v", err)
			return fail(waitingCreateConfigError, err.Error())
		}
		if len(env.InvalidKeys) > 0 {
			a.recorder.Eventf(podRef(pod), corev1.EventTypeWarning, reasonInvalidEnvNames,
				"Keys [%s] from the EnvFrom of container %s were skipped since they are considered invalid environment variable names.", strings.Join(env.InvalidKeys, ", "), s.Name)
		}
		id, err = a.runtime.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{
			Pod: pod, Container: spec, Init: s.Init, Attempt: s.Attempt, Hash: containerHash(spec),
			Env: env.Env, Command: env.Command, Args: env.Args,
		})
		if err != nil {
			a.recorder.Eventf(ref, corev1.EventTypeWarning, reasonFailed, "Error: %v", err)
			return fail(waitingCreateError, err.Error())
		}
		a.recorder.Eventf(ref, corev1.EventTypeNormal, reasonCreated, messageCreated, s.Name)
	}
	started, err := a.startGuarded(w, func() error { return a.runtime.StartContainer(ctx, id) })
	if !started {
		return nil, false // fenced, or the pod is gone: not the container's fault
	}
	if err != nil {
		if ctx.Err() == nil {
			a.recorder.Eventf(ref, corev1.EventTypeWarning, reasonFailed, "Error: %v", err)
		}
		return fail(waitingRunError, err.Error())
	}
	a.recorder.Eventf(ref, corev1.EventTypeNormal, reasonStarted, messageStarted, s.Name)
	if !s.FailedAt.IsZero() {
		w.backOff.next(key, s.FailedAt)
	}
	delete(w.startErrors, s.Name)
	return nil, true
}

// writeStatus writes status through pods/status if it differs from what the API has. On a
// conflict the latest pod is read, so the next sync starts from it.
func (w *podWorker) writeStatus(ctx context.Context, pod *corev1.Pod, status corev1.PodStatus) error {
	if apiequality.Semantic.DeepEqual(pod.Status, status) {
		return nil
	}
	a := w.agent
	p := pod.DeepCopy()
	p.Status = status
	out, err := a.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil // deleted meanwhile; the informer will say so
	case apierrors.IsConflict(err):
		fresh, gerr := a.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if gerr == nil && fresh.UID == pod.UID {
			w.update(fresh)
		}
		return err
	case err != nil:
		return err
	}
	w.update(out)
	return nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
