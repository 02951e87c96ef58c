package streaming

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/remotecommand"
)

// The websocket channel protocol kubectl 1.32 speaks first for exec and attach:
// v5.channel.k8s.io. Every binary message starts with its channel: 0 stdin, 1 stdout,
// 2 stderr, 3 the final status, 4 terminal sizes; v5 adds the message [255, n], which
// closes channel n (the client sends [255, 0] when its stdin ends). v4 is the same without
// the close signal. The framing is small enough to write here, which lets the session end
// with a proper close handshake instead of a connection torn down under a reader.

// websocketProtocols are the subprotocols served, best first.
var websocketProtocols = []string{remotecommand.StreamProtocolV5Name, remotecommand.StreamProtocolV4Name}

// closeSignal is v5's channel-close message type.
const closeSignal = remotecommand.StreamClose

// channelConn is an upgraded websocket carrying channels.
type channelConn struct {
	ws   *websocket.Conn
	v5   bool
	idle time.Duration

	writeMu sync.Mutex

	stdinR, resizeR *io.PipeReader
	stdinW, resizeW *io.PipeWriter
	readDone        chan struct{} // closed when the client closed or dropped the connection
}

// openWebSocket upgrades an exec or attach request to the channel protocol.
func openWebSocket(w http.ResponseWriter, r *http.Request, opts remoteCommandOptions, idle time.Duration) (*session, error) {
	offered := websocket.Subprotocols(r)
	protocol := ""
	for _, p := range websocketProtocols {
		if slices.Contains(offered, p) {
			protocol = p
			break
		}
	}
	if protocol == "" {
		// kubectl takes any answer but 101 as the cue to fall back to SPDY.
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("websocket subprotocols %v are not supported; supported: %v", offered, websocketProtocols)))
		return nil, errAnswered
	}
	up := websocket.Upgrader{
		Subprotocols: []string{protocol},
		// Clients authenticated to the apiserver; browsers' origins are not a concern here.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return nil, err // Upgrade answered
	}
	c := &channelConn{ws: ws, v5: protocol == remotecommand.StreamProtocolV5Name, idle: idle, readDone: make(chan struct{})}
	c.resizeR, c.resizeW = io.Pipe()
	sess := &session{gone: c.readDone, resize: readResizes(c.resizeR, make(chan struct{}))}
	if opts.stdin {
		c.stdinR, c.stdinW = io.Pipe()
		sess.stdin = c.stdinR
	}
	if opts.stdout {
		sess.stdout = &channelWriter{c, remotecommand.StreamStdOut}
	}
	if opts.stderr {
		sess.stderr = &channelWriter{c, remotecommand.StreamStdErr}
	}
	sess.finish = c.finish
	go c.readLoop()
	return sess, nil
}

// readLoop delivers the client's messages to their channels until the connection ends.
func (c *channelConn) readLoop() {
	defer close(c.readDone)
	defer c.resizeW.Close()
	if c.stdinW != nil {
		defer c.stdinW.Close()
	}
	for {
		if c.idle > 0 {
			c.ws.SetReadDeadline(time.Now().Add(c.idle))
		}
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.BinaryMessage || len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case remotecommand.StreamStdIn:
			if c.stdinW != nil {
				c.stdinW.Write(msg[1:]) // fails once the command stopped reading: dropped
			}
		case remotecommand.StreamResize:
			c.resizeW.Write(msg[1:])
		case closeSignal:
			if c.v5 && len(msg) == 2 && msg[1] == remotecommand.StreamStdIn && c.stdinW != nil {
				c.stdinW.Close()
			}
		}
	}
}

func (c *channelConn) write(channel byte, data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.idle > 0 {
		c.ws.SetWriteDeadline(time.Now().Add(c.idle))
	}
	return c.ws.WriteMessage(websocket.BinaryMessage, append([]byte{channel}, data...))
}

// finish sends the status, then closes the websocket the polite way: a close message, the
// client's answer, then the connection.
func (c *channelConn) finish(status *metav1.Status) {
	body, _ := json.Marshal(status)
	logDropped("writing the exec status", c.write(remotecommand.StreamErr, body))
	// Unblock a read loop stuck handing stdin or sizes to nobody.
	if c.stdinR != nil {
		c.stdinR.Close()
	}
	c.resizeR.Close()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err == nil {
		select {
		case <-c.readDone:
		case <-time.After(5 * time.Second):
		}
	}
	c.ws.Close()
}

// channelWriter writes to one channel.
type channelWriter struct {
	c       *channelConn
	channel byte
}

func (w *channelWriter) Write(p []byte) (int, error) {
	if err := w.c.write(w.channel, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
