package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

// Bounds of waiting on processes the runtime does not control.
const (
	startTimeout = time.Minute      // runc run --detach, through the shim
	killTimeout  = 30 * time.Second // a SIGKILLed container to be reaped and recorded
)

// container is a container as the runtime has it; exit, done and final are guarded by
// Runtime.mu.
type container struct {
	dir string
	rec containerRecord
	// exit is how it ended, once it has.
	exit *shim.Exit
	// done is closed when the container has exited; nil until it was started.
	done chan struct{}
	// final holds the reason and message computed once the container exited.
	final *finalState
}

type finalState struct{ reason, message string }

func (c *container) state() runtime.ContainerState {
	switch {
	case c.exit != nil:
		return runtime.ContainerExited
	case c.rec.StartedAt.IsZero():
		return runtime.ContainerCreated
	}
	return runtime.ContainerRunning
}

func (c *container) save() error {
	return shim.WriteJSON(filepath.Join(c.dir, containerFile), c.rec)
}

// LogPath is where the log of one instance of a container goes (see the package doc).
func LogPath(dataDir string, podUID types.UID, container string, attempt uint32) string {
	return filepath.Join(dataDir, "pods", string(podUID), container, strconv.FormatUint(uint64(attempt), 10)+".log")
}

// CreateContainer implements runtime.Runtime: it pins the image, mounts the root
// filesystem and writes the OCI bundle; StartContainer runs it.
func (r *Runtime) CreateContainer(ctx context.Context, uid types.UID, config *runtime.ContainerConfig) (string, error) {
	r.mu.Lock()
	sb := r.sandboxes[uid]
	if sb == nil {
		r.mu.Unlock()
		return "", fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	if !sb.rec.Ready {
		r.mu.Unlock()
		return "", fmt.Errorf("pod %s/%s: %w", sb.rec.Namespace, sb.rec.Name, runtime.ErrSandboxNotReady)
	}
	rec := sb.rec
	r.mu.Unlock()

	spec, pod := config.Container, config.Pod
	id := newID()
	c := &container{dir: filepath.Join(sb.dir, containersDir, id)}
	c.rec = containerRecord{
		ID: id, PodUID: uid, Name: spec.Name, Init: config.Init, Attempt: config.Attempt, Hash: config.Hash,
		CreatedAt: time.Now().UTC(), Spec: spec.DeepCopy(),
		Log: LogPath(r.opts.DataDir, uid, spec.Name, config.Attempt),
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			r.discard(c)
		}
	}()
	img, err := r.images.Pin(ctx, id, spec.Image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", spec.Image, err)
	}
	if err := img.CheckOverlay(); err != nil {
		return "", err
	}
	c.rec.Image, c.rec.ImageRef, c.rec.StopSignal = img.Ref, img.RepoDigest, img.Config.StopSignal
	if c.rec.ImageRef == "" {
		c.rec.ImageRef = img.Ref + "@" + img.Digest
	}
	rootfs := filepath.Join(c.dir, "rootfs")
	if err := mountOverlay(img.LayerDirs(), filepath.Join(c.dir, "upper"), filepath.Join(c.dir, "work"), rootfs); err != nil {
		return "", err
	}
	env := config.Env
	if env == nil {
		for _, e := range spec.Env {
			if e.ValueFrom == nil {
				env = append(env, e.Name+"="+e.Value)
			}
		}
	}
	command, args := config.Command, config.Args
	if command == nil && args == nil {
		command, args = spec.Command, spec.Args
	}
	user, err := resolveUser(rootfs, img.Config.User, pod, effectiveSecurity(pod, spec))
	if err != nil {
		return "", err
	}
	mounts, err := volumeMounts(rec, spec, env)
	if err != nil {
		return "", err
	}
	termLog := filepath.Join(c.dir, "termination-log")
	if err := os.WriteFile(termLog, nil, 0o666); err != nil {
		return "", err
	}
	_ = os.Chmod(termLog, 0o666)
	cgroup := containerCgroup(r.opts.CgroupParent, uid, id)
	in := specInput{
		Pod: pod, Container: spec, Image: img.Config, Env: env, Command: command, Args: args,
		Rootfs: rootfs, User: user, Hostname: rec.Hostname, NetNS: rec.NetNS,
		EtcFiles: map[string]string{
			"/etc/hosts": sb.etcPath("hosts"), "/etc/resolv.conf": sb.etcPath("resolv.conf"), "/etc/hostname": sb.etcPath("hostname"),
		},
		TerminationLog: termLog, Mounts: mounts, CgroupsPath: cgroup,
		OOMScoreAdj: oomScoreAdj(pod, spec, machineMemory()),
	}
	if rec.HostNetwork {
		in.Hostname = ""
		delete(in.EtcFiles, "/etc/hostname")
	}
	ociSpec, err := buildSpec(in)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(c.rec.Log), 0o755); err != nil {
		return "", err
	}
	if err := shim.WriteJSON(filepath.Join(c.dir, "config.json"), ociSpec); err != nil {
		return "", err
	}
	if err := shim.WriteJSON(filepath.Join(c.dir, shim.ConfigFile), shim.Config{
		ID: id, Bundle: c.dir, Runc: r.opts.Runc, RuncRoot: r.dirs.runc,
		Log: c.rec.Log, LogMaxSize: r.opts.LogMaxSize, LogMaxFiles: r.opts.LogMaxFiles,
		OOMFile: r.cgroup.oomFile(cgroup),
		Stdin:   spec.Stdin, StdinOnce: spec.StdinOnce, TTY: spec.TTY,
		FenceFile: r.opts.FenceFile, FencePeriod: r.opts.FencePeriod,
	}); err != nil {
		return "", err
	}
	if err := c.save(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.sandboxes[uid]; cur != sb {
		return "", fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	sb.containers = append(sb.containers, c)
	r.containers[id] = c
	ok = true
	return id, nil
}

// volumeMounts turns the container's volumeMounts into bind mounts of the pod's volumes.
func volumeMounts(rec sandboxRecord, spec *corev1.Container, env []string) ([]specs.Mount, error) {
	var out []specs.Mount
	for i := range spec.VolumeMounts {
		m := &spec.VolumeMounts[i]
		v, ok := rec.Volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("volume %q of mount %s is not set up", m.Name, m.MountPath)
		}
		src, err := mountPathFor(v, m, env)
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", m.Name, err)
		}
		prop := corev1.MountPropagationNone
		if m.MountPropagation != nil {
			prop = *m.MountPropagation
		}
		out = append(out, bindMount(src, m.MountPath, m.ReadOnly || v.ReadOnly, prop))
	}
	return out, nil
}

// discard undoes a CreateContainer that failed half-way.
func (r *Runtime) discard(c *container) {
	if err := removeTree(c.dir); err != nil {
		slog.Warn("process runtime: removing a half-created container", "dir", c.dir, "err", err)
	}
	_ = r.images.Unpin(c.rec.ID)
}

// StartContainer implements runtime.Runtime: the shim starts the container and reports
// whether runc could; the postStart hook then runs, and a failing one stops the container.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	c := r.containers[id]
	if c == nil {
		r.mu.Unlock()
		return fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	if c.state() != runtime.ContainerCreated {
		r.mu.Unlock()
		return nil
	}
	if sb := r.sandboxes[c.rec.PodUID]; sb == nil || !sb.rec.Ready {
		r.mu.Unlock()
		return fmt.Errorf("container %s: %w", c.rec.Name, runtime.ErrSandboxNotReady)
	}
	// Recorded before the shim exists: after a crash right here, a record that says
	// started without a live shim is taken for a container that ended (see adopt).
	c.rec.StartedAt = time.Now().UTC()
	c.done = make(chan struct{})
	r.mu.Unlock()

	report, err := r.spawnShim(c)
	if err != nil {
		r.finish(c, &shim.Exit{Code: 128, StartError: err.Error(), FinishedAt: time.Now().UTC()})
		return fmt.Errorf("failed to start container %q: %w", c.rec.Name, err)
	}
	if report.Error != "" {
		<-c.done // the shim records the failed start and exits
		return fmt.Errorf("failed to start container %q: %s", c.rec.Name, report.Error)
	}
	if h := c.rec.Spec.Lifecycle; h != nil && h.PostStart != nil {
		if msg, err := r.runHook(ctx, c, h.PostStart); err != nil {
			_ = r.StopContainer(ctx, id, postStartFailureGrace)
			return fmt.Errorf("PostStartHookError: %v%s", err, msg)
		}
	}
	return nil
}

// spawnShim runs the container's shim in a session of its own, so that it outlives this
// process, and waits for its report.
func (r *Runtime) spawnShim(c *container) (shim.Started, error) {
	var report shim.Started
	pr, pw, err := os.Pipe()
	if err != nil {
		return report, err
	}
	defer pr.Close()
	stderr, err := os.OpenFile(filepath.Join(c.dir, "shim.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		pw.Close()
		return report, err
	}
	defer stderr.Close()
	argv := append(append([]string(nil), r.opts.Shim...), c.dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return report, fmt.Errorf("starting the shim: %w", err)
	}
	r.mu.Lock()
	c.rec.ShimPid = cmd.Process.Pid
	r.mu.Unlock()
	if err := c.save(); err != nil {
		slog.Warn("process runtime: saving container record", "id", c.rec.ID, "err", err)
	}
	go func() {
		_ = cmd.Wait()
		r.finish(c, nil)
	}()
	lines := make(chan []byte, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadBytes('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		if len(line) == 0 {
			return report, errors.New("the shim exited without starting the container (see shim.log)")
		}
		if err := json.Unmarshal(line, &report); err != nil {
			return report, fmt.Errorf("the shim's report: %w", err)
		}
		return report, nil
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		return report, fmt.Errorf("runc did not start the container within %s", startTimeout)
	}
}

// finish records a container's end: the shim's exit.json, or, when the shim died without
// writing one, an exit made up after making sure the container is gone.
func (r *Runtime) finish(c *container, exit *shim.Exit) {
	if exit == nil {
		e, err := shim.ReadExit(c.dir)
		if err != nil {
			r.runc(context.Background(), "kill", c.rec.ID, "KILL")
			r.runc(context.Background(), "delete", "--force", c.rec.ID)
			e = &shim.Exit{Code: 137, StartError: "", FinishedAt: time.Now().UTC()}
			slog.Warn("process runtime: container shim ended without recording the container's exit", "id", c.rec.ID, "err", err)
			_ = shim.WriteJSON(filepath.Join(c.dir, shim.ExitFile), e)
		}
		exit = e
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.exit != nil {
		return
	}
	c.exit = exit
	if c.done != nil {
		close(c.done)
	}
}

// adopt finds out what became of a container recorded by an earlier Runtime: exited, or
// still running under its shim, which is then watched.
func (c *container) adopt(r *Runtime) {
	if c.rec.StartedAt.IsZero() {
		return
	}
	c.done = make(chan struct{})
	if e, err := shim.ReadExit(c.dir); err == nil {
		c.exit = e
		close(c.done)
		return
	}
	pidfd, err := openShim(c.rec.ShimPid, c.dir)
	if err != nil {
		go r.finish(c, nil)
		return
	}
	go func() {
		waitPidfd(pidfd)
		r.finish(c, nil)
	}()
}

// openShim opens a pidfd on the container's shim if it still runs (the pid not reused by
// another process: its command line names the container directory).
func openShim(pid int, dir string) (*os.File, error) {
	if pid <= 0 {
		return nil, errors.New("no shim")
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !containsArg(cmdline, dir) {
		unix.Close(fd)
		return nil, errors.New("the shim is gone")
	}
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

func containsArg(cmdline []byte, arg string) bool {
	for _, a := range splitNul(cmdline) {
		if a == arg {
			return true
		}
	}
	return false
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, ch := range b {
		if ch == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

// waitPidfd blocks until the process behind pidfd has exited, through the runtime's
// poller rather than a thread per container.
func waitPidfd(f *os.File) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	first := true
	_ = rc.Read(func(uintptr) bool {
		if first { // the first call only registers interest; readable means exited
			first = false
			return false
		}
		return true
	})
}

// StopContainer implements runtime.Runtime: the preStop hook, then the image's stop
// signal (SIGTERM by default), then SIGKILL when the grace period is over.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	r.mu.Lock()
	c := r.containers[id]
	if c == nil {
		r.mu.Unlock()
		return fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	if c.state() != runtime.ContainerRunning {
		r.mu.Unlock()
		return nil
	}
	done := c.done
	r.mu.Unlock()

	deadline := time.Now().Add(grace)
	graceCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if h := c.rec.Spec.Lifecycle; grace > 0 && h != nil && h.PreStop != nil {
		if msg, err := r.runHook(graceCtx, c, h.PreStop); err != nil {
			slog.Info("process runtime: preStop hook failed", "container", c.rec.Name, "err", err, "output", msg)
		}
	}
	if grace > 0 && graceCtx.Err() == nil {
		r.runc(ctx, "kill", c.rec.ID, stopSignal(c.rec.StopSignal))
		select {
		case <-done:
			return nil
		case <-graceCtx.Done():
		}
	}
	r.kill(context.WithoutCancel(ctx), c)
	return nil
}

// kill sends SIGKILL and waits for the container to be recorded as exited.
func (r *Runtime) kill(ctx context.Context, c *container) {
	r.mu.Lock()
	done := c.done
	r.mu.Unlock()
	if done == nil {
		return
	}
	r.runc(ctx, "kill", c.rec.ID, "KILL")
	select {
	case <-done:
	case <-time.After(killTimeout):
		slog.Warn("process runtime: container did not exit after SIGKILL", "id", c.rec.ID)
	}
}

// stopSignal is the image's stop signal in runc's terms, SIGTERM if it names none.
func stopSignal(s string) string {
	if s == "" {
		return "TERM"
	}
	return s
}

// runc runs a runc command whose failure only matters as a log line (the container may
// just have exited).
func (r *Runtime) runc(ctx context.Context, args ...string) {
	out, err := exec.CommandContext(ctx, r.opts.Runc, append([]string{"--root", r.dirs.runc}, args...)...).CombinedOutput()
	if err != nil && ctx.Err() == nil {
		slog.Debug("process runtime: runc", "args", args, "err", err, "output", string(out))
	}
}

// RemoveContainer implements runtime.Runtime.
func (r *Runtime) RemoveContainer(_ context.Context, id string) error {
	r.mu.Lock()
	c := r.containers[id]
	if c == nil {
		r.mu.Unlock()
		return nil
	}
	if c.state() == runtime.ContainerRunning {
		r.mu.Unlock()
		return fmt.Errorf("container %s: %w", c.rec.Name, runtime.ErrContainerRunning)
	}
	r.mu.Unlock()
	if c.state() == runtime.ContainerCreated && c.rec.StartedAt.IsZero() {
		r.runc(context.Background(), "delete", "--force", id)
	}
	if err := removeTree(c.dir); err != nil {
		return err
	}
	_ = r.images.Unpin(id)
	removeLogs(c.rec.Log, r.opts.LogMaxFiles)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, id)
	if sb := r.sandboxes[c.rec.PodUID]; sb != nil {
		for i, o := range sb.containers {
			if o == c {
				sb.containers = append(sb.containers[:i:i], sb.containers[i+1:]...)
				break
			}
		}
	}
	return nil
}

func removeLogs(path string, files int) {
	_ = os.Remove(path)
	for i := 1; i < files+1; i++ {
		_ = os.Remove(fmt.Sprintf("%s.%d", path, i))
	}
	_ = os.Remove(filepath.Dir(path)) // only if no other attempt's log is left
}

// machineMemory is the host's memory, for the OOM score of burstable pods.
func machineMemory() int64 {
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return 0
	}
	return int64(info.Totalram) * int64(info.Unit)
}
