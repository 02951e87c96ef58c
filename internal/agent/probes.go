package agent

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/runtime"
)

// probeStatus is what the probes concluded about one running container: the planner's and
// the status generator's view of probing.
type probeStatus struct {
	// Started: the startup probe has succeeded, or there is none.
	Started bool
	// Ready: the readiness probe passes (or, without one, the runtime does not object).
	Ready bool
	// LivenessFailed and StartupFailed: the probe reached its failure threshold; the
	// container is to be restarted.
	LivenessFailed bool
	StartupFailed  bool
}

// probeState counts the results of one probe of one container instance, as upstream's
// prober worker does.
type probeState struct {
	lastRun   time.Time
	successes int32
	failures  int32
	ok        bool // the current verdict
}

// containerProbes is the probing state of one container instance (by container ID, so a
// restarted container starts from scratch: not ready, live, not started).
type containerProbes struct {
	startup, liveness, readiness probeState
	// implicitReady is the runtime's answer for a container without a readiness probe,
	// asked once.
	implicitReady *bool
}

func newContainerProbes() *containerProbes {
	return &containerProbes{liveness: probeState{ok: true}}
}

// probeDue says whether p is to run at now for a container started at startedAt, and when it
// is due next: first after initialDelaySeconds, then every periodSeconds.
func probeDue(p *corev1.Probe, st probeState, startedAt, now time.Time) (bool, time.Time) {
	period := seconds(p.PeriodSeconds, 10)
	first := startedAt.Add(time.Duration(p.InitialDelaySeconds) * time.Second)
	switch {
	case now.Before(first):
		return false, first
	case st.lastRun.IsZero():
		return true, now.Add(period)
	}
	next := st.lastRun.Add(period)
	if now.Before(next) {
		return false, next
	}
	return true, now.Add(period)
}

// record applies one result: the verdict flips after successThreshold successes or
// failureThreshold failures in a row.
func (st probeState) record(p *corev1.Probe, ok bool, now time.Time) probeState {
	st.lastRun = now
	if ok {
		st.successes++
		st.failures = 0
		if st.successes >= max(p.SuccessThreshold, 1) {
			st.ok = true
		}
	} else {
		st.failures++
		st.successes = 0
		if st.failures >= max(p.FailureThreshold, 1) {
			st.ok = false
		}
	}
	return st
}

func seconds(v, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

// probePod runs the probes that are due on the pod's running containers and returns what
// they concluded, by container ID, and when the next probe is due (zero: none).
func (w *podWorker) probePod(ctx context.Context, pod *corev1.Pod, rs *runtime.PodStatus, now time.Time) (map[string]probeStatus, time.Time) {
	out := map[string]probeStatus{}
	var nextDue time.Time
	due := func(t time.Time) {
		if nextDue.IsZero() || t.Before(nextDue) {
			nextDue = t
		}
	}
	live := map[string]bool{}
	for _, c := range latestInstances(rs) {
		if c.State != runtime.ContainerRunning {
			continue
		}
		spec, init := containerSpec(pod, c.Name)
		if spec == nil {
			continue
		}
		live[c.ID] = true
		if init && !isSidecar(spec) {
			out[c.ID] = probeStatus{Started: true}
			continue
		}
		cp := w.probes[c.ID]
		if cp == nil {
			cp = newContainerProbes()
			w.probes[c.ID] = cp
		}
		var st probeStatus
		if p := spec.StartupProbe; p != nil && !cp.startup.ok {
			run, next := probeDue(p, cp.startup, c.StartedAt, now)
			if run {
				cp.startup = cp.startup.record(p, w.runProbe(ctx, pod, c, runtime.Startup, p), now)
			}
			if !cp.startup.ok {
				due(next)
			}
			st.StartupFailed = !cp.startup.ok && cp.startup.failures >= max(p.FailureThreshold, 1)
		}
		st.Started = spec.StartupProbe == nil || cp.startup.ok
		if st.Started {
			if p := spec.LivenessProbe; p != nil {
				run, next := probeDue(p, cp.liveness, c.StartedAt, now)
				if run {
					cp.liveness = cp.liveness.record(p, w.runProbe(ctx, pod, c, runtime.Liveness, p), now)
				}
				due(next)
				st.LivenessFailed = !cp.liveness.ok
			}
			if p := spec.ReadinessProbe; p != nil {
				run, next := probeDue(p, cp.readiness, c.StartedAt, now)
				if run {
					cp.readiness = cp.readiness.record(p, w.runProbe(ctx, pod, c, runtime.Readiness, p), now)
				}
				due(next)
				st.Ready = cp.readiness.ok
			} else {
				if cp.implicitReady == nil {
					ok := w.runProbe(ctx, pod, c, runtime.Readiness, nil)
					cp.implicitReady = &ok
				}
				st.Ready = *cp.implicitReady
			}
		}
		out[c.ID] = st
	}
	for id := range w.probes {
		if !live[id] {
			delete(w.probes, id)
		}
	}
	return out, nextDue
}

// runProbe runs one probe through the runtime and records an Unhealthy event when a
// configured probe fails, in upstream's words.
func (w *podWorker) runProbe(ctx context.Context, pod *corev1.Pod, c runtime.ContainerStatus, typ runtime.ProbeType, p *corev1.Probe) bool {
	timeout := time.Second
	if p != nil {
		timeout = seconds(p.TimeoutSeconds, 1)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := w.agent.runtime.Probe(pctx, &runtime.ProbeRequest{PodUID: pod.UID, ContainerID: c.ID, Type: typ, Probe: p})
	if p == nil {
		return err == nil && res.Success
	}
	switch {
	case err != nil:
		w.agent.recorder.Eventf(containerRef(pod, c.Name, c.Init), corev1.EventTypeWarning, reasonUnhealthy, "%s probe errored: %v", typ, err)
		return false
	case !res.Success:
		w.agent.recorder.Eventf(containerRef(pod, c.Name, c.Init), corev1.EventTypeWarning, reasonUnhealthy, "%s probe failed: %s", typ, res.Output)
		return false
	}
	return true
}
