package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// drainTimeout bounds how long the shim copies output after the container's init has
// exited: the pid namespace dies with init, so the pipes close at once unless a process
// outside it (none is, normally) holds them.
const drainTimeout = 2 * time.Second

// Main runs the shim for the container directory args[0] and returns the process's exit
// status. cmd/ordinal calls it for `ordinal shim DIR` (or a small ordinal-shim binary does).
func Main(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: shim CONTAINER-DIR")
		return 2
	}
	dir := args[0]
	report := os.NewFile(3, "start-report")
	if err := run(dir, report); err != nil {
		fmt.Fprintf(os.Stderr, "shim %s: %v\n", dir, err)
		return 1
	}
	return 0
}

func run(dir string, report *os.File) error {
	raw, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return err
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	// The shim lives in its own session; a hang-up or ^C meant for the agent is not for it.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	// Orphans re-parent to the shim, not to pid 1: runc's detached container init among
	// them, whose exit status only its parent can read.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("becoming a subreaper: %w", err)
	}

	logw, err := OpenLog(cfg.Log, cfg.LogMaxSize, cfg.LogMaxFiles)
	if err != nil {
		return err
	}
	defer logw.Close()
	h := &hub{clients: map[net.Conn]*sync.Mutex{}, stdinOnce: cfg.StdinOnce, replay: cfg.Stdin}
	if ln, err := listenAttach(dir); err == nil {
		defer ln.Close()
		go h.serve(ln)
	} else {
		fmt.Fprintf(os.Stderr, "shim: attach socket: %v\n", err)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	stdio := []*os.File{devNull, devNull, devNull}
	var pipes []*os.File // the shim's ends of the container's output
	var copies sync.WaitGroup
	copyOut := func(stream string, r *os.File) {
		pipes = append(pipes, r)
		copies.Add(1)
		go func() {
			defer copies.Done()
			logw.Copy(stream, r, h.broadcast)
		}()
	}
	argv := []string{cfg.Runc, "--root", cfg.RuncRoot, "--log", filepath.Join(dir, RuncLog), "--log-format", "json", "run", "--detach"}
	var console chan consoleResult
	if cfg.TTY {
		// runc hands the terminal's master side over a unix socket; its path must be short.
		sockDir, err := os.MkdirTemp("", "ordinal-console-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(sockDir)
		sock := filepath.Join(sockDir, "c.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			return err
		}
		defer ln.Close()
		console = make(chan consoleResult, 1)
		go func() {
			f, err := ReceiveConsole(ln)
			console <- consoleResult{f, err}
		}()
		argv = append(argv, "--console-socket", sock)
	} else {
		outR, outW, err := os.Pipe()
		if err != nil {
			return err
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			return err
		}
		defer outW.Close()
		defer errW.Close()
		stdio[1], stdio[2] = outW, errW
		copyOut("stdout", outR)
		copyOut("stderr", errR)
		if cfg.Stdin {
			inR, inW, err := os.Pipe()
			if err != nil {
				return err
			}
			defer inR.Close()
			stdio[0] = inR
			h.stdin = inW
		}
	}
	pidFile := filepath.Join(dir, PidFile)
	argv = append(argv, "--bundle", cfg.Bundle, "--pid-file", pidFile, cfg.ID)
	runc, err := os.StartProcess(cfg.Runc, argv, &os.ProcAttr{Dir: cfg.Bundle, Files: stdio})
	// The container holds its ends now; the shim's copies would keep the pipes open.
	for _, f := range stdio {
		if f != devNull {
			f.Close()
		}
	}
	devNull.Close()
	if err != nil {
		return finishStart(dir, report, cfg, &copies, pipes, err.Error())
	}

	// Reap everything; runc first, then the container's init, which may end before the pid
	// file is read.
	statuses := map[int]unix.WaitStatus{}
	ws, err := waitFor(runc.Pid, statuses)
	if err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return finishStart(dir, report, cfg, &copies, pipes, runcError(filepath.Join(dir, RuncLog), ws))
	}
	if console != nil {
		res := <-console
		if res.err != nil {
			return finishStart(dir, report, cfg, &copies, pipes, "receiving the container's terminal: "+res.err.Error())
		}
		defer res.f.Close()
		h.mu.Lock()
		h.tty, h.stdin = res.f, res.f
		h.mu.Unlock()
		copyOut("stdout", res.f)
	}
	pidRaw, err := os.ReadFile(pidFile)
	if err != nil {
		return finishStart(dir, report, cfg, &copies, pipes, "reading runc's pid file: "+err.Error())
	}
	initPid, err := strconv.Atoi(strings.TrimSpace(string(pidRaw)))
	if err != nil {
		return finishStart(dir, report, cfg, &copies, pipes, "runc's pid file: "+err.Error())
	}
	sendReport(report, Started{Pid: initPid})
	if cfg.FenceFile != "" && cfg.FencePeriod > 0 {
		ended := make(chan struct{})
		defer close(ended)
		// The container's init is pid 1 of its pid namespace: killing it ends them all.
		go Fence(cfg.FenceFile, cfg.FencePeriod, ended, func() { unix.Kill(initPid, unix.SIGKILL) })
	}

	ws, err = waitFor(initPid, statuses)
	if err != nil {
		return err
	}
	h.markExited()
	exit := Exit{FinishedAt: time.Now().UTC()}
	switch {
	case ws.Exited():
		exit.Code = int32(ws.ExitStatus())
	case ws.Signaled():
		exit.Signal = int(ws.Signal())
		exit.Code = 128 + int32(ws.Signal())
	}
	drain(&copies, pipes)
	h.closeAll()
	exit.OOMKilled = oomKilled(cfg.OOMFile)
	deleteContainer(cfg)
	return WriteJSON(filepath.Join(dir, ExitFile), exit)
}

type consoleResult struct {
	f   *os.File
	err error
}

// finishStart records a container that could not start: exit code 128 with runc's message,
// as containerd reports a failed start.
func finishStart(dir string, report *os.File, cfg Config, copies *sync.WaitGroup, pipes []*os.File, msg string) error {
	sendReport(report, Started{Error: msg})
	drain(copies, pipes)
	deleteContainer(cfg)
	return WriteJSON(filepath.Join(dir, ExitFile), Exit{Code: 128, StartError: msg, FinishedAt: time.Now().UTC()})
}

func sendReport(report *os.File, s Started) {
	if report == nil {
		return
	}
	raw, _ := json.Marshal(s)
	report.Write(append(raw, '\n'))
	report.Close()
}

// waitFor reaps children until pid has exited, keeping the others' statuses.
func waitFor(pid int, statuses map[int]unix.WaitStatus) (unix.WaitStatus, error) {
	for {
		if ws, ok := statuses[pid]; ok {
			return ws, nil
		}
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return ws, fmt.Errorf("waiting for process %d: %w", pid, err)
		}
		statuses[got] = ws
	}
}

// drain waits for the output copies to finish, closing the pipes if they take too long.
func drain(copies *sync.WaitGroup, pipes []*os.File) {
	done := make(chan struct{})
	go func() {
		copies.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		for _, p := range pipes {
			p.Close()
		}
		<-done
	}
}

// oomKilled reads the OOM-kill counter of the container's memory cgroup.
func oomKilled(path string) bool {
	if path == "" {
		return false
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "oom_kill" {
			n, _ := strconv.Atoi(f[1])
			return n > 0
		}
	}
	return false
}

// deleteContainer removes the container from runc's state and its cgroup.
func deleteContainer(cfg Config) {
	cmd := exec.Command(cfg.Runc, "--root", cfg.RuncRoot, "delete", "--force", cfg.ID)
	if out, err := cmd.CombinedOutput(); err != nil && !bytes.Contains(out, []byte("does not exist")) {
		fmt.Fprintf(os.Stderr, "shim: runc delete %s: %v: %s\n", cfg.ID, err, out)
	}
}

// runcError is the last error runc logged, or its exit status.
func runcError(logPath string, ws unix.WaitStatus) string {
	msg := ""
	if raw, err := os.ReadFile(logPath); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			var entry struct{ Level, Msg string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && (entry.Level == "error" || entry.Level == "fatal") && entry.Msg != "" {
				msg = entry.Msg
			}
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("runc run exited with status %d", ws.ExitStatus())
	}
	return msg
}
