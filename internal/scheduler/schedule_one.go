package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Upstream's event reasons and messages.
const (
	eventScheduled        = "Scheduled"
	eventFailedScheduling = "FailedScheduling"
	eventPreempted        = "Preempted"
)

// scheduleOne runs one cycle: the most important pending pod, one snapshot, one decision.
// A placement is assumed in the cache at once and written by the pool of writers; a failure
// puts the pod back in the queue and writes why. It returns false once the queue is closed.
func (s *Scheduler) scheduleOne(ctx context.Context) bool {
	a, ok := s.queue.pop()
	if !ok {
		return false
	}
	d := schedulePod(a.info, s.snapshot(), s.rnd)
	if d.err != nil {
		s.handleFailure(ctx, a, d)
		return true
	}
	// The cache holds the pod as bound from now on; the queue forgets it.
	assumed := *a.info.pod
	assumed.Spec.NodeName = d.node
	assumedInfo := *a.info
	assumedInfo.pod = &assumed
	if err := s.cache.assumePod(&assumedInfo); err != nil {
		// The informer showed it bound meanwhile: nothing left to do.
		s.queue.done(assumed.UID)
		return true
	}
	s.claims.assume(d.claimsToSelect, d.node)
	s.queue.done(assumed.UID)
	s.nominator.remove(assumed.UID)
	s.write(func() { s.bind(ctx, &assumed, a.attempts, d) })
	return true
}

// bind writes a placement: the selected-node annotation of each WaitForFirstConsumer claim
// first (the provisioner must know where before the pod can start), then pods/binding.
func (s *Scheduler) bind(ctx context.Context, pod *corev1.Pod, attempts int, d decision) {
	for _, claim := range d.claimsToSelect {
		if err := s.control.selectNode(ctx, claim, d.node); err != nil {
			s.bindFailed(ctx, pod, attempts, d, fmt.Errorf("running PreBind plugin %q: %w", "VolumeBinding", err))
			return
		}
	}
	if err := s.waitClaimsBound(ctx, d.claimsToSelect); err != nil {
		s.bindFailed(ctx, pod, attempts, d, fmt.Errorf("running PreBind plugin %q: %w", "VolumeBinding", err))
		return
	}
	if err := s.control.bind(ctx, pod, d.node); err != nil {
		s.bindFailed(ctx, pod, attempts, d, fmt.Errorf("running Bind plugin %q: %w", "DefaultBinder", err))
		return
	}
	s.recorder.Eventf(pod, corev1.EventTypeNormal, eventScheduled, "Successfully assigned %v/%v to %v", pod.Namespace, pod.Name, d.node)
}

// bindFailed takes the assumption back and retries the pod after its backoff, unless it is
// gone or was bound by someone else meanwhile.
func (s *Scheduler) bindFailed(ctx context.Context, pod *corev1.Pod, attempts int, d decision, err error) {
	s.cache.forgetPod(pod.UID)
	s.claims.forget(d.claimsToSelect)
	s.queue.moveAll(nil)
	if ctx.Err() != nil {
		return
	}
	current, getErr := s.podLister.Pods(pod.Namespace).Get(pod.Name)
	if getErr != nil || current.UID != pod.UID || current.Spec.NodeName != "" || current.DeletionTimestamp != nil {
		return
	}
	slog.Warn("scheduler: binding failed", "pod", pod.Namespace+"/"+pod.Name, "node", d.node, "err", err)
	s.queue.retry(current, attempts)
	// Already on a writer: report here rather than wait for another slot, which could
	// deadlock when every writer is a failing bind.
	s.writeFailure(ctx, current, corev1.PodReasonSchedulerError, err.Error(), nil)
}

// handleFailure puts an unplaced pod back in the queue, starts a preemption if one was found,
// and writes why the pod waits (event and PodScheduled condition).
func (s *Scheduler) handleFailure(ctx context.Context, a attempt, d decision) {
	pod := a.info.pod
	reason := corev1.PodReasonSchedulerError
	var fe *fitError
	if errors.As(d.err, &fe) {
		reason = corev1.PodReasonUnschedulable
	}
	var nominated *string
	switch p := d.preemption; {
	case p != nil && p.node != "":
		s.nominator.set(a.info, p.node)
		nominated = &p.node
		s.preempt(ctx, pod, p)
	case p != nil && pod.Status.NominatedNodeName != "":
		s.nominator.remove(pod.UID)
		nominated = new(string)
	}
	if reason == corev1.PodReasonUnschedulable {
		s.queue.unschedulable(a)
	} else {
		s.queue.backoff(a)
	}
	s.reportFailure(ctx, pod, reason, d.err.Error(), nominated)
}

// reportFailure emits FailedScheduling and sets PodScheduled=False with the same message;
// the status is written only when it changes, as upstream.
func (s *Scheduler) reportFailure(ctx context.Context, pod *corev1.Pod, reason, message string, nominated *string) {
	s.write(func() { s.writeFailure(ctx, pod, reason, message, nominated) })
}

func (s *Scheduler) writeFailure(ctx context.Context, pod *corev1.Pod, reason, message string, nominated *string) {
	current, err := s.podLister.Pods(pod.Namespace).Get(pod.Name)
	if err != nil || current.UID != pod.UID || current.Spec.NodeName != "" {
		return
	}
	s.recorder.Event(current, corev1.EventTypeWarning, eventFailedScheduling, truncateMessage(message))
	status := current.Status.DeepCopy()
	changed := setPodScheduledFalse(status, reason, message, metav1.NewTime(s.opts.Clock.Now()))
	if nominated != nil && status.NominatedNodeName != *nominated {
		status.NominatedNodeName = *nominated
		changed = true
	}
	if !changed {
		return
	}
	if err := s.control.patchStatus(ctx, current, status); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		slog.Warn("scheduler: updating pod condition", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
}

// setPodScheduledFalse sets the PodScheduled condition and reports whether it changed; the
// transition time moves only when the status does.
func setPodScheduledFalse(status *corev1.PodStatus, reason, message string, now metav1.Time) bool {
	want := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: message, LastTransitionTime: now}
	for i := range status.Conditions {
		c := &status.Conditions[i]
		if c.Type != corev1.PodScheduled {
			continue
		}
		if c.Status == want.Status && c.Reason == want.Reason && c.Message == want.Message {
			return false
		}
		if c.Status == want.Status {
			want.LastTransitionTime = c.LastTransitionTime
		}
		*c = want
		return true
	}
	status.Conditions = append(status.Conditions, want)
	return true
}

// preempt evicts the victims chosen for pod: each gets the DisruptionTarget condition, a
// Preempted event and a graceful delete, as upstream.
func (s *Scheduler) preempt(ctx context.Context, pod *corev1.Pod, p *preemption) {
	for _, v := range p.victims {
		victim := v.pod
		s.write(func() {
			status := victim.Status.DeepCopy()
			setDisruptionTarget(status, fmt.Sprintf("%s: preempting to accommodate a higher priority pod", s.opts.SchedulerName), metav1.NewTime(s.opts.Clock.Now()))
			if err := s.control.patchStatus(ctx, victim, status); err != nil && !apierrors.IsNotFound(err) {
				slog.Warn("scheduler: marking preemption victim", "pod", victim.Namespace+"/"+victim.Name, "err", err)
				return
			}
			if err := s.control.deletePod(ctx, victim); err != nil {
				slog.Warn("scheduler: deleting preemption victim", "pod", victim.Namespace+"/"+victim.Name, "err", err)
				return
			}
			s.recorder.Eventf(victim, corev1.EventTypeNormal, eventPreempted, "Preempted by pod %v on node %v", pod.UID, p.node)
		})
	}
}

func setDisruptionTarget(status *corev1.PodStatus, message string, now metav1.Time) {
	want := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: reasonPreemptionByScheduler, Message: message, LastTransitionTime: now}
	for i := range status.Conditions {
		if status.Conditions[i].Type == corev1.DisruptionTarget {
			status.Conditions[i] = want
			return
		}
	}
	status.Conditions = append(status.Conditions, want)
}

// claimBindTimeout bounds how long a bind waits for its claims' volumes, as upstream's
// VolumeBinding PreBind does (its default is 10 minutes; provisioning here is local).
const claimBindTimeout = 2 * time.Minute

// waitClaimsBound waits until the provisioner has bound the claims the pod waits for, as
// upstream's VolumeBinding PreBind does, so that the node agent finds them bound when the
// pod arrives instead of polling for them. It reads the informer cache.
func (s *Scheduler) waitClaimsBound(ctx context.Context, claims []*corev1.PersistentVolumeClaim) error {
	if len(claims) == 0 {
		return nil
	}
	return wait.PollUntilContextTimeout(ctx, 2*time.Millisecond, claimBindTimeout, true, func(context.Context) (bool, error) {
		for _, c := range claims {
			current, ok := s.storage.Claim(c.Namespace, c.Name)
			if !ok {
				return false, fmt.Errorf("persistentvolumeclaim %q not found", c.Name)
			}
			if current.Spec.VolumeName == "" {
				return false, nil
			}
		}
		return true, nil
	})
}
