package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/runtime"
)

// Defaults of Options.
const (
	DefaultClusterDNS    = "10.43.0.10"
	DefaultClusterDomain = "cluster.local"
	DefaultBridge        = "ordinal0"
	DefaultPodRange      = "10.42.0.0/16"
	DefaultServiceRange  = "10.43.0.0/16"
	DefaultCNIPluginDir  = "/usr/lib/cni"
	DefaultCgroupParent  = "ordinal"
	DefaultLogMaxSize    = 10 << 20
	DefaultLogMaxFiles   = 5
)

// Options configure the process runtime. DataDir is required; zero values of the rest mean
// the defaults above.
type Options struct {
	// DataDir holds the runtime's state (see the package comment).
	DataDir string
	// Images is the node's image store (nil: opened at <DataDir>/images).
	Images *image.Store
	// VolumeDir is where local-path volumes live (default <DataDir>/volumes).
	VolumeDir string
	// ClusterDNS is the nameserver of dnsPolicy ClusterFirst; ClusterDomain its domain.
	ClusterDNS    string
	ClusterDomain string
	// Bridge is the pods' bridge.
	Bridge string
	// PodRange and ServiceRange are the cluster's ranges, kept off the default route.
	PodRange, ServiceRange string
	// CNIPluginDir holds the CNI plugins (bridge, host-local, portmap).
	CNIPluginDir string
	// Runc is the runc binary (default: runc on PATH).
	Runc string
	// Shim is the command that runs a container's shim, the container directory being
	// added as its last argument (default: ordinal-shim beside the running binary, else
	// the running binary with the argument "shim").
	Shim []string
	// CgroupParent is the cgroup under which pods' cgroups are made.
	CgroupParent string
	// LogMaxSize and LogMaxFiles bound each container's log files.
	LogMaxSize  int64
	LogMaxFiles int
	// HostResolvConf is the host's resolver configuration (default /etc/resolv.conf).
	HostResolvConf string
	// FenceFile and FencePeriod make every container's shim kill its container when the
	// file has not changed for the period (the node agent rewrites it after each Lease
	// renewal; see shim.Fence). Empty or 0: containers run on whatever happens to the agent.
	FenceFile   string
	FencePeriod time.Duration
}

// Runtime runs the pods of one node as containers; see the package comment.
type Runtime struct {
	opts   Options
	images *image.Store
	cgroup cgroupSetup
	dirs   dirs

	mu         sync.Mutex
	podCIDR    string
	hostReady  bool // bridge routes and nftables table set up
	sandboxes  map[types.UID]*sandbox
	containers map[string]*container
}

var _ runtime.Runtime = (*Runtime)(nil)

// dirs are the runtime's directories under the data dir.
type dirs struct{ pods, netns, runc, cni string }

// New opens the runtime over opts.DataDir, finding again the pods and containers a previous
// Runtime left there: running containers keep running and are watched again.
func New(opts Options) (*Runtime, error) {
	if opts.DataDir == "" {
		return nil, errors.New("process runtime: DataDir is required")
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, err
	}
	opts.DataDir = abs
	setDefault(&opts.VolumeDir, filepath.Join(abs, "volumes"))
	setDefault(&opts.ClusterDNS, DefaultClusterDNS)
	setDefault(&opts.ClusterDomain, DefaultClusterDomain)
	setDefault(&opts.Bridge, DefaultBridge)
	setDefault(&opts.PodRange, DefaultPodRange)
	setDefault(&opts.ServiceRange, DefaultServiceRange)
	setDefault(&opts.CNIPluginDir, DefaultCNIPluginDir)
	setDefault(&opts.CgroupParent, DefaultCgroupParent)
	setDefault(&opts.HostResolvConf, "/etc/resolv.conf")
	if opts.LogMaxSize <= 0 {
		opts.LogMaxSize = DefaultLogMaxSize
	}
	if opts.LogMaxFiles <= 0 {
		opts.LogMaxFiles = DefaultLogMaxFiles
	}
	if opts.Runc == "" {
		if opts.Runc, err = exec.LookPath("runc"); err != nil {
			return nil, fmt.Errorf("process runtime: runc not found (apt-get install runc): %w", err)
		}
	}
	if len(opts.Shim) == 0 {
		if opts.Shim, err = defaultShim(); err != nil {
			return nil, err
		}
	}
	r := &Runtime{
		opts: opts, images: opts.Images, cgroup: detectCgroups(),
		dirs: dirs{
			pods: filepath.Join(abs, "pods"), netns: filepath.Join(abs, "netns"),
			runc: filepath.Join(abs, "runc"), cni: filepath.Join(abs, "cni"),
		},
		sandboxes: map[types.UID]*sandbox{}, containers: map[string]*container{},
	}
	for _, d := range []string{r.dirs.pods, r.dirs.netns, r.dirs.runc, r.dirs.cni} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("process runtime: %w", err)
		}
	}
	if r.images == nil {
		if r.images, err = image.Open(filepath.Join(abs, "images"), image.Options{}); err != nil {
			return nil, err
		}
	}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// defaultShim prefers the small ordinal-shim binary beside the running one.
func defaultShim() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("process runtime: finding the shim: %w", err)
	}
	if small := filepath.Join(filepath.Dir(exe), "ordinal-shim"); isExecutable(small) {
		return []string{small}, nil
	}
	return []string{exe, "shim"}, nil
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Version implements runtime.Runtime: runc and its version, e.g. runc://1.1.5.
func (r *Runtime) Version(ctx context.Context) (runtime.VersionInfo, error) {
	out, err := exec.CommandContext(ctx, r.opts.Runc, "--version").Output()
	if err != nil {
		return runtime.VersionInfo{}, fmt.Errorf("runc --version: %w", err)
	}
	v := "unknown"
	if first, _, _ := strings.Cut(string(out), "\n"); strings.HasPrefix(first, "runc version ") {
		v = strings.TrimPrefix(first, "runc version ")
		v, _, _ = strings.Cut(v, "+") // Debian's "1.1.5+ds1"
	}
	return runtime.VersionInfo{Name: "runc", Version: v}, nil
}

// load reads every sandbox and container record under the data dir and watches the
// containers that still run.
func (r *Runtime) load() error {
	entries, err := os.ReadDir(r.dirs.pods)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sb, err := loadSandbox(filepath.Join(r.dirs.pods, e.Name()))
		if err != nil {
			slog.Warn("process runtime: skipping unreadable pod directory", "dir", e.Name(), "err", err)
			continue
		}
		r.sandboxes[sb.rec.UID] = sb
		for _, c := range sb.containers {
			r.containers[c.rec.ID] = c
			c.adopt(r)
		}
		// A sandbox whose namespace is gone (the host rebooted) is not ready any more.
		if sb.rec.Ready && !sb.rec.HostNetwork && !isNetns(sb.rec.NetNS) {
			sb.rec.Ready, sb.rec.IP = false, ""
			_ = sb.save()
		}
	}
	r.releaseStalePins()
	return nil
}

// releaseStalePins drops the image pins of containers that no longer exist (removed while
// a previous runtime was stopping).
func (r *Runtime) releaseStalePins() {
	owners, err := r.images.Pins()
	if err != nil {
		return
	}
	for _, o := range owners {
		if _, ok := r.containers[o]; !ok && isContainerID(o) {
			_ = r.images.Unpin(o)
		}
	}
}
