package sim

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"

	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
)

// Streaming on the sim (runtime.Streamer), small enough for tests and demos:
//
//   - Logs: a container instance logs one line when it starts (`sim: container "app"
//     started (image …, attempt N)`) and one when it exits (`… exited with code N
//     (Reason)`); in between come the lines of attach sessions and of AppendLog, a test
//     hook. Following a log ends when the instance exits.
//   - Exec runs a tiny built-in shell: echo [-n], cat (stdin, /etc/hostname,
//     /etc/hosts), hostname, env/printenv, pwd, true, false, sleep N, exit N, and sh -c
//     "…" with ; && || between commands, quotes, $VAR, and the redirections >&2, 2>&1
//     and >/dev/null. Anything else is "not found" (exit 127). No pipes.
//   - Attach talks to the same shell as if the container's command were one: with stdin
//     each line is run and its output also goes to the log (`exit N` ends the container
//     with N); when stdin ends on a stdinOnce container, the container exits 0. Without
//     stdin an attach streams the container's new log lines.
//   - Port-forward reaches a responder that answers HTTP requests with 200 and a line
//     naming the pod, port and request, and echoes anything else line by line.

// streamState is what streaming needs beyond containers.go's records: the output written
// after start, by container ID, and a channel closed (and replaced) whenever it grows.
type streamState struct {
	mu       sync.Mutex
	output   map[string][]logEntry
	changed  chan struct{}
	sessions uint64 // attach sessions so far
}

type logEntry struct {
	at      time.Time
	stream  string // stdout or stderr
	text    string // one line, without its newline
	session uint64 // the attach session that wrote it (0: none); it has shown it already
}

// streamStates holds each Runtime's streamState without keeping the Runtime alive; it
// stands in for a field of Runtime.
var streamStates sync.Map // weak.Pointer[Runtime] → *streamState

func (r *Runtime) streaming() *streamState {
	key := weak.Make(r)
	if s, ok := streamStates.Load(key); ok {
		return s.(*streamState)
	}
	s, loaded := streamStates.LoadOrStore(key, &streamState{output: map[string][]logEntry{}, changed: make(chan struct{})})
	if !loaded {
		goruntime.AddCleanup(r, func(k weak.Pointer[Runtime]) { streamStates.Delete(k) }, key)
	}
	return s.(*streamState)
}

var _ runtime.Streamer = (*Runtime)(nil)

// AppendLog writes line to the log of the running instance of a pod's container, as if
// the container had printed it: a test hook for playing the workload.
func (r *Runtime) AppendLog(uid types.UID, name, line string) error {
	r.mu.Lock()
	var id string
	if sb := r.sandboxes[uid]; sb != nil {
		now := r.clock.Now()
		for _, c := range sb.containers {
			c.advance(now)
			if c.name == name && c.running() {
				id = c.id
			}
		}
	}
	r.mu.Unlock()
	if id == "" {
		return fmt.Errorf("no running container %q in pod %s: %w", name, uid, runtime.ErrNotFound)
	}
	r.appendOutput(id, "stdout", line, 0)
	return nil
}

func (r *Runtime) appendOutput(id, stream, text string, session uint64) {
	now := r.clock.Now()
	s := r.streaming()
	s.mu.Lock()
	first := len(s.output[id]) == 0
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		s.output[id] = append(s.output[id], logEntry{at: now, stream: stream, text: strings.TrimSuffix(line, "\r"), session: session})
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if first {
		r.forgetOutput() // a new container writes: drop what removed ones left
	}
}

func (r *Runtime) newSession() uint64 {
	s := r.streaming()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions++
	return s.sessions
}

// outputSince returns the container's entries from index from on, and the channel that
// is closed when there are more.
func (r *Runtime) outputSince(id string, from int) ([]logEntry, <-chan struct{}) {
	s := r.streaming()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.output[id]
	if from > len(out) {
		from = len(out)
	}
	return out[from:], s.changed
}

// forgetOutput drops the output of containers the runtime no longer knows.
func (r *Runtime) forgetOutput() {
	s := r.streaming()
	s.mu.Lock()
	ids := make([]string, 0, len(s.output))
	for id := range s.output {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	r.mu.Lock()
	var gone []string
	for _, id := range ids {
		if r.containers[id] == nil {
			gone = append(gone, id)
		}
	}
	r.mu.Unlock()
	s.mu.Lock()
	for _, id := range gone {
		delete(s.output, id)
	}
	s.mu.Unlock()
}

// snapshot is a container's state as streaming needs it, taken under r.mu.
type snapshot struct {
	name, image      string
	attempt          uint32
	hostname         string
	started, exited  bool
	startedAt, endAt time.Time
	result           exit
	exitAt           time.Time
	done             <-chan struct{}
}

func (r *Runtime) snapshot(id string) (snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookupLocked(id)
	if err != nil {
		return snapshot{}, err
	}
	c.advance(r.clock.Now())
	s := snapshot{
		name: c.name, image: c.image, attempt: c.attempt, started: c.started(), exited: c.exited,
		startedAt: c.startedAt, endAt: c.finishedAt, result: c.result, exitAt: c.exitAt, done: c.done,
	}
	if sb := r.sandboxes[c.podUID]; sb != nil {
		s.hostname = sb.name
	}
	return s, nil
}

// exitTimer fires when a running container's planned exit is due (nil: none planned).
func (r *Runtime) exitTimer(s snapshot) (<-chan time.Time, func()) {
	if s.exited || s.exitAt.IsZero() {
		return nil, func() {}
	}
	d := s.exitAt.Sub(r.clock.Now())
	if d <= 0 {
		// Due already (the clock moved since the snapshot); a fake clock would not fire
		// a timer of zero until it moves again.
		due := make(chan time.Time, 1)
		due <- s.exitAt
		return due, func() {}
	}
	t := r.clock.NewTimer(d)
	return t.C(), func() { t.Stop() }
}

// ContainerLogs implements runtime.Streamer.
func (r *Runtime) ContainerLogs(ctx context.Context, id string, follow bool) (io.ReadCloser, error) {
	if _, err := r.snapshot(id); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		pw.CloseWithError(r.writeLog(ctx, id, follow, pw))
	}()
	return &cancelReader{ReadCloser: pr, cancel: cancel}, nil
}

type cancelReader struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelReader) Close() error { c.cancel(); return c.ReadCloser.Close() }

func (r *Runtime) writeLog(ctx context.Context, id string, follow bool, w io.Writer) error {
	wroteStart, next := false, 0
	for {
		s, err := r.snapshot(id)
		if err != nil {
			return nil // removed: its log is gone, end here
		}
		entries, changed := r.outputSince(id, next)
		if s.started && !wroteStart {
			wroteStart = true
			msg := fmt.Sprintf("sim: container %q started (image %s, attempt %d)", s.name, s.image, s.attempt)
			if err := writeCRI(w, logEntry{at: s.startedAt, stream: "stdout", text: msg}); err != nil {
				return err
			}
		}
		for _, e := range entries {
			if err := writeCRI(w, e); err != nil {
				return err
			}
		}
		next += len(entries)
		if s.exited {
			msg := fmt.Sprintf("sim: container %q exited with code %d (%s)", s.name, s.result.code, s.result.reason)
			return writeCRI(w, logEntry{at: s.endAt, stream: "stdout", text: msg})
		}
		if !follow {
			return nil
		}
		due, stop := r.exitTimer(s)
		// A container that has not started yet gives no signal when it does: look again soon.
		var poll <-chan time.Time
		if !s.started {
			poll = r.clock.After(50 * time.Millisecond)
		}
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-changed:
		case <-s.done:
		case <-due:
		case <-poll:
		}
		stop()
	}
}

func writeCRI(w io.Writer, e logEntry) error {
	_, err := fmt.Fprintf(w, "%s %s F %s\n", e.at.UTC().Format(time.RFC3339Nano), e.stream, e.text)
	return err
}

// Exec implements runtime.Streamer: it runs the sim shell.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string, streams runtime.Streams) (int, error) {
	s, err := r.snapshot(id)
	if err != nil {
		return 0, err
	}
	if !s.started || s.exited {
		return 0, fmt.Errorf("container %s: %w", s.name, runtime.ErrContainerNotRunning)
	}
	if len(cmd) == 0 {
		return 0, fmt.Errorf("exec: no command")
	}
	go drainResizes(ctx, streams.Resize)
	sh := r.newShell(ctx, s, streams)
	if !sh.known(cmd[0]) {
		return 0, fmt.Errorf("exec: %q: executable file not found in $PATH", cmd[0])
	}
	code := sh.run(cmd)
	return code, nil
}

// Attach implements runtime.Streamer.
func (r *Runtime) Attach(ctx context.Context, id string, streams runtime.Streams) error {
	s, err := r.snapshot(id)
	if err != nil {
		return err
	}
	if !s.started || s.exited {
		return fmt.Errorf("container %s: %w", s.name, runtime.ErrContainerNotRunning)
	}
	go drainResizes(ctx, streams.Resize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The container's output reaches this session through its log, except what this
	// session's own shell printed, which it shows directly to keep it in order with the
	// prompt and the terminal's echo.
	session := r.newSession()
	existing, _ := r.outputSince(id, 0)
	from := len(existing)
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		r.copyOutput(ctx, id, from, session, streams)
	}()
	if streams.Stdin != nil {
		go func() {
			code, exited := r.attachedShell(ctx, s, id, session, streams)
			switch {
			case exited:
				r.exitContainer(id, int32(code))
			case streams.StdinOnce && ctx.Err() == nil:
				r.exitContainer(id, 0)
			}
		}()
	}
	// The session lasts as long as the container (or the client).
	due, stop := r.exitTimer(s)
	defer stop()
	select {
	case <-ctx.Done():
	case <-s.done:
	case <-due:
	}
	r.snapshot(id) // applies a planned exit, closing done
	cancel()
	<-outDone
	return nil
}

// copyOutput writes the container's log entries from index from on to the session's
// streams until ctx ends, then writes whatever is left.
func (r *Runtime) copyOutput(ctx context.Context, id string, from int, session uint64, streams runtime.Streams) {
	for {
		entries, changed := r.outputSince(id, from)
		for _, e := range entries {
			if e.session == session {
				continue
			}
			w := streams.Stdout
			if e.stream == "stderr" && !streams.TTY {
				w = streams.Stderr
			}
			if w != nil {
				w.Write([]byte(lineEnding(e.text+"\n", streams.TTY)))
			}
		}
		from += len(entries)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
		case <-changed:
		}
	}
}

// attachedShell runs the lines read from stdin; exited says the shell ran `exit`.
func (r *Runtime) attachedShell(ctx context.Context, s snapshot, id string, session uint64, streams runtime.Streams) (code int, exited bool) {
	out := &logWriter{r: r, id: id, stream: "stdout", session: session, direct: streams.Stdout}
	errOut := &logWriter{r: r, id: id, stream: "stderr", session: session, direct: streams.Stderr}
	if streams.TTY {
		errOut = out
	}
	sh := r.newShell(ctx, s, runtime.Streams{Stdout: out, Stderr: errOut, TTY: streams.TTY})
	var term io.Writer
	if streams.TTY {
		term = streams.Stdout
	}
	return sh.repl(streams.Stdin, term)
}

// repl runs the lines read from in until `exit` or the end of in, and says which. With a
// terminal (term not nil) it prompts and echoes the input there, as a pty would.
func (sh *shell) repl(in io.Reader, term io.Writer) (code int, exited bool) {
	write := func(s string) {
		if term != nil {
			term.Write([]byte(s))
		}
	}
	write("/ # ")
	lines := bufio.NewReader(in)
	for sh.ctx.Err() == nil {
		line, err := readLine(lines, term != nil)
		if line != "" || err == nil {
			write(lineEnding(line+"\n", true)) // the terminal's echo
		}
		if strings.TrimSpace(line) != "" {
			code = sh.script(line)
			if sh.exited {
				return code, true
			}
		}
		if err != nil {
			return code, false
		}
		write("/ # ")
	}
	return code, false
}

// readLine reads a line; a terminal in raw mode ends lines with CR.
func readLine(r *bufio.Reader, tty bool) (string, error) {
	var b strings.Builder
	for {
		c, err := r.ReadByte()
		if err != nil {
			return b.String(), err
		}
		if c == '\n' || (tty && c == '\r') {
			return b.String(), nil
		}
		if tty && c == 4 { // ^D on an empty line
			return b.String(), io.EOF
		}
		b.WriteByte(c)
	}
}

// logWriter writes what an attached shell prints to its session and to the container's
// log, where other sessions and followers see it.
type logWriter struct {
	r          *Runtime
	id, stream string
	session    uint64
	direct     io.Writer // nil: the session did not ask for this stream
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.direct != nil {
		w.direct.Write(p)
	}
	w.r.appendOutput(w.id, w.stream, strings.ReplaceAll(string(p), "\r\n", "\n"), w.session)
	return len(p), nil
}

func (r *Runtime) exitContainer(id string, code int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.containers[id]; c != nil {
		now := r.clock.Now()
		c.advance(now)
		if c.running() {
			c.finish(now, code, exitReason(code))
		}
	}
}

func drainResizes(ctx context.Context, sizes <-chan runtime.TerminalSize) {
	if sizes == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sizes:
			if !ok {
				return
			}
		}
	}
}

func lineEnding(s string, tty bool) string {
	if !tty {
		return s
	}
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// PortForward implements runtime.Streamer with the sim's responder.
func (r *Runtime) PortForward(ctx context.Context, uid types.UID, port int32, stream io.ReadWriter) error {
	r.mu.Lock()
	sb := r.sandboxes[uid]
	ready := sb != nil && sb.ready
	var name string
	if sb != nil {
		name = sb.ns + "/" + sb.name
	}
	r.mu.Unlock()
	switch {
	case sb == nil:
		return fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	case !ready:
		return fmt.Errorf("pod %s: %w", name, runtime.ErrSandboxNotReady)
	case port <= 0 || port > 65535:
		return fmt.Errorf("invalid port %d", port)
	}
	in := bufio.NewReader(stream)
	first, err := in.ReadString('\n')
	if err != nil && first == "" {
		return nil
	}
	if !httpRequestLine.MatchString(first) {
		if _, err := io.WriteString(stream, first); err != nil {
			return nil
		}
		io.Copy(stream, in)
		return nil
	}
	reqs := bufio.NewReader(io.MultiReader(strings.NewReader(first), in))
	for ctx.Err() == nil {
		req, err := http.ReadRequest(reqs)
		if err != nil {
			return nil
		}
		io.Copy(io.Discard, req.Body)
		body := fmt.Sprintf("sim pod %s port %d: %s %s\n", name, port, req.Method, req.URL.RequestURI())
		resp := &http.Response{
			StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Request: req,
			Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body)),
			Close: req.Close,
		}
		if err := resp.Write(stream); err != nil || req.Close {
			return nil
		}
	}
	return nil
}

var httpRequestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/1\.[01]\r?\n$`)

// shell is the sim's built-in shell.
type shell struct {
	ctx            context.Context
	r              *Runtime
	hostname       string
	stdin          io.Reader
	stdout, stderr io.Writer
	tty            bool
	status         int  // $?
	exited         bool // `exit` ran
}

func (r *Runtime) newShell(ctx context.Context, s snapshot, streams runtime.Streams) *shell {
	sh := &shell{ctx: ctx, r: r, hostname: s.hostname, stdin: streams.Stdin, stdout: streams.Stdout, stderr: streams.Stderr, tty: streams.TTY}
	if sh.stdout == nil {
		sh.stdout = io.Discard
	}
	if sh.stderr == nil {
		sh.stderr = sh.stdout
		if !sh.tty {
			sh.stderr = io.Discard
		}
	}
	if sh.stdin == nil {
		sh.stdin = strings.NewReader("")
	}
	return sh
}

var shellBuiltins = map[string]bool{
	"sh": true, "ash": true, "bash": true, "echo": true, "cat": true, "hostname": true, "env": true,
	"printenv": true, "pwd": true, "true": true, "false": true, "sleep": true, "exit": true,
}

func (sh *shell) known(name string) bool { return shellBuiltins[name[strings.LastIndex(name, "/")+1:]] }

func (sh *shell) out(format string, args ...any) {
	fmt.Fprint(sh.stdout, lineEnding(fmt.Sprintf(format, args...), sh.tty))
}

func (sh *shell) errf(format string, args ...any) {
	fmt.Fprint(sh.stderr, lineEnding(fmt.Sprintf(format, args...), sh.tty))
}

func (sh *shell) env() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + sh.hostname, "HOME=/root"}
	if sh.tty {
		env = append(env, "TERM=xterm")
	}
	return env
}

func (sh *shell) lookupEnv(name string) string {
	if name == "?" {
		return strconv.Itoa(sh.status)
	}
	for _, kv := range sh.env() {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

// run runs one command given as argv and returns its exit code.
func (sh *shell) run(argv []string) int {
	name := argv[0][strings.LastIndex(argv[0], "/")+1:]
	args := argv[1:]
	switch name {
	case "sh", "ash", "bash":
		if len(args) >= 2 && args[0] == "-c" {
			return sh.script(args[1])
		}
		if len(args) == 0 {
			var term io.Writer
			if sh.tty {
				term = sh.stdout
			}
			code, _ := sh.repl(sh.stdin, term)
			return code
		}
		sh.errf("%s: can't open '%s': No such file or directory\n", name, args[0])
		return 2
	case "echo":
		newline := "\n"
		if len(args) > 0 && args[0] == "-n" {
			newline, args = "", args[1:]
		}
		sh.out("%s%s", strings.Join(args, " "), newline)
	case "cat":
		return sh.cat(args)
	case "hostname":
		sh.out("%s\n", sh.hostname)
	case "env", "printenv":
		sh.out("%s\n", strings.Join(sh.env(), "\n"))
	case "pwd":
		sh.out("/\n")
	case "true":
	case "false":
		return 1
	case "sleep":
		d, err := strconv.ParseFloat(strings.Join(args, ""), 64)
		if err != nil || d < 0 {
			sh.errf("sleep: invalid number '%s'\n", strings.Join(args, " "))
			return 1
		}
		select {
		case <-sh.ctx.Done():
			return 130
		case <-sh.r.clock.After(time.Duration(d * float64(time.Second))):
		}
	case "exit":
		sh.exited = true
		if len(args) == 0 {
			return sh.status
		}
		n, err := strconv.Atoi(args[0])
		if err != nil {
			sh.errf("sh: exit: Illegal number: %s\n", args[0])
			return 2
		}
		return n & 0xff
	default:
		sh.errf("sh: %s: not found\n", argv[0])
		return 127
	}
	return 0
}

func (sh *shell) cat(files []string) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := 0
	for _, f := range files {
		switch f {
		case "-":
			io.Copy(sh.stdout, sh.stdin)
		case "/etc/hostname":
			sh.out("%s\n", sh.hostname)
		case "/etc/hosts":
			sh.out("127.0.0.1\tlocalhost\n")
		default:
			sh.errf("cat: can't open '%s': No such file or directory\n", f)
			code = 1
		}
	}
	return code
}

// script runs a line of shell: commands separated by ;, && or ||.
func (sh *shell) script(line string) int {
	toks, err := shellTokens(line)
	if err != nil {
		sh.errf("sh: %v\n", err)
		sh.status = 2
		return 2
	}
	skip := false
	var argv []string
	flush := func(op string) {
		if len(argv) > 0 && !skip && !sh.exited {
			for i, a := range argv {
				argv[i] = expandVars(a, sh.lookupEnv)
			}
			sh.status = sh.redirected(argv)
		}
		argv = nil
		switch op {
		case "&&":
			skip = sh.status != 0
		case "||":
			skip = sh.status == 0
		default:
			skip = false
		}
	}
	for _, t := range toks {
		if t.op != "" {
			flush(t.op)
			continue
		}
		argv = append(argv, t.word)
	}
	flush("")
	return sh.status
}

// redirected runs argv with its redirections applied: >&2, 2>&1 and >/dev/null (with an
// optional 1 or 2 before the >), the forms scripts use to route a message.
func (sh *shell) redirected(argv []string) int {
	stdout, stderr := sh.stdout, sh.stderr
	defer func() { sh.stdout, sh.stderr = stdout, stderr }()
	var args []string
	for _, a := range argv {
		switch a {
		case ">&2", "1>&2":
			sh.stdout = stderr
		case "2>&1":
			sh.stderr = sh.stdout
		case ">/dev/null", "1>/dev/null":
			sh.stdout = io.Discard
		case "2>/dev/null":
			sh.stderr = io.Discard
		default:
			args = append(args, a)
		}
	}
	if len(args) == 0 {
		return 0
	}
	return sh.run(args)
}

type shellToken struct {
	word string
	op   string // ";", "&&" or "||" for an operator
}

// shellTokens splits a line into words and operators, honouring quotes and backslashes.
// Variables are marked for expansion by keeping $ outside single quotes only.
func shellTokens(line string) ([]shellToken, error) {
	var toks []shellToken
	var word bytes.Buffer
	inWord := false
	end := func() {
		if inWord {
			toks = append(toks, shellToken{word: word.String()})
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			end()
		case c == ';':
			end()
			toks = append(toks, shellToken{op: ";"})
		case (c == '&' || c == '|') && i+1 < len(line) && line[i+1] == c:
			end()
			toks = append(toks, shellToken{op: string([]byte{c, c})})
			i++
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("syntax error: unterminated quoted string")
			}
			// Single-quoted text is literal: escape $ so that expansion leaves it alone.
			word.WriteString(strings.ReplaceAll(line[i+1:i+1+j], "$", "$$"))
			inWord, i = true, i+1+j
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
				}
				word.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, fmt.Errorf("syntax error: unterminated quoted string")
			}
			inWord, i = true, j
		case c == '\\' && i+1 < len(line):
			word.WriteByte(line[i+1])
			inWord, i = true, i+1
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	end()
	return toks, nil
}

// expandVars replaces $NAME, ${NAME} and $? from lookup; $$ stands for a literal $.
func expandVars(s string, lookup func(string) string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		rest := s[i+1:]
		switch {
		case rest[0] == '$':
			b.WriteByte('$')
			i++
		case rest[0] == '?':
			b.WriteString(lookup("?"))
			i++
		case rest[0] == '{':
			j := strings.IndexByte(rest, '}')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(lookup(rest[1:j]))
			i += j + 1
		default:
			j := 0
			for j < len(rest) && (rest[j] == '_' || rest[j] >= 'A' && rest[j] <= 'Z' || rest[j] >= 'a' && rest[j] <= 'z' || j > 0 && rest[j] >= '0' && rest[j] <= '9') {
				j++
			}
			if j == 0 {
				b.WriteByte('$')
				continue
			}
			b.WriteString(lookup(rest[:j]))
			i += j
		}
	}
	return b.String()
}
