package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
)

// container is one simulated container instance. Its exit is planned when it starts
// (exitAt) and takes effect lazily, when the clock has passed it and someone looks: the sim
// needs no timers, and a fake clock moves every container at once.
type container struct {
	id, name      string
	podUID        types.UID
	init, sidecar bool
	attempt       uint32
	hash          string
	image         string
	imageRef      string
	behave        behaviour

	createdAt  time.Time
	startedAt  time.Time
	exitAt     time.Time // zero: runs until stopped
	planned    exit
	finishedAt time.Time
	exited     bool
	result     exit
	done       chan struct{} // closed once exited
}

type exit struct {
	code   int32
	reason string
}

func (c *container) started() bool { return !c.startedAt.IsZero() }
func (c *container) running() bool { return c.started() && !c.exited }

// advance applies a planned exit whose time has come.
func (c *container) advance(now time.Time) {
	if c.running() && !c.exitAt.IsZero() && !now.Before(c.exitAt) {
		c.finishAt(c.exitAt, c.planned)
	}
}

func (c *container) finish(now time.Time, code int32, reason string) {
	c.finishAt(now, exit{code: code, reason: reason})
}

func (c *container) finishAt(t time.Time, e exit) {
	if c.exited {
		return
	}
	c.exited, c.finishedAt, c.result = true, t, e
	close(c.done)
}

// start runs the container from now, planning its exit from what it is and what its pod's
// annotations ask.
func (c *container) start(now time.Time) {
	c.startedAt = now
	switch {
	case c.init && !c.sidecar:
		c.exitAt, c.planned = now, exit{0, "Completed"}
	case c.sidecar:
	case c.behave.crash:
		c.exitAt, c.planned = now, exit{1, "Error"}
	case c.behave.exits:
		c.exitAt, c.planned = now.Add(c.behave.runFor), exit{c.behave.exitCode, exitReason(c.behave.exitCode)}
	}
	c.advance(now)
}

func exitReason(code int32) string {
	if code == 0 {
		return "Completed"
	}
	return "Error"
}

func (c *container) status() runtime.ContainerStatus {
	st := runtime.ContainerStatus{
		ID: c.id, Name: c.name, Init: c.init, Attempt: c.attempt, Hash: c.hash,
		Image: c.image, ImageRef: c.imageRef, CreatedAt: c.createdAt, StartedAt: c.startedAt,
		State: runtime.ContainerCreated,
	}
	switch {
	case c.exited:
		st.State, st.FinishedAt, st.ExitCode, st.Reason = runtime.ContainerExited, c.finishedAt, c.result.code, c.result.reason
	case c.started():
		st.State = runtime.ContainerRunning
	}
	return st
}

// CreateContainer implements runtime.Runtime.
func (r *Runtime) CreateContainer(_ context.Context, uid types.UID, config *runtime.ContainerConfig) (string, error) {
	spec := config.Container
	sidecar := config.Init && spec.RestartPolicy != nil && *spec.RestartPolicy == corev1.ContainerRestartPolicyAlways
	var annotations map[string]string
	if config.Pod != nil {
		annotations = config.Pod.Annotations
	}
	behave, err := parseBehaviour(annotations, !config.Init)
	if err != nil {
		return "", fmt.Errorf("sim: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[uid]
	if sb == nil {
		return "", fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	if !sb.ready {
		return "", fmt.Errorf("pod %s/%s: %w", sb.ns, sb.name, runtime.ErrSandboxNotReady)
	}
	image := normalizeImage(spec.Image)
	c := &container{
		id: newID(), name: spec.Name, podUID: uid, init: config.Init, sidecar: sidecar,
		attempt: config.Attempt, hash: config.Hash, image: image, imageRef: imageRef(image),
		behave: behave, createdAt: r.clock.Now(), done: make(chan struct{}),
	}
	sb.containers = append(sb.containers, c)
	r.containers[c.id] = c
	return c.id, nil
}

// StartContainer implements runtime.Runtime: the container starts once its start delay has
// passed on the runtime's clock.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	c, err := r.lookupLocked(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if c.started() {
		r.mu.Unlock()
		return nil
	}
	delay := r.startDelay
	if c.behave.startDelay != nil {
		delay = *c.behave.startDelay
	}
	r.mu.Unlock()

	if delay > 0 {
		t := r.clock.NewTimer(delay)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if c, err = r.lookupLocked(id); err != nil {
		return err
	}
	if sb := r.sandboxes[c.podUID]; sb == nil || !sb.ready {
		return fmt.Errorf("container %s: %w", c.name, runtime.ErrSandboxNotReady)
	}
	if !c.started() {
		c.start(r.clock.Now())
	}
	return nil
}

// StopContainer implements runtime.Runtime. A simulated container obeys SIGTERM at once
// with exit code 0; one annotated ignore-sigterm is killed (137) when the grace period ends,
// unless it exits by itself first.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	r.mu.Lock()
	c, err := r.lookupLocked(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	now := r.clock.Now()
	c.advance(now)
	switch {
	case !c.running():
		r.mu.Unlock()
		return nil
	case grace <= 0:
		c.finish(now, 137, "Error")
		r.mu.Unlock()
		return nil
	case !c.behave.ignoreSIGTERM:
		c.finish(now, 0, "Completed")
		r.mu.Unlock()
		return nil
	}
	wait := grace
	if !c.exitAt.IsZero() && c.exitAt.Sub(now) < wait {
		wait = c.exitAt.Sub(now)
	}
	done := c.done
	r.mu.Unlock()

	t := r.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
	case <-done:
	case <-ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now = r.clock.Now()
	c.advance(now)
	c.finish(now, 137, "Error")
	return nil
}

// RemoveContainer implements runtime.Runtime.
func (r *Runtime) RemoveContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return nil
	}
	c.advance(r.clock.Now())
	if c.running() {
		return fmt.Errorf("container %s: %w", c.name, runtime.ErrContainerRunning)
	}
	delete(r.containers, id)
	if sb := r.sandboxes[c.podUID]; sb != nil {
		for i, o := range sb.containers {
			if o == c {
				sb.containers = append(sb.containers[:i:i], sb.containers[i+1:]...)
				break
			}
		}
	}
	return nil
}

// Probe implements runtime.Runtime.
func (r *Runtime) Probe(_ context.Context, req *runtime.ProbeRequest) (runtime.ProbeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupLocked(req.ContainerID)
	if err != nil {
		return runtime.ProbeResult{}, err
	}
	c.advance(r.clock.Now())
	if !c.running() {
		return runtime.ProbeResult{}, fmt.Errorf("container %s is not running", c.name)
	}
	switch {
	case req.Type == runtime.Readiness && c.behave.neverReady:
		return runtime.ProbeResult{Output: "simulated failure (" + AnnotationNeverReady + ")"}, nil
	case req.Type == runtime.Liveness && req.Probe != nil && c.behave.failLiveness:
		return runtime.ProbeResult{Output: "simulated failure (" + AnnotationFailLiveness + ")"}, nil
	}
	return runtime.ProbeResult{Success: true}, nil
}

// ExitContainer makes the running instance of a pod's container exit now with code, as if
// its process had ended: a test hook for playing the workload.
func (r *Runtime) ExitContainer(uid types.UID, name string, code int32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[uid]
	if sb == nil {
		return fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	now := r.clock.Now()
	for _, c := range sb.containers {
		c.advance(now)
		if c.name == name && c.running() {
			c.finish(now, code, exitReason(code))
			return nil
		}
	}
	return fmt.Errorf("no running container %q in pod %s: %w", name, uid, runtime.ErrNotFound)
}

func (r *Runtime) lookupLocked(id string) (*container, error) {
	c := r.containers[id]
	if c == nil {
		return nil, fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	return c, nil
}

// normalizeImage spells an image reference the way containerd reports it: with its
// registry, the library/ namespace for Docker Hub's official images, and a tag.
func normalizeImage(image string) string {
	name, suffix := image, ""
	if i := strings.Index(name, "@"); i >= 0 {
		name, suffix = name[:i], name[i:]
	} else if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, suffix = name[:i], name[i:]
	} else {
		suffix = ":latest"
	}
	first, _, hasSlash := strings.Cut(name, "/")
	if !hasSlash || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		if !hasSlash {
			name = "library/" + name
		}
		name = "docker.io/" + name
	}
	return name + suffix
}

// imageRef is the digested reference of an image; the sim makes up a stable digest.
func imageRef(image string) string {
	if strings.Contains(image, "@") {
		return image
	}
	name := image
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	sum := sha256.Sum256([]byte(image))
	return name + "@sha256:" + hex.EncodeToString(sum[:])
}
