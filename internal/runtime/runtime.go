// Package runtime is the seam between the node agent and whatever runs pods on a node: the
// process runtime (runc, overlayfs, CNI) or the simulated one (package sim).
//
// The agent decides, the runtime acts (shared/STYLE.md §8). The agent is the only caller. It
// serialises calls for one pod (it never runs two mutating calls on the same pod at once),
// but calls for different pods arrive concurrently, so implementations must be safe for
// concurrent use.
//
// The model follows the CRI closely enough that a CRI-backed runtime would fit, and no
// further: a pod is a sandbox (its network namespace and IP) holding containers; a container
// is created, started, stopped and removed; exited containers stay listed until removed, so
// restart counts and last states survive an agent restart. Every record a runtime keeps must
// be found again by ListPods after the agent restarts, which is how running pods are
// re-adopted instead of killed. The sim keeps its records in memory (an agent "restart" there
// reuses the same runtime value); the process runtime keeps them on disk.
package runtime

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Errors callers branch on. Implementations wrap them with %w and add the object's name.
var (
	// ErrNotFound: no sandbox or container with that ID is known.
	ErrNotFound = errors.New("runtime: not found")
	// ErrNoPodCIDR: RunPodSandbox needs an IP but UpdatePodCIDR has not been called yet.
	ErrNoPodCIDR = errors.New("runtime: pod CIDR not assigned yet")
	// ErrPodCIDRExhausted: every address of the node's pod CIDR is in use.
	ErrPodCIDRExhausted = errors.New("runtime: no free address in the pod CIDR")
	// ErrContainerRunning: RemoveContainer was asked to remove a container that still runs.
	ErrContainerRunning = errors.New("runtime: container is running")
	// ErrSandboxNotReady: CreateContainer was called on a stopped sandbox.
	ErrSandboxNotReady = errors.New("runtime: pod sandbox is not ready")
	// ErrImageNeverPull: the image is not present and the pull policy is Never.
	ErrImageNeverPull = errors.New("runtime: image not present with pull policy Never")
)

// Runtime runs the pods of one node.
type Runtime interface {
	// Version names the runtime; the agent reports it as the node's containerRuntimeVersion
	// (Name://Version) and prefixes container IDs with Name://.
	Version(ctx context.Context) (VersionInfo, error)

	// UpdatePodCIDR tells the runtime the range pod IPs come from (the Node's
	// spec.podCIDR). The agent calls it before the first RunPodSandbox of a pod that needs
	// an IP, and again on every start; calling it with the current value is a no-op.
	UpdatePodCIDR(ctx context.Context, cidr string) error

	// RunPodSandbox creates and starts the sandbox of config.Pod: its network namespace and
	// IP (none for hostNetwork pods). It is idempotent per pod UID: a ready sandbox is left
	// as it is; a stopped one is started again with a new IP. ErrNoPodCIDR and
	// ErrPodCIDRExhausted report a network that cannot serve the pod yet.
	RunPodSandbox(ctx context.Context, config *SandboxConfig) error

	// UpdatePodVolumes rewrites the content of a ready sandbox's configMap, secret, projected
	// and downwardAPI volumes from config (fresh objects, the latest pod), so that running
	// containers see updates as upstream's atomic ..data swap shows them. The agent calls it
	// periodically; unknown or stopped sandboxes are a no-op.
	UpdatePodVolumes(ctx context.Context, config *SandboxConfig) error

	// StopPodSandbox kills whatever still runs in the pod at once (no grace period: the
	// agent has already stopped containers gracefully when it had to) and releases the
	// network, including the IP. Records stay, so PodStatus still reports how each
	// container ended. Stopping an unknown or stopped sandbox is a no-op.
	StopPodSandbox(ctx context.Context, uid types.UID) error

	// RemovePodSandbox stops the sandbox if needed and forgets it with all its containers
	// (records, logs, root filesystems). Removing an unknown sandbox is a no-op.
	RemovePodSandbox(ctx context.Context, uid types.UID) error

	// EnsureImage makes image available under the pull policy and says whether it had to be
	// pulled. pullSecrets are the data (.dockerconfigjson or .dockercfg) of the pod's
	// imagePullSecrets, for registries that need credentials. ErrImageNeverPull: absent and
	// policy Never.
	EnsureImage(ctx context.Context, image string, policy corev1.PullPolicy, pullSecrets [][]byte) (ImageResult, error)

	// CreateContainer creates, without starting, a container in the pod's ready sandbox
	// and returns its ID. ErrNotFound: no sandbox; ErrSandboxNotReady: sandbox stopped.
	CreateContainer(ctx context.Context, uid types.UID, config *ContainerConfig) (string, error)

	// StartContainer starts a created container and returns once it runs, or has already
	// exited, or could not start (error). If ctx ends first it returns ctx.Err() and the
	// container stays created.
	StartContainer(ctx context.Context, id string) error

	// StopContainer asks a running container to stop (SIGTERM), waits up to grace, then
	// kills it (SIGKILL), and returns once it has exited. If ctx ends first the container
	// is killed at once; the call still returns only once it has exited. Stopping an exited
	// container is a no-op; ErrNotFound for an unknown ID.
	StopContainer(ctx context.Context, id string, grace time.Duration) error

	// RemoveContainer forgets an exited (or never started) container: its record, logs and
	// root filesystem. ErrContainerRunning if it runs; removing an unknown ID is a no-op.
	RemoveContainer(ctx context.Context, id string) error

	// PodStatus reports the pod's sandbox and every container it still has records of,
	// exited ones included. ErrNotFound: the runtime knows nothing of the pod. The result
	// is the caller's to keep.
	PodStatus(ctx context.Context, uid types.UID) (*PodStatus, error)

	// ListPods reports every pod the runtime has records of, stopped ones included. The
	// agent calls it on start to re-adopt what runs and to clean up pods deleted while it
	// was away, and periodically to notice containers that changed state.
	ListPods(ctx context.Context) ([]*PodStatus, error)

	// Probe runs one probe against a running container: exec, httpGet or tcpSocket as
	// req.Probe says. req.Probe is nil when the container has no probe of that type: real
	// runtimes answer success without doing anything, the sim may answer otherwise (that
	// is how a sim pod stays not ready without a readiness probe). An error means the
	// probe could not be run at all (container gone); the agent counts it as a failure.
	Probe(ctx context.Context, req *ProbeRequest) (ProbeResult, error)
}

// VersionInfo identifies a runtime, e.g. {Name: "sim", Version: "0.1"}.
type VersionInfo struct {
	Name    string
	Version string
}

// String is the node's containerRuntimeVersion, e.g. sim://0.1.
func (v VersionInfo) String() string { return v.Name + "://" + v.Version }

// SandboxConfig describes the pod whose sandbox is to be run.
type SandboxConfig struct {
	// Pod is the pod as the agent sees it; read-only. Its UID identifies the sandbox.
	Pod *corev1.Pod
	// Volumes resolves the pod's claim-backed volumes (by pod volume name) to the bound
	// PersistentVolume; read-only. Other volume types are read from Pod.Spec.Volumes.
	Volumes map[string]*corev1.PersistentVolume
	// ConfigMaps and Secrets hold, by object name, those the pod's configMap, secret and
	// projected volumes name and the API has; read-only. A missing entry is an optional
	// object that does not exist.
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
}

// ContainerConfig describes a container to create.
type ContainerConfig struct {
	// Pod is the pod as the agent sees it now; read-only (annotations, environment sources).
	Pod *corev1.Pod
	// Container is the container's spec; read-only.
	Container *corev1.Container
	// Init marks an init container (including restartable ones, "sidecars").
	Init bool
	// Attempt counts restarts: 0 for the first instance of a container in a pod. The
	// runtime reports it back; the agent derives restartCount from it.
	Attempt uint32
	// Hash fingerprints the spec; the runtime reports it back and the agent restarts a
	// container whose spec no longer matches.
	Hash string
	// Env is the container's environment as the agent resolved it ("NAME=value": envFrom,
	// then env with valueFrom and $(VAR) references expanded, as upstream's kubelet); the
	// runtime puts it after the image's own environment, which it overrides.
	Env []string
	// Command and Args are the container's command and args with $(VAR) references
	// expanded against Env; the runtime combines them with the image's entrypoint and cmd.
	Command, Args []string
}

// SandboxState says whether a sandbox's network is up.
type SandboxState string

const (
	SandboxReady    SandboxState = "Ready"
	SandboxNotReady SandboxState = "NotReady"
)

// PodStatus is what the runtime knows of one pod.
type PodStatus struct {
	UID       types.UID
	Name      string
	Namespace string
	Sandbox   SandboxState
	// IPs are the sandbox's addresses while it is ready (empty for hostNetwork pods).
	IPs       []string
	CreatedAt time.Time
	// Containers lists every container record, oldest first by creation.
	Containers []ContainerStatus
}

// ContainerState is the lifecycle state of one container instance.
type ContainerState string

const (
	ContainerCreated ContainerState = "Created"
	ContainerRunning ContainerState = "Running"
	ContainerExited  ContainerState = "Exited"
	ContainerUnknown ContainerState = "Unknown"
)

// ContainerStatus describes one container instance.
type ContainerStatus struct {
	ID      string
	Name    string
	Init    bool
	Attempt uint32
	Hash    string
	// Image is the image as the spec named it; ImageRef its resolved, digested reference.
	Image      string
	ImageRef   string
	State      ContainerState
	CreatedAt  time.Time
	StartedAt  time.Time // zero until started
	FinishedAt time.Time // zero until exited
	ExitCode   int32
	// Reason and Message explain the exit in the API's words (Completed, Error, OOMKilled).
	Reason  string
	Message string
}

// ImageResult says what EnsureImage did.
type ImageResult struct {
	// Pulled is false when the image was already present.
	Pulled   bool
	Duration time.Duration
	Size     int64
}

// ProbeType is the kind of probe, which decides what its failure does.
type ProbeType string

const (
	Readiness ProbeType = "Readiness"
	Liveness  ProbeType = "Liveness"
	Startup   ProbeType = "Startup"
)

// ProbeRequest asks for one probe of a running container.
type ProbeRequest struct {
	PodUID      types.UID
	ContainerID string
	Type        ProbeType
	// Probe is the container's probe of that type; nil when it has none.
	Probe *corev1.Probe
}

// ProbeResult is the outcome of one probe. Output is what the probe printed or why it
// failed; the agent quotes it in Unhealthy events.
type ProbeResult struct {
	Success bool
	Output  string
}
