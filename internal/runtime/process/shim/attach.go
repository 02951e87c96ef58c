package shim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// AttachSocket is the unix socket in the container directory where the shim serves
// attach sessions. Its full path can be longer than a socket address allows, so both
// sides reach it through /proc/self/fd/<directory fd>/.
const AttachSocket = "attach.sock"

// Frame types of the attach protocol: each frame is a type byte, a big-endian uint32
// length and that many bytes. The shim sends output frames, and FrameExited alone to a
// client that connects after the container ended; a client sends stdin, resize (width and
// height as two big-endian uint16) and close-stdin frames.
const (
	FrameStdin byte = iota
	FrameStdout
	FrameStderr
	FrameResize
	FrameCloseStdin
	FrameExited
)

// maxFrame bounds a frame's payload; a larger length is a broken peer.
const maxFrame = 1 << 20

// WriteFrame sends one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.Write(append(hdr[:], payload...)); err != nil {
		return err
	}
	return nil
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("attach frame of %d bytes", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

// DialAttach connects to the attach socket of the container directory dir.
func DialAttach(dir string) (net.Conn, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return net.Dial("unix", fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), AttachSocket))
}

// listenAttach binds the attach socket of dir.
func listenAttach(dir string) (net.Listener, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	path := fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), AttachSocket)
	_ = os.Remove(path)
	return net.Listen("unix", path)
}

// hub connects attach clients to the container's stdio: output goes to every client,
// input from any client to the container's stdin.
type hub struct {
	mu        sync.Mutex
	clients   map[net.Conn]*sync.Mutex
	stdin     io.WriteCloser // nil: the container has no stdin
	tty       *os.File       // the terminal's master side, for resizes
	stdinOnce bool
	exited    bool // the container has ended: new clients are told so and turned away
	closed    bool

	// A container with stdin open was made to be attached to (kubectl run -i): its output
	// from before the first client came is kept (up to maxReplay bytes) and given to that
	// client, so that a short command's answer is not lost to the time kubectl takes to
	// attach. The log has it anyway; this is for the session.
	replay   bool
	attached bool // a client has come
	pending  []frame
	kept     int
}

type frame struct {
	typ     byte
	payload []byte
}

// maxReplay bounds the output kept for the first client.
const maxReplay = 64 << 10

// broadcast sends output to every client; one that cannot take it within a second is
// dropped rather than holding up the container.
func (h *hub) broadcast(stream string, p []byte) {
	typ := FrameStdout
	if stream == "stderr" {
		typ = FrameStderr
	}
	h.mu.Lock()
	if h.replay && !h.attached && h.kept+len(p) <= maxReplay {
		h.pending = append(h.pending, frame{typ, append([]byte(nil), p...)})
		h.kept += len(p)
	}
	clients := make(map[net.Conn]*sync.Mutex, len(h.clients))
	for c, m := range h.clients {
		clients[c] = m
	}
	h.mu.Unlock()
	for c, m := range clients {
		m.Lock()
		c.SetWriteDeadline(time.Now().Add(time.Second))
		err := WriteFrame(c, typ, p)
		m.Unlock()
		if err != nil {
			h.drop(c)
		}
	}
}

func (h *hub) drop(c net.Conn) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.Close()
}

// serve accepts clients until the listener is closed.
func (h *hub) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.exited || h.closed {
			h.mu.Unlock()
			// Said, not just hung up on: an attach to an ended container is refused (the
			// client then shows its logs), not an empty session.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			WriteFrame(c, FrameExited, nil)
			c.Close()
			continue
		}
		if !h.attached {
			// Under the lock, so that no output falls between the replay and the client.
			h.attached = true
			c.SetWriteDeadline(time.Now().Add(time.Second))
			for _, f := range h.pending {
				if WriteFrame(c, f.typ, f.payload) != nil {
					break
				}
			}
			h.pending = nil
		}
		h.clients[c] = &sync.Mutex{}
		h.mu.Unlock()
		go h.readClient(c)
	}
}

// readClient applies a client's input frames until it goes away.
func (h *hub) readClient(c net.Conn) {
	defer h.drop(c)
	for {
		typ, payload, err := ReadFrame(c)
		if err != nil {
			return
		}
		switch typ {
		case FrameStdin:
			h.mu.Lock()
			stdin := h.stdin
			h.mu.Unlock()
			if stdin != nil {
				stdin.Write(payload)
			}
		case FrameResize:
			if h.tty != nil && len(payload) == 4 {
				ws := &unix.Winsize{Col: binary.BigEndian.Uint16(payload[0:2]), Row: binary.BigEndian.Uint16(payload[2:4])}
				_ = unix.IoctlSetWinsize(int(h.tty.Fd()), unix.TIOCSWINSZ, ws)
			}
		case FrameCloseStdin:
			h.closeStdin()
		}
	}
}

// closeStdin ends the container's input when its spec says stdinOnce: the pipe is
// closed; a terminal gets an end-of-file character, as a user typing ^D.
func (h *hub) closeStdin() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stdinOnce || h.stdin == nil {
		return
	}
	if h.tty != nil {
		h.stdin.Write([]byte{4})
		return
	}
	h.stdin.Close()
	h.stdin = nil
}

// markExited turns new clients away: the container has ended (its last output may still be
// on its way to the clients already attached).
func (h *hub) markExited() {
	h.mu.Lock()
	h.exited = true
	h.mu.Unlock()
}

// closeAll ends every session: the container has exited.
func (h *hub) closeAll() {
	h.mu.Lock()
	h.closed = true
	clients := h.clients
	h.clients = map[net.Conn]*sync.Mutex{}
	h.mu.Unlock()
	for c := range clients {
		c.Close()
	}
}

// ReceiveConsole accepts runc's connection on the console socket and returns the
// terminal's master side it sends.
func ReceiveConsole(ln *net.UnixListener) (*os.File, error) {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return nil, errors.New("runc sent no terminal")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return nil, errors.New("runc sent no terminal")
	}
	return os.NewFile(uintptr(fds[0]), "console"), nil
}
