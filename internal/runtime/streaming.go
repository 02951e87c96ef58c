package runtime

import (
	"context"
	"errors"
	"io"

	"k8s.io/apimachinery/pkg/types"
)

// ErrContainerNotRunning: Exec or Attach was asked of a container that is not running.
var ErrContainerNotRunning = errors.New("runtime: container is not running")

// Streamer is implemented by runtimes that serve `kubectl logs`, `exec`, `attach` and
// `port-forward`. It is optional: the agent's streaming server (internal/agent/streaming)
// finds it with a type assertion on the Runtime and answers those requests with an error
// when it is missing. The agent's server does the protocol work (websocket, SPDY, the
// CRI log format's options); a Streamer only moves bytes. Calls arrive concurrently, for
// the same container too, and each ends when its ctx ends (the client went away).
type Streamer interface {
	// ContainerLogs opens the log of one container instance (an ID PodStatus reported,
	// running or exited) in the CRI log format, one entry per line:
	//
	//	<RFC3339Nano time> <stdout|stderr> <F|P> <text>\n
	//
	// P marks a partial line continued by the next entry; F ends a line. The log starts
	// at the instance's first output (older rotated files included, if the runtime
	// rotates) and is read to its end. With follow, Read blocks at the end until more is
	// written and returns io.EOF once the instance has exited and everything was read;
	// without follow it returns io.EOF at the current end. Closing the reader or ending
	// ctx unblocks a pending Read. ErrNotFound: no such instance (or its log is gone).
	ContainerLogs(ctx context.Context, containerID string, follow bool) (io.ReadCloser, error)

	// Exec runs cmd in the running container and returns its exit code once it has
	// exited and its output has been written to streams. An error means it could not be
	// run at all (ErrNotFound, ErrContainerNotRunning, no such executable); ctx ending
	// kills it.
	Exec(ctx context.Context, containerID string, cmd []string, streams Streams) (exitCode int, err error)

	// Attach connects streams to the running container's own stdio: what the container
	// writes from now on goes to Stdout and Stderr (and, as always, to its log), Stdin
	// feeds the container's stdin. It returns when the container exits or ctx ends. When
	// Stdin reaches EOF and StdinOnce is set, the container's stdin is closed (a shell
	// reading it then exits, which is how `kubectl run -i --rm` ends its pod); without
	// StdinOnce the container's stdin stays open for the next attach, and Attach carries
	// on streaming output. Errors as for Exec.
	Attach(ctx context.Context, containerID string, streams Streams) error

	// PortForward connects stream to TCP port on the loopback of the pod's network
	// namespace and copies both ways until either side ends or ctx ends; it closes
	// nothing of stream's (the caller does). An error says why the connection could not
	// be made (ErrNotFound: no such pod; connection refused). It is the only call keyed
	// by pod: ports belong to the sandbox, not to a container.
	PortForward(ctx context.Context, podUID types.UID, port int32, stream io.ReadWriter) error
}

// Streams are the standard streams of an exec or attach session. A nil member was not
// asked for: its output is discarded, or there is no input.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr is nil with TTY: a terminal merges both outputs into Stdout.
	Stderr io.Writer
	// TTY asks for a terminal: input is echoed and line endings are CRLF, as a pty does.
	TTY bool
	// Resize delivers the client's terminal size changes while TTY is set (nil otherwise).
	// The first size arrives as soon as the client knows it; the channel is closed when
	// the session ends. Only the latest size is kept for a slow reader.
	Resize <-chan TerminalSize
	// StdinOnce mirrors the container's spec.stdinOnce (Attach only): the agent passes it
	// so that runtimes need not remember the spec.
	StdinOnce bool
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Width, Height uint16
}
