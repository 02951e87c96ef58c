package process

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime/process/shim"
)

// Names inside a pod's directory. They hold characters no container name has, so they
// never meet the per-container log directories.
const (
	sandboxFile   = "sandbox.json"
	etcDir        = "_etc"
	volumesDir    = "_volumes"
	containersDir = "_containers"
	containerFile = "container.json"
)

// sandboxRecord is sandbox.json: what the runtime knows of a pod's sandbox.
type sandboxRecord struct {
	UID         types.UID `json:"uid"`
	Name        string    `json:"name"`
	Namespace   string    `json:"namespace"`
	HostNetwork bool      `json:"hostNetwork,omitempty"`
	Hostname    string    `json:"hostname"`
	CreatedAt   time.Time `json:"createdAt"`
	Ready       bool      `json:"ready"`
	IP          string    `json:"ip,omitempty"`
	// NetNS is the network namespace file; CNI is the network configuration list the pod
	// was added with, kept to delete it with the same one.
	NetNS string          `json:"netns,omitempty"`
	CNI   json.RawMessage `json:"cni,omitempty"`
	// Volumes are the host directories (or files) of the pod's volumes, by volume name.
	Volumes map[string]volumeRecord `json:"volumes,omitempty"`
}

// volumeRecord is one of a pod's volumes as set up on the host.
type volumeRecord struct {
	Path string `json:"path"`
	// Tmpfs: Path is a tmpfs the runtime mounted (emptyDir medium Memory, secrets).
	Tmpfs bool `json:"tmpfs,omitempty"`
	// ReadOnly: always mounted read-only (configMap, secret, projected, downwardAPI).
	ReadOnly bool `json:"readOnly,omitempty"`
}

// sandbox is a pod as the runtime has it; fields are guarded by Runtime.mu.
type sandbox struct {
	dir        string
	rec        sandboxRecord
	containers []*container // by creation
}

func (sb *sandbox) save() error {
	return shim.WriteJSON(filepath.Join(sb.dir, sandboxFile), sb.rec)
}

func (sb *sandbox) etcPath(name string) string { return filepath.Join(sb.dir, etcDir, name) }

// containerRecord is container.json: a container as created; what happened to it since is
// in the shim's files beside it.
type containerRecord struct {
	ID        string    `json:"id"`
	PodUID    types.UID `json:"podUID"`
	Name      string    `json:"name"`
	Init      bool      `json:"init,omitempty"`
	Attempt   uint32    `json:"attempt"`
	Hash      string    `json:"hash,omitempty"`
	Image     string    `json:"image"`
	ImageRef  string    `json:"imageRef"`
	CreatedAt time.Time `json:"createdAt"`
	StartedAt time.Time `json:"startedAt,omitempty"`
	// ShimPid is the shim's pid while the container runs.
	ShimPid int `json:"shimPid,omitempty"`
	// Spec is the container's spec (hooks, probes' named ports, termination message).
	Spec *corev1.Container `json:"spec"`
	// StopSignal is the image's, if it names one.
	StopSignal string `json:"stopSignal,omitempty"`
	// Log is the container's log file.
	Log string `json:"log"`
}

func loadSandbox(dir string) (*sandbox, error) {
	raw, err := os.ReadFile(filepath.Join(dir, sandboxFile))
	if err != nil {
		return nil, err
	}
	sb := &sandbox{dir: dir}
	if err := json.Unmarshal(raw, &sb.rec); err != nil {
		return nil, fmt.Errorf("%s: %w", sandboxFile, err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, containersDir))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, e := range entries {
		cdir := filepath.Join(dir, containersDir, e.Name())
		raw, err := os.ReadFile(filepath.Join(cdir, containerFile))
		if err != nil {
			continue // half-created; RemovePodSandbox takes it away with the pod
		}
		c := &container{dir: cdir}
		if err := json.Unmarshal(raw, &c.rec); err != nil {
			continue
		}
		sb.containers = append(sb.containers, c)
	}
	sort.Slice(sb.containers, func(i, j int) bool { return sb.containers[i].rec.CreatedAt.Before(sb.containers[j].rec.CreatedAt) })
	return sb, nil
}

func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
