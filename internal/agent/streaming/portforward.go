package streaming

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/portforward"
	clientportforward "k8s.io/client-go/tools/portforward"
)

// servePortForward answers /portForward/{namespace}/{pod}[/{uid}]. Both forms carry one
// SPDY/3.1 session in which the client opens, per connection it forwards, an error stream
// and a data stream with the same requestID and port headers: kubectl 1.32 first asks for
// a websocket with the "SPDY/3.1+portforward.k8s.io" subprotocol, whose binary messages
// tunnel the session, then falls back to a plain SPDY/3.1 upgrade.
func (s *Server) servePortForward(w http.ResponseWriter, r *http.Request) {
	if !allowedMethod(w, r) {
		return
	}
	pod, err := s.getPod(r.Context(), r)
	if err != nil {
		writeError(w, err)
		return
	}
	fwd := &forwarder{s: s, pod: pod.Name + "_" + pod.Namespace, uid: string(pod.UID), done: make(chan struct{})}
	fwd.forward = func(ctx context.Context, port int32, st httpstream.Stream) error {
		return s.streamer.PortForward(ctx, pod.UID, port, st)
	}
	switch {
	case wsstream.IsWebSocketRequestWithTunnelingProtocol(r):
		up := websocket.Upgrader{
			Subprotocols: []string{portforward.WebsocketsSPDYTunnelingPortForwardV1},
			CheckOrigin:  func(*http.Request) bool { return true },
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade answered
		}
		streams := make(chan httpstream.Stream)
		conn, err := spdy.NewServerConnection(clientportforward.NewTunnelingConnection("server", ws), fwd.streamReceived(streams))
		if err != nil {
			ws.Close()
			logDropped("port-forward: starting SPDY in the tunnel", err)
			return
		}
		fwd.serve(conn, streams)
	case wsstream.IsWebSocketRequest(r):
		writeError(w, apierrors.NewBadRequest("port-forward over websocket needs the subprotocol "+portforward.WebsocketsSPDYTunnelingPortForwardV1))
	default:
		if len(r.Header.Values(httpstream.HeaderProtocolVersion)) == 0 {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("unable to upgrade: %s is required", httpstream.HeaderProtocolVersion)))
			return
		}
		if _, err := httpstream.Handshake(r, w, []string{portforward.PortForwardV1Name}); err != nil {
			return // Handshake answered 403
		}
		streams := make(chan httpstream.Stream)
		conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, fwd.streamReceived(streams))
		if conn == nil {
			return // UpgradeResponse answered
		}
		fwd.serve(conn, streams)
	}
}

// forwarder pairs the streams of one port-forward session and forwards each pair.
type forwarder struct {
	s        *Server
	pod, uid string // for error messages, as the kubelet words them
	forward  func(ctx context.Context, port int32, data httpstream.Stream) error
	done     chan struct{} // closed when serve returns: later streams are refused
}

// streamReceived accepts a stream the client opens if its headers make sense, and hands
// it to serve.
func (f *forwarder) streamReceived(streams chan<- httpstream.Stream) httpstream.NewStreamHandler {
	return func(st httpstream.Stream, _ <-chan struct{}) error {
		h := st.Headers()
		if _, err := parsePort(h.Get(corev1.PortHeader)); err != nil {
			return err
		}
		switch typ := h.Get(corev1.StreamType); typ {
		case corev1.StreamTypeError, corev1.StreamTypeData:
		default:
			return fmt.Errorf("invalid stream type %q", typ)
		}
		if h.Get(corev1.PortForwardRequestIDHeader) == "" {
			return errors.New("missing requestID header")
		}
		select {
		case streams <- st:
			return nil
		case <-f.done:
			return errors.New("the port-forward session is over")
		}
	}
}

func parsePort(v string) (int32, error) {
	if v == "" {
		return 0, errors.New("missing port header")
	}
	p, err := strconv.ParseUint(v, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("unable to parse %q as a port: %v", v, err)
	}
	if p < 1 {
		return 0, fmt.Errorf("port %q must be > 0", v)
	}
	return int32(p), nil
}

// streamPair is the error and data streams of one forwarded connection.
type streamPair struct {
	id          string
	data, error httpstream.Stream
}

// serve pairs streams by requestID and forwards every complete pair until the client
// closes the connection. A pair left incomplete for the stream creation timeout is reset.
func (f *forwarder) serve(conn httpstream.Connection, streams <-chan httpstream.Stream) {
	conn.SetIdleTimeout(f.s.cfg.StreamIdleTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		close(f.done)
		cancel()
		conn.Close()
		wg.Wait()
	}()
	pairs := map[string]*streamPair{}
	expired := make(chan string)
	for {
		select {
		case <-conn.CloseChan():
			return
		case id := <-expired:
			if p := pairs[id]; p != nil {
				delete(pairs, id)
				for _, st := range []httpstream.Stream{p.data, p.error} {
					if st != nil {
						st.Reset()
					}
				}
			}
		case st := <-streams:
			id := st.Headers().Get(corev1.PortForwardRequestIDHeader)
			p := pairs[id]
			if p == nil {
				p = &streamPair{id: id}
				pairs[id] = p
				time.AfterFunc(f.s.cfg.StreamCreationTimeout, func() {
					select {
					case expired <- id:
					case <-ctx.Done():
					}
				})
			}
			if st.Headers().Get(corev1.StreamType) == corev1.StreamTypeError {
				p.error = st
			} else {
				p.data = st
			}
			if p.data != nil && p.error != nil {
				delete(pairs, id)
				wg.Add(1)
				go func() {
					defer wg.Done()
					f.forwardPair(ctx, conn, p)
				}()
			}
		}
	}
}

// forwardPair connects one pair's data stream to the pod's port; why it could not is
// written to the error stream, where the client reads it.
func (f *forwarder) forwardPair(ctx context.Context, conn httpstream.Connection, p *streamPair) {
	defer conn.RemoveStreams(p.data, p.error)
	defer p.error.Close()
	defer p.data.Close()
	port, _ := parsePort(p.data.Headers().Get(corev1.PortHeader))
	if err := f.forward(ctx, port, p.data); err != nil {
		msg := fmt.Sprintf("error forwarding port %d to pod %s, uid %v: %v", port, f.pod, f.uid, err)
		_, werr := p.error.Write([]byte(msg))
		logDropped("port-forward: writing the error", werr)
	}
}
