package streaming

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/apimachinery/pkg/util/remotecommand"
)

// spdyProtocols are the remote command protocols served over SPDY, best first. On SPDY,
// v5 is v4 (a stream closes by itself; the close signal is websocket's), and v3 and v2
// report errors as text instead of a Status; v2 has no terminal resizing.
var spdyProtocols = []string{
	remotecommand.StreamProtocolV5Name, remotecommand.StreamProtocolV4Name,
	remotecommand.StreamProtocolV3Name, remotecommand.StreamProtocolV2Name,
}

// errAnswered: opening a session failed and the client has been told why.
var errAnswered = errors.New("the upgrade failed and the client was answered")

type createdStream struct {
	stream    httpstream.Stream
	replySent <-chan struct{}
}

// openSPDY upgrades an exec or attach request to SPDY/3.1 (kubectl's fallback when the
// websocket upgrade fails) and waits for the client to open its streams: error first,
// then stdin, stdout, stderr and resize as the options ask, each marked by its streamType
// header.
func openSPDY(w http.ResponseWriter, r *http.Request, opts remoteCommandOptions, idle, creation time.Duration) (*session, error) {
	if len(r.Header.Values(httpstream.HeaderProtocolVersion)) == 0 {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("unable to upgrade: %s is required", httpstream.HeaderProtocolVersion)))
		return nil, errAnswered
	}
	protocol, err := httpstream.Handshake(r, w, spdyProtocols)
	if err != nil {
		return nil, err // Handshake answered 403
	}
	created := make(chan createdStream)
	collected := make(chan struct{})
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		select {
		case created <- createdStream{st, replySent}:
			return nil
		case <-collected:
			return fmt.Errorf("unexpected stream of type %q", st.Headers().Get(corev1.StreamType))
		}
	})
	if conn == nil {
		return nil, errAnswered // UpgradeResponse answered
	}
	conn.SetIdleTimeout(idle)
	fail := func(err error) (*session, error) {
		close(collected)
		conn.Close()
		return nil, err
	}

	expected := 1 // the error stream
	for _, asked := range []bool{opts.stdin, opts.stdout, opts.stderr, opts.tty && protocol != remotecommand.StreamProtocolV2Name} {
		if asked {
			expected++
		}
	}
	var errStream, stdin, stdout, stderr, resize httpstream.Stream
	var replies []<-chan struct{}
	timeout := time.NewTimer(creation)
	defer timeout.Stop()
	for len(replies) < expected {
		select {
		case c := <-created:
			switch typ := c.stream.Headers().Get(corev1.StreamType); typ {
			case corev1.StreamTypeError:
				errStream = c.stream
			case corev1.StreamTypeStdin:
				stdin = c.stream
			case corev1.StreamTypeStdout:
				stdout = c.stream
			case corev1.StreamTypeStderr:
				stderr = c.stream
			case corev1.StreamTypeResize:
				resize = c.stream
			default:
				return fail(fmt.Errorf("unexpected stream of type %q", typ))
			}
			replies = append(replies, c.replySent)
		case <-timeout.C:
			return fail(errors.New("timed out waiting for the client to create streams"))
		case <-conn.CloseChan():
			return fail(errors.New("the client closed the connection while creating streams"))
		}
	}
	close(collected)
	for _, sent := range replies {
		select {
		case <-sent:
		case <-timeout.C:
			conn.Close()
			return nil, errors.New("timed out waiting for stream replies to be sent")
		}
	}
	if errStream == nil {
		conn.Close()
		return nil, errors.New("the client opened no error stream")
	}

	gone := make(chan struct{})
	go func() {
		<-conn.CloseChan()
		close(gone)
	}()
	sess := &session{gone: gone}
	if stdin != nil {
		sess.stdin = stdin
	}
	if stdout != nil {
		sess.stdout = stdout
	}
	if stderr != nil {
		sess.stderr = stderr
	}
	if resize != nil {
		sess.resize = readResizes(resize, make(chan struct{}))
	}
	sess.finish = func(status *metav1.Status) {
		// Output first, so that the client has all of it when it reads the status.
		for _, st := range []httpstream.Stream{stdout, stderr} {
			if st != nil {
				st.Close()
			}
		}
		logDropped("writing the exec status", writeSPDYStatus(errStream, protocol, status))
		errStream.Close()
		conn.Close()
	}
	return sess, nil
}

// writeSPDYStatus writes how the command ended: v4 and v5 as a metav1.Status, v2 and v3
// as the error's text (nothing on success).
func writeSPDYStatus(w io.Writer, protocol string, status *metav1.Status) error {
	switch protocol {
	case remotecommand.StreamProtocolV5Name, remotecommand.StreamProtocolV4Name:
		body, err := json.Marshal(status)
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	if status.Status == metav1.StatusSuccess {
		return nil
	}
	_, err := io.WriteString(w, status.Message)
	return err
}
