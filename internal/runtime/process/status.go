package process

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
)

// Limits of a termination message, as upstream's kubelet: the file is read up to 4 KiB;
// the fallback to the log takes its last 80 lines, at most 2 KiB.
const (
	maxTerminationMessage = 4096
	fallbackLogLines      = 80
	fallbackLogBytes      = 2048
)

// PodStatus implements runtime.Runtime.
func (r *Runtime) PodStatus(_ context.Context, uid types.UID) (*runtime.PodStatus, error) {
	r.mu.Lock()
	sb := r.sandboxes[uid]
	if sb == nil {
		r.mu.Unlock()
		return nil, fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	r.mu.Unlock()
	return r.podStatus(sb), nil
}

// ListPods implements runtime.Runtime.
func (r *Runtime) ListPods(context.Context) ([]*runtime.PodStatus, error) {
	r.mu.Lock()
	list := make([]*sandbox, 0, len(r.sandboxes))
	for _, sb := range r.sandboxes {
		list = append(list, sb)
	}
	r.mu.Unlock()
	out := make([]*runtime.PodStatus, 0, len(list))
	for _, sb := range list {
		out = append(out, r.podStatus(sb))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

func (r *Runtime) podStatus(sb *sandbox) *runtime.PodStatus {
	r.mu.Lock()
	st := &runtime.PodStatus{
		UID: sb.rec.UID, Name: sb.rec.Name, Namespace: sb.rec.Namespace,
		Sandbox: runtime.SandboxNotReady, CreatedAt: sb.rec.CreatedAt,
	}
	if sb.rec.Ready {
		st.Sandbox = runtime.SandboxReady
		if sb.rec.IP != "" {
			st.IPs = []string{sb.rec.IP}
		}
	}
	containers := append([]*container(nil), sb.containers...)
	r.mu.Unlock()
	for _, c := range containers {
		st.Containers = append(st.Containers, r.containerStatus(c))
	}
	return st
}

func (r *Runtime) containerStatus(c *container) runtime.ContainerStatus {
	r.mu.Lock()
	st := runtime.ContainerStatus{
		ID: c.rec.ID, Name: c.rec.Name, Init: c.rec.Init, Attempt: c.rec.Attempt, Hash: c.rec.Hash,
		Image: c.rec.Image, ImageRef: c.rec.ImageRef, CreatedAt: c.rec.CreatedAt, StartedAt: c.rec.StartedAt,
		State: c.state(),
	}
	exit, final := c.exit, c.final
	r.mu.Unlock()
	if exit == nil {
		return st
	}
	if final == nil {
		// Read once, outside the lock: the message may come from the log file.
		final = finalStateOf(c, exit.Code, exit.OOMKilled, exit.StartError)
		r.mu.Lock()
		c.final = final
		r.mu.Unlock()
	}
	st.FinishedAt, st.ExitCode, st.Reason, st.Message = exit.FinishedAt, exit.Code, final.reason, final.message
	return st
}

// finalStateOf explains an exit in the API's words: ContainerCannotRun when runc could not
// start it, OOMKilled, Completed or Error; the message is the termination message.
func finalStateOf(c *container, code int32, oom bool, startError string) *finalState {
	f := &finalState{}
	switch {
	case startError != "":
		return &finalState{reason: "ContainerCannotRun", message: startError}
	case oom:
		f.reason = "OOMKilled"
	case code == 0:
		f.reason = "Completed"
	default:
		f.reason = "Error"
	}
	f.message = readLimited(filepath.Join(c.dir, "termination-log"), maxTerminationMessage)
	if f.message == "" && code != 0 && c.rec.Spec != nil && c.rec.Spec.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
		f.message = logTail(c.rec.Log, fallbackLogLines, fallbackLogBytes)
	}
	return f
}

func readLimited(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, n))
	return string(b)
}

// logTail is the text of the last lines of a CRI log file, at most maxBytes of it.
func logTail(path string, lines, maxBytes int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	entries := bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	if len(entries) > lines {
		entries = entries[len(entries)-lines:]
	}
	out := criText(entries)
	if len(out) > maxBytes {
		out = out[len(out)-maxBytes:]
	}
	return string(out)
}

// criText is the text of CRI log entries (<time> <stream> <tag> <text>), partial lines joined.
func criText(entries [][]byte) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		fields := bytes.SplitN(e, []byte(" "), 4)
		if len(fields) < 4 {
			continue
		}
		b.Write(fields[3])
		if string(fields[2]) == "F" {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
