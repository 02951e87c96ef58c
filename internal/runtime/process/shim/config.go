// Package shim is the small process that stays with each container of the process
// runtime: it starts the container with `runc run --detach`, becomes its parent (a child
// subreaper), copies its stdout and stderr into the container's log file in the CRI
// format, and when the container ends records how (exit code, OOM kill) and deletes it
// from runc. It outlives the agent that started it, which is how running pods survive an
// agent restart.
//
// The shim is started as `<shim binary> <container dir>`; it reads <container dir>/shim.json
// (Config), reports the start on file descriptor 3 (a Started line of JSON, then EOF), and
// writes <container dir>/exit.json (Exit) when the container has ended. It imports little,
// so that a shim per container costs a few MiB.
package shim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File names in a container's directory.
const (
	ConfigFile = "shim.json"
	ExitFile   = "exit.json"
	PidFile    = "init.pid"
	RuncLog    = "runc.log"
)

// Config tells the shim what to run.
type Config struct {
	// ID is the container's ID, also its name in runc.
	ID string `json:"id"`
	// Bundle is the OCI bundle directory (config.json, rootfs).
	Bundle string `json:"bundle"`
	// Runc is the runc binary; RuncRoot its state directory (runc --root).
	Runc     string `json:"runc"`
	RuncRoot string `json:"runcRoot"`
	// Log is the container's log file; rotated when it reaches LogMaxSize bytes, keeping
	// LogMaxFiles files in all (Log, Log.1 … newest first).
	Log         string `json:"log"`
	LogMaxSize  int64  `json:"logMaxSize"`
	LogMaxFiles int    `json:"logMaxFiles"`
	// OOMFile is the cgroup file that counts OOM kills (memory.events on cgroup v2,
	// memory.oom_control on v1), read when the container has ended.
	OOMFile string `json:"oomFile,omitempty"`
	// Stdin keeps the container's stdin open for attach sessions (spec.stdin);
	// StdinOnce closes it when the first session's input ends; TTY runs the container on
	// a terminal (the bundle's process.terminal), whose output is logged as stdout.
	Stdin     bool `json:"stdin,omitempty"`
	StdinOnce bool `json:"stdinOnce,omitempty"`
	TTY       bool `json:"tty,omitempty"`
	// FenceFile and FencePeriod fence the container when its node agent is gone: the agent
	// rewrites FenceFile after each renewal of the node's Lease, and the shim kills the
	// container once the file has not changed for FencePeriod by the shim's own monotonic
	// clock (see Fence). Empty or 0: no fence.
	FenceFile   string        `json:"fenceFile,omitempty"`
	FencePeriod time.Duration `json:"fencePeriod,omitempty"`
}

// Started is what the shim reports on fd 3 once runc has started the container (Pid) or
// failed to (Error, runc's own message).
type Started struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// Exit is how a container ended.
type Exit struct {
	// Code is the exit code, or 128+signal for a container killed by a signal.
	Code   int32 `json:"code"`
	Signal int   `json:"signal,omitempty"`
	// OOMKilled: the kernel's OOM killer killed a process of the container.
	OOMKilled bool `json:"oomKilled,omitempty"`
	// StartError is runc's message when the container could not start (Code is 128).
	StartError string    `json:"startError,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
}

// ReadExit reads a container directory's exit.json; os.ErrNotExist while it runs.
func ReadExit(dir string) (*Exit, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ExitFile))
	if err != nil {
		return nil, err
	}
	var e Exit
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ExitFile), err)
	}
	return &e, nil
}

// WriteJSON writes v to path atomically (a temporary file renamed over it).
func WriteJSON(path string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
