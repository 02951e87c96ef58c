package process

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

var _ runtime.Streamer = (*Runtime)(nil)

// logPollPeriod is how often a followed log looks for more output.
const logPollPeriod = 100 * time.Millisecond

// ContainerLogs implements runtime.Streamer over the container's log files: the rotated
// ones oldest first, then the current one, followed across rotations.
func (r *Runtime) ContainerLogs(ctx context.Context, id string, follow bool) (io.ReadCloser, error) {
	r.mu.Lock()
	c := r.containers[id]
	r.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	exited := func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return c.exit != nil
	}
	lr := &logReader{ctx: ctx, path: c.rec.Log, follow: follow, exited: exited, closed: make(chan struct{})}
	for i := r.opts.LogMaxFiles - 1; i >= 1; i-- {
		if f, err := os.Open(fmt.Sprintf("%s.%d", c.rec.Log, i)); err == nil {
			lr.older = append(lr.older, f)
		}
	}
	lr.cur, _ = os.Open(c.rec.Log)
	return lr, nil
}

// logReader reads a container's log files in order.
type logReader struct {
	ctx    context.Context
	path   string
	follow bool
	exited func() bool

	mu        sync.Mutex
	older     []*os.File
	cur       *os.File
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *logReader) Read(p []byte) (int, error) {
	for {
		l.mu.Lock()
		n, err, again := l.readLocked(p)
		l.mu.Unlock()
		if n > 0 || err != nil {
			return n, err
		}
		if !again {
			return 0, io.EOF
		}
		select {
		case <-l.ctx.Done():
			return 0, io.EOF
		case <-l.closed:
			return 0, io.EOF
		case <-time.After(logPollPeriod):
		}
	}
}

// readLocked reads what is there; again says that more may come (follow).
func (l *logReader) readLocked(p []byte) (int, error, bool) {
	for len(l.older) > 0 {
		n, err := l.older[0].Read(p)
		if n > 0 {
			return n, nil, true
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err, false
		}
		l.older[0].Close()
		l.older = l.older[1:]
	}
	exited := l.exited()
	if l.cur == nil {
		l.cur, _ = os.Open(l.path)
		if l.cur == nil {
			return 0, nil, l.follow && !exited
		}
	}
	n, err := l.cur.Read(p)
	if n > 0 {
		return n, nil, true
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err, false
	}
	if !l.follow {
		return 0, nil, false
	}
	// At the end of the file held: if the shim rotated it, go on with the new one.
	if rotated(l.cur, l.path) {
		l.cur.Close()
		l.cur = nil
		return 0, nil, true
	}
	// The shim writes all output before it records the exit, so an exited container's
	// log is complete once read to here.
	return 0, nil, !exited
}

func rotated(f *os.File, path string) bool {
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && !os.SameFile(held, now)
}

func (l *logReader) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.older {
		f.Close()
	}
	l.older = nil
	if l.cur != nil {
		l.cur.Close()
		l.cur = nil
	}
	return nil
}

// Exec implements runtime.Streamer with `runc exec`, on a terminal when asked.
func (r *Runtime) Exec(ctx context.Context, id string, command []string, streams runtime.Streams) (int, error) {
	c, err := r.streamTarget(id)
	if err != nil {
		return 0, err
	}
	if len(command) == 0 {
		return 0, errors.New("exec: no command")
	}
	logFile := filepath.Join(c.dir, "exec-"+newID()[:12]+".log")
	defer os.Remove(logFile)
	args := []string{"--root", r.dirs.runc, "--log", logFile, "--log-format", "json", "exec"}
	if streams.TTY {
		return r.execTTY(ctx, c, args, command, streams, logFile)
	}
	cmd := exec.CommandContext(ctx, r.opts.Runc, append(append(args, c.rec.ID), command...)...)
	cmd.Stdout, cmd.Stderr = orDiscard(streams.Stdout), orDiscard(streams.Stderr)
	cmd.WaitDelay = time.Second
	if streams.Stdin != nil {
		in, err := cmd.StdinPipe()
		if err != nil {
			return 0, err
		}
		go func() {
			io.Copy(in, streams.Stdin)
			in.Close()
		}()
	}
	return execResult(cmd.Run(), logFile)
}

// execTTY runs `runc exec --tty` in the foreground. runc then wants a terminal of its own
// to bridge to the container's: it gets the far side of a pseudo-terminal as its stdio
// and controlling terminal (so that a resize here reaches it as SIGWINCH), and the
// session is served from the near side.
func (r *Runtime) execTTY(ctx context.Context, c *container, args, command []string, streams runtime.Streams, logFile string) (int, error) {
	master, slave, err := openPty()
	if err != nil {
		return 0, err
	}
	defer master.Close()
	cmd := exec.CommandContext(ctx, r.opts.Runc, append(append(args, "--tty", c.rec.ID), command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = cmd.Start()
	slave.Close()
	if err != nil {
		return 0, err
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(orDiscard(streams.Stdout), master) // EIO once runc's side closes
		close(copied)
	}()
	if streams.Stdin != nil {
		go io.Copy(master, streams.Stdin)
	}
	if streams.Resize != nil {
		go func() {
			for size := range streams.Resize {
				_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: size.Width, Row: size.Height})
			}
		}()
	}
	err = cmd.Wait()
	select {
	case <-copied:
	case <-time.After(time.Second):
	}
	return execResult(err, logFile)
}

// openPty opens a new pseudo-terminal pair.
func openPty() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// execResult turns runc exec's outcome into the process's exit code, or the error that
// kept it from running (runc logs it).
func execResult(err error, logFile string) (int, error) {
	if msg := runcLogError(logFile); msg != "" {
		return 0, errors.New(msg)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), nil
	case err != nil:
		return 0, err
	}
	return 0, nil
}

// runcLogError is the last error runc wrote to its JSON log.
func runcLogError(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	msg := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var e struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && (e.Level == "error" || e.Level == "fatal") {
			msg = e.Msg
		}
	}
	return msg
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// streamTarget is a running container for exec and attach.
func (r *Runtime) streamTarget(id string) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return nil, fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	if c.state() != runtime.ContainerRunning {
		return nil, fmt.Errorf("container %s: %w", c.rec.Name, runtime.ErrContainerNotRunning)
	}
	return c, nil
}

// Attach implements runtime.Streamer through the shim's attach socket.
func (r *Runtime) Attach(ctx context.Context, id string, streams runtime.Streams) error {
	c, err := r.streamTarget(id)
	if err != nil {
		return err
	}
	conn, err := shim.DialAttach(c.dir)
	if err != nil {
		return fmt.Errorf("attaching to container %s: %w", c.rec.Name, err)
	}
	defer conn.Close()
	var wmu sync.Mutex
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return shim.WriteFrame(conn, typ, p)
	}
	if streams.Stdin != nil {
		go func() {
			buf := make([]byte, 32*1024)
			for {
				n, err := streams.Stdin.Read(buf)
				if n > 0 && send(shim.FrameStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					if streams.StdinOnce {
						send(shim.FrameCloseStdin, nil)
					}
					return
				}
			}
		}()
	}
	if streams.Resize != nil {
		go func() {
			for size := range streams.Resize {
				var p [4]byte
				binary.BigEndian.PutUint16(p[0:2], size.Width)
				binary.BigEndian.PutUint16(p[2:4], size.Height)
				if send(shim.FrameResize, p[:]) != nil {
					return
				}
			}
		}()
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	stdout, stderr := orDiscard(streams.Stdout), orDiscard(streams.Stderr)
	if streams.TTY {
		stderr = stdout
	}
	for first := true; ; first = false {
		typ, payload, err := shim.ReadFrame(conn)
		if err != nil {
			return nil // the container exited (the shim hung up) or ctx ended
		}
		switch typ {
		case shim.FrameExited:
			if first {
				// It ended before we came: as upstream, no attach to an ended container.
				return fmt.Errorf("container %s: %w", c.rec.Name, runtime.ErrContainerNotRunning)
			}
		case shim.FrameStdout:
			stdout.Write(payload)
		case shim.FrameStderr:
			stderr.Write(payload)
		}
	}
}

// PortForward implements runtime.Streamer: it connects to the port on the loopback of
// the pod's network namespace.
func (r *Runtime) PortForward(ctx context.Context, uid types.UID, port int32, stream io.ReadWriter) error {
	r.mu.Lock()
	sb := r.sandboxes[uid]
	var rec sandboxRecord
	if sb != nil {
		rec = sb.rec
	}
	r.mu.Unlock()
	if sb == nil {
		return fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	var conn net.Conn
	var err error
	if rec.HostNetwork {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		if !rec.Ready {
			return fmt.Errorf("pod %s/%s: %w", rec.Namespace, rec.Name, runtime.ErrSandboxNotReady)
		}
		conn, err = dialInNetns(ctx, rec.NetNS, addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	go func() { io.Copy(conn, stream); done <- struct{}{} }()
	go func() { io.Copy(stream, conn); done <- struct{}{} }()
	<-done
	return nil
}

// dialInNetns connects to addr from inside the network namespace at path. The socket is
// made by a thread that enters the namespace and is never used again.
func dialInNetns(ctx context.Context, path, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread ends with the goroutine
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: err}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ch <- result{err: fmt.Errorf("entering the pod's network namespace: %w", err)}
			return
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if errors.Is(err, syscall.ECONNREFUSED) {
			err = fmt.Errorf("connection refused: nothing listens on %s in the pod", addr)
		}
		ch <- result{conn, err}
	}()
	res := <-ch
	return res.conn, res.err
}
