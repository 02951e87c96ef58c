package streaming

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/remotecommand"

	"ordinal.dev/ordinal/internal/runtime"
)

// remoteCommandOptions are what an exec or attach request asks for. The apiserver's names
// (stdin, stdout, stderr) and the kubelet's (input, output, error) are both accepted.
type remoteCommandOptions struct {
	command                    []string
	stdin, stdout, stderr, tty bool
}

func parseRemoteCommandOptions(q url.Values, exec bool) (remoteCommandOptions, error) {
	flag := func(a, b string) bool { return isTrue(q.Get(a)) || isTrue(q.Get(b)) }
	o := remoteCommandOptions{
		command: q["command"],
		stdin:   flag("stdin", "input"), stdout: flag("stdout", "output"), stderr: flag("stderr", "error"),
		tty: isTrue(q.Get("tty")),
	}
	if exec && len(o.command) == 0 {
		return o, errors.New("you must specify at least 1 command")
	}
	if !o.stdin && !o.stdout && !o.stderr {
		return o, errors.New("you must specify at least 1 of stdin, stdout, stderr")
	}
	// A terminal merges stderr into stdout: clients open no stderr stream with a tty.
	if o.tty {
		o.stderr = false
	}
	return o, nil
}

// session is an upgraded exec or attach connection, whatever its protocol. A nil stream
// was not asked for.
type session struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	resize         <-chan runtime.TerminalSize
	// gone is closed when the client's connection has ended.
	gone <-chan struct{}
	// finish reports how the command ended and closes the session.
	finish func(*metav1.Status)
}

// remoteCommandHandler serves exec or attach (kind) on both protocols.
func (s *Server) remoteCommandHandler(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowedMethod(w, r) {
			return
		}
		opts, err := parseRemoteCommandOptions(r.URL.Query(), kind == "exec")
		if err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
		pod, err := s.getPod(r.Context(), r)
		if err != nil {
			writeError(w, err)
			return
		}
		name := r.PathValue("container")
		id, err := s.runningContainer(r.Context(), pod, name)
		if err != nil {
			writeError(w, err)
			return
		}
		var sess *session
		if wsstream.IsWebSocketRequest(r) {
			sess, err = openWebSocket(w, r, opts, s.cfg.StreamIdleTimeout)
		} else {
			sess, err = openSPDY(w, r, opts, s.cfg.StreamIdleTimeout, s.cfg.StreamCreationTimeout)
		}
		if err != nil {
			logDropped(kind+": opening the session", err) // the client has been answered
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-sess.gone:
				cancel()
			case <-ctx.Done():
			}
		}()
		streams := runtime.Streams{Stdin: sess.stdin, Stdout: sess.stdout, Stderr: sess.stderr, TTY: opts.tty}
		if opts.tty {
			streams.Resize = sess.resize
		}
		var code int
		if kind == "exec" {
			code, err = s.streamer.Exec(ctx, id, opts.command, streams)
		} else {
			if spec := containerSpec(pod, name); spec != nil {
				streams.StdinOnce = spec.StdinOnce
			}
			err = s.streamer.Attach(ctx, id, streams)
		}
		sess.finish(commandStatus(code, err))
	}
}

// commandStatus is how the kubelet reports the end of a command on the error stream:
// Success, NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it), or
// an internal error saying why the command could not run.
func commandStatus(code int, err error) *metav1.Status {
	switch {
	case err != nil:
		st := apierrors.NewInternalError(fmt.Errorf("error executing command in container: %w", err)).Status()
		return &st
	case code != 0:
		return &metav1.Status{
			Status:  metav1.StatusFailure,
			Reason:  remotecommand.NonZeroExitCodeReason,
			Message: fmt.Sprintf("command terminated with non-zero exit code: exit status %d", code),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{
				Type: remotecommand.ExitCodeCauseType, Message: strconv.Itoa(code),
			}}},
		}
	}
	return &metav1.Status{Status: metav1.StatusSuccess}
}

// readResizes decodes the terminal sizes a client sends (a stream of JSON objects) into
// a channel that keeps only the latest size; when the stream ends (with the session) it
// closes the channel, then done.
func readResizes(r io.Reader, done chan<- struct{}) <-chan runtime.TerminalSize {
	sizes := make(chan runtime.TerminalSize, 1)
	go func() {
		defer close(done)
		defer close(sizes)
		dec := json.NewDecoder(r)
		for {
			var size struct{ Width, Height uint16 }
			if err := dec.Decode(&size); err != nil {
				io.Copy(io.Discard, r) // keep the connection's reader moving until it ends
				return
			}
			sz := runtime.TerminalSize{Width: size.Width, Height: size.Height}
			select {
			case sizes <- sz:
			default:
				select {
				case <-sizes:
				default:
				}
				select {
				case sizes <- sz:
				default:
				}
			}
		}
	}()
	return sizes
}
