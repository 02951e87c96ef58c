package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"ordinal.dev/ordinal/internal/runtime"
)

// Version is the sim's name and version as nodes report it (containerRuntimeVersion sim://0.1).
var Version = runtime.VersionInfo{Name: "sim", Version: "0.1"}

// Options configure a simulated runtime.
type Options struct {
	// Clock drives start delays, run times and grace periods (nil: the real clock).
	Clock clock.Clock
	// StartDelay is how long every container takes to start, unless its pod says otherwise
	// with sim.ordinal.dev/start-delay.
	StartDelay time.Duration
}

// Runtime is the simulated runtime of one node. Its records live as long as the value, so
// an agent rebuilt over the same Runtime finds its pods again.
type Runtime struct {
	clock      clock.Clock
	startDelay time.Duration

	mu         sync.Mutex
	ipam       *ipam
	sandboxes  map[types.UID]*sandbox
	containers map[string]*container
}

var _ runtime.Runtime = (*Runtime)(nil)

// New returns an empty simulated runtime.
func New(opts Options) *Runtime {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Runtime{
		clock: opts.Clock, startDelay: opts.StartDelay,
		sandboxes: map[types.UID]*sandbox{}, containers: map[string]*container{},
	}
}

type sandbox struct {
	uid         types.UID
	name, ns    string
	hostNetwork bool
	ready       bool
	ip          string
	createdAt   time.Time
	containers  []*container // in creation order
}

// Version implements runtime.Runtime.
func (r *Runtime) Version(context.Context) (runtime.VersionInfo, error) { return Version, nil }

// UpdatePodCIDR implements runtime.Runtime. Pods keep the IPs they have if the range changes.
func (r *Runtime) UpdatePodCIDR(_ context.Context, cidr string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ipam != nil && r.ipam.cidr.String() == cidr {
		return nil
	}
	p, err := newIPAM(cidr)
	if err != nil {
		return err
	}
	for _, sb := range r.sandboxes {
		if sb.ready && sb.ip != "" && p.cidr.Contains(parseIP(sb.ip)) {
			p.used[ipToUint(sb.ip)] = sb.uid
		}
	}
	r.ipam = p
	return nil
}

// RunPodSandbox implements runtime.Runtime.
func (r *Runtime) RunPodSandbox(_ context.Context, config *runtime.SandboxConfig) error {
	pod := config.Pod
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[pod.UID]
	if sb != nil && sb.ready {
		return nil
	}
	if sb == nil {
		sb = &sandbox{uid: pod.UID, name: pod.Name, ns: pod.Namespace, hostNetwork: pod.Spec.HostNetwork, createdAt: r.clock.Now()}
	}
	if !sb.hostNetwork {
		if r.ipam == nil {
			return fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, runtime.ErrNoPodCIDR)
		}
		ip, err := r.ipam.allocate(pod.UID)
		if err != nil {
			return fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		sb.ip = ip
	}
	sb.ready = true
	r.sandboxes[pod.UID] = sb
	return nil
}

// StopPodSandbox implements runtime.Runtime.
func (r *Runtime) StopPodSandbox(_ context.Context, uid types.UID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopSandboxLocked(uid)
	return nil
}

func (r *Runtime) stopSandboxLocked(uid types.UID) {
	sb := r.sandboxes[uid]
	if sb == nil || !sb.ready {
		return
	}
	now := r.clock.Now()
	for _, c := range sb.containers {
		c.advance(now)
		if c.running() {
			c.finish(now, 137, "Error")
		}
	}
	if sb.ip != "" && r.ipam != nil {
		r.ipam.release(sb.ip)
	}
	sb.ip = ""
	sb.ready = false
}

// RemovePodSandbox implements runtime.Runtime.
func (r *Runtime) RemovePodSandbox(_ context.Context, uid types.UID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[uid]
	if sb == nil {
		return nil
	}
	r.stopSandboxLocked(uid)
	for _, c := range sb.containers {
		delete(r.containers, c.id)
	}
	delete(r.sandboxes, uid)
	return nil
}

// EnsureImage implements runtime.Runtime: every image is present in the sim.
func (r *Runtime) EnsureImage(context.Context, string, corev1.PullPolicy, [][]byte) (runtime.ImageResult, error) {
	return runtime.ImageResult{}, nil
}

// UpdatePodVolumes implements runtime.Runtime: simulated pods have no volume content.
func (r *Runtime) UpdatePodVolumes(context.Context, *runtime.SandboxConfig) error { return nil }

// PodStatus implements runtime.Runtime.
func (r *Runtime) PodStatus(_ context.Context, uid types.UID) (*runtime.PodStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[uid]
	if sb == nil {
		return nil, fmt.Errorf("pod %s: %w", uid, runtime.ErrNotFound)
	}
	return r.statusLocked(sb), nil
}

// ListPods implements runtime.Runtime.
func (r *Runtime) ListPods(context.Context) ([]*runtime.PodStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*runtime.PodStatus, 0, len(r.sandboxes))
	for _, sb := range r.sandboxes {
		out = append(out, r.statusLocked(sb))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

func (r *Runtime) statusLocked(sb *sandbox) *runtime.PodStatus {
	now := r.clock.Now()
	st := &runtime.PodStatus{UID: sb.uid, Name: sb.name, Namespace: sb.ns, Sandbox: runtime.SandboxNotReady, CreatedAt: sb.createdAt}
	if sb.ready {
		st.Sandbox = runtime.SandboxReady
		if sb.ip != "" {
			st.IPs = []string{sb.ip}
		}
	}
	for _, c := range sb.containers {
		c.advance(now)
		st.Containers = append(st.Containers, c.status())
	}
	return st
}

func newID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}
