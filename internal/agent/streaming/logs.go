package streaming

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"ordinal.dev/ordinal/internal/runtime"
)

// serveContainerLogs answers GET /containerLogs/{namespace}/{pod}/{container}.
func (s *Server) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	opts, err := parseLogOptions(r.URL.Query(), time.Now())
	if err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	pod, err := s.getPod(ctx, r)
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("container")
	if !hasContainer(pod, name) {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name)))
		return
	}
	id, err := containerForLogs(pod.Name, &pod.Status, name, opts.previous)
	if err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	skip := 0
	if opts.tailLines >= 0 {
		n, err := s.countLog(r, id)
		if err != nil {
			writeError(w, err)
			return
		}
		skip = max(0, n-int(opts.tailLines))
	}
	log, err := s.streamer.ContainerLogs(ctx, id, opts.follow)
	if err != nil {
		writeError(w, logError(pod, name, err))
		return
	}
	defer log.Close()
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// Flush at once: a follower may wait long for the first line and should see the
	// stream open.
	fw := &flushWriter{w: w, rc: http.NewResponseController(w)}
	fw.rc.Flush()
	logDropped("copying container log", copyLog(log, fw, opts, skip))
}

func (s *Server) countLog(r *http.Request, id string) (int, error) {
	log, err := s.streamer.ContainerLogs(r.Context(), id, false)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	return countEntries(log)
}

func logError(pod *corev1.Pod, name string, err error) error {
	if errors.Is(err, runtime.ErrNotFound) {
		return apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is not available", name, pod.Name))
	}
	return err
}

// flushWriter sends every write to the client at once, so that followers see lines as
// they come.
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// containerForLogs picks the container instance whose log a request wants, from the
// pod's status as the agent wrote it: the previous instance with previous, otherwise the
// running one, the last one to have run, or an error saying why there is none yet. It
// returns the runtime's ID of the instance. The messages are the kubelet's.
func containerForLogs(podName string, status *corev1.PodStatus, name string, previous bool) (string, error) {
	cs := findStatus(status, name)
	if cs == nil {
		return "", fmt.Errorf("container %q in pod %q is not available", name, podName)
	}
	last := cs.LastTerminationState.Terminated
	switch {
	case previous:
		if last == nil || last.ContainerID == "" {
			return "", fmt.Errorf("previous terminated container %q in pod %q not found", name, podName)
		}
		return runtimeID(last.ContainerID), nil
	case cs.State.Running != nil:
		return runtimeID(cs.ContainerID), nil
	case cs.State.Terminated != nil:
		// When the next instance did not start, the terminated state has no ID: show the
		// last one that ran.
		if id := cs.State.Terminated.ContainerID; id != "" {
			return runtimeID(id), nil
		}
		if last != nil && last.ContainerID != "" {
			return runtimeID(last.ContainerID), nil
		}
		return "", fmt.Errorf("container %q in pod %q is terminated", name, podName)
	case last != nil:
		if last.ContainerID == "" {
			return "", fmt.Errorf("container %q in pod %q is terminated", name, podName)
		}
		return runtimeID(last.ContainerID), nil
	case cs.State.Waiting != nil:
		switch reason := cs.State.Waiting.Reason; reason {
		case "ErrImagePull":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: image can't be pulled", name, podName)
		case "ImagePullBackOff":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: trying and failing to pull image", name, podName)
		default:
			return "", fmt.Errorf("container %q in pod %q is waiting to start: %v", name, podName, reason)
		}
	}
	return "", fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", name, podName)
}

func findStatus(status *corev1.PodStatus, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{status.ContainerStatuses, status.InitContainerStatuses, status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
