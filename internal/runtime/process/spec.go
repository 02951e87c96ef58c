package process

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"ordinal.dev/ordinal/internal/image"
)

// ociVersion is the runtime-spec version the bundles declare: the one Debian's runc
// (1.1) implements; nothing newer is used.
const ociVersion = "1.0.2-dev"

// defaultPath is the PATH of a container whose image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultCapabilities are the capabilities a container gets unless it asks otherwise:
// containerd's default set, which upstream Kubernetes users expect.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCapabilities are the capabilities runc 1.1 knows, for privileged containers and "ALL".
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Paths runc's default spec hides from unprivileged containers.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// specInput is everything a container's OCI spec is made of.
type specInput struct {
	Pod       *corev1.Pod
	Container *corev1.Container
	Image     image.Config
	// Env, Command and Args as the agent resolved them.
	Env           []string
	Command, Args []string
	Rootfs        string
	User          userIDs
	Hostname      string
	// NetNS is the pod's network namespace; empty on the host's network.
	NetNS string
	// EtcFiles maps /etc/hosts, /etc/resolv.conf and /etc/hostname to their host files.
	EtcFiles map[string]string
	// TerminationLog is the host file mounted at the termination message path.
	TerminationLog string
	// Mounts are the container's volume mounts, ready.
	Mounts      []specs.Mount
	CgroupsPath string
	// OOMScoreAdj follows the pod's QoS class.
	OOMScoreAdj int
}

// buildSpec makes a container's OCI runtime spec.
func buildSpec(in specInput) (*specs.Spec, error) {
	c := in.Container
	args := containerArgs(in.Image, in.Command, in.Args)
	if len(args) == 0 {
		return nil, errors.New("no command specified")
	}
	sc := effectiveSecurity(in.Pod, c)
	privileged := sc.Privileged != nil && *sc.Privileged
	env := mergeEnv(in.Image.Env, in.Hostname, in.Env)
	cwd := c.WorkingDir
	if cwd == "" {
		cwd = in.Image.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	caps := capabilities(sc.Capabilities, privileged)
	oom := in.OOMScoreAdj
	s := &specs.Spec{
		Version: ociVersion,
		Process: &specs.Process{
			Args: args, Env: env, Cwd: cwd, Terminal: c.TTY,
			User: specs.User{UID: in.User.UID, GID: in.User.GID, AdditionalGids: in.User.Additional},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			NoNewPrivileges: sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation && !privileged,
			OOMScoreAdj:     &oom,
		},
		Root: &specs.Root{Path: in.Rootfs, Readonly: sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
		Linux: &specs.Linux{
			CgroupsPath: in.CgroupsPath,
			Resources:   resources(c, privileged),
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.MountNamespace},
			},
			Sysctl: sysctls(in.Pod),
		},
	}
	if in.NetNS != "" {
		s.Hostname = in.Hostname
		s.Linux.Namespaces = append(s.Linux.Namespaces,
			specs.LinuxNamespace{Type: specs.UTSNamespace},
			specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNS})
	}
	if !privileged {
		s.Linux.MaskedPaths = maskedPaths
		s.Linux.ReadonlyPaths = readonlyPaths
	}
	s.Mounts = defaultMounts(privileged)
	s.Mounts = append(s.Mounts, in.Mounts...)
	mounted := map[string]bool{}
	for _, m := range in.Mounts {
		mounted[filepath.Clean(m.Destination)] = true
	}
	for _, dst := range sortedKeys(in.EtcFiles) {
		if !mounted[dst] {
			s.Mounts = append(s.Mounts, bindMount(in.EtcFiles[dst], dst, false, ""))
		}
	}
	if in.TerminationLog != "" {
		path := c.TerminationMessagePath
		if path == "" {
			path = corev1.TerminationMessagePathDefault
		}
		if !mounted[filepath.Clean(path)] {
			s.Mounts = append(s.Mounts, bindMount(in.TerminationLog, path, false, ""))
		}
	}
	return s, nil
}

// containerArgs combines the container's command and args with the image's entrypoint
// and cmd, as upstream: command replaces the entrypoint (and drops cmd), args replace cmd.
func containerArgs(img image.Config, command, args []string) []string {
	switch {
	case len(command) > 0:
		return append(append([]string(nil), command...), args...)
	case len(args) > 0:
		return append(append([]string(nil), img.Entrypoint...), args...)
	}
	return append(append([]string(nil), img.Entrypoint...), img.Cmd...)
}

// mergeEnv puts the image's environment first, HOSTNAME, then the container's; a later
// value of a name replaces an earlier one where it stands.
func mergeEnv(image []string, hostname string, container []string) []string {
	var out []string
	index := map[string]int{}
	add := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			return
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range image {
		add(kv)
	}
	if _, ok := index["PATH"]; !ok {
		add(defaultPath)
	}
	if hostname != "" {
		add("HOSTNAME=" + hostname)
	}
	for _, kv := range container {
		add(kv)
	}
	return out
}

// effectiveSecurity is the container's security context with the pod's settings where the
// container sets none.
func effectiveSecurity(pod *corev1.Pod, c *corev1.Container) corev1.SecurityContext {
	var sc corev1.SecurityContext
	if c.SecurityContext != nil {
		sc = *c.SecurityContext
	}
	if p := pod.Spec.SecurityContext; p != nil {
		if sc.RunAsUser == nil {
			sc.RunAsUser = p.RunAsUser
		}
		if sc.RunAsGroup == nil {
			sc.RunAsGroup = p.RunAsGroup
		}
		if sc.RunAsNonRoot == nil {
			sc.RunAsNonRoot = p.RunAsNonRoot
		}
	}
	return sc
}

// capabilities applies a container's add and drop to the default set.
func capabilities(c *corev1.Capabilities, privileged bool) []string {
	if privileged {
		return allCapabilities
	}
	set := map[string]bool{}
	for _, cp := range defaultCapabilities {
		set[cp] = true
	}
	if c != nil {
		for _, d := range c.Drop {
			if strings.EqualFold(string(d), "ALL") {
				set = map[string]bool{}
				break
			}
			delete(set, capName(d))
		}
		for _, a := range c.Add {
			if strings.EqualFold(string(a), "ALL") {
				for _, cp := range allCapabilities {
					set[cp] = true
				}
				continue
			}
			set[capName(a)] = true
		}
	}
	out := []string{}
	for _, cp := range allCapabilities {
		if set[cp] {
			out = append(out, cp)
		}
	}
	return out
}

func capName(c corev1.Capability) string {
	s := strings.ToUpper(string(c))
	if !strings.HasPrefix(s, "CAP_") {
		s = "CAP_" + s
	}
	return s
}

// resources turns the container's requests and limits into cgroup settings as the kubelet
// does: limits.memory is the memory limit, limits.cpu a CFS quota over 100ms periods,
// requests.cpu the CPU shares (2 for none).
func resources(c *corev1.Container, privileged bool) *specs.LinuxResources {
	res := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: privileged, Access: "rwm"}}}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && !q.IsZero() {
		limit := q.Value()
		res.Memory = &specs.LinuxMemory{Limit: &limit}
	}
	cpuRequest, hasRequest := c.Resources.Requests[corev1.ResourceCPU]
	cpuLimit, hasLimit := c.Resources.Limits[corev1.ResourceCPU]
	if !hasRequest && hasLimit {
		cpuRequest, hasRequest = cpuLimit, true
	}
	shares := uint64(2)
	if hasRequest {
		shares = max(uint64(cpuRequest.MilliValue()*1024/1000), 2)
	}
	res.CPU = &specs.LinuxCPU{Shares: &shares}
	if hasLimit && !cpuLimit.IsZero() {
		period := uint64(100000)
		quota := max(cpuLimit.MilliValue()*100000/1000, 1000)
		res.CPU.Period, res.CPU.Quota = &period, &quota
	}
	return res
}

func sysctls(pod *corev1.Pod) map[string]string {
	if pod.Spec.SecurityContext == nil || len(pod.Spec.SecurityContext.Sysctls) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, s := range pod.Spec.SecurityContext.Sysctls {
		out[s.Name] = s.Value
	}
	return out
}

// oomScoreAdj follows upstream's QoS policy: guaranteed pods are killed last, best-effort
// ones first, burstable ones by their share of the machine's memory.
func oomScoreAdj(pod *corev1.Pod, c *corev1.Container, machineMemory int64) int {
	switch qosClass(pod) {
	case corev1.PodQOSGuaranteed:
		return -997
	case corev1.PodQOSBestEffort:
		return 1000
	}
	req := c.Resources.Requests[corev1.ResourceMemory]
	if machineMemory <= 0 {
		return 999
	}
	adj := 1000 - (1000*req.Value())/machineMemory
	return int(min(max(adj, 2), 999))
}

// qosClass is the pod's QoS class (status.qosClass when set).
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	if pod.Status.QOSClass != "" {
		return pod.Status.QOSClass
	}
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	guaranteed := true
	for _, c := range pod.Spec.Containers {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			r, hasR := c.Resources.Requests[name]
			l, hasL := c.Resources.Limits[name]
			if hasR {
				add(requests, name, r)
			}
			if hasL {
				add(limits, name, l)
			}
			if !hasL || (hasR && r.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case len(requests) == 0 && len(limits) == 0:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

func add(list corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
	sum := list[name]
	sum.Add(q)
	list[name] = sum
}

func defaultMounts(privileged bool) []specs.Mount {
	sysOpts := []string{"nosuid", "noexec", "nodev", "ro"}
	cgroupOpts := []string{"nosuid", "noexec", "nodev", "relatime", "ro"}
	if privileged {
		sysOpts, cgroupOpts = sysOpts[:3], cgroupOpts[:4]
	}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: sysOpts},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: cgroupOpts},
	}
}

// bindMount mounts a host path into the container; propagation follows the volume
// mount's mountPropagation (private unless asked).
func bindMount(src, dst string, readOnly bool, propagation corev1.MountPropagationMode) specs.Mount {
	prop := "rprivate"
	switch propagation {
	case corev1.MountPropagationHostToContainer:
		prop = "rslave"
	case corev1.MountPropagationBidirectional:
		prop = "rshared"
	}
	opts := []string{"rbind", prop}
	if readOnly {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}

// errRunAsRoot is upstream's refusal of a runAsNonRoot container that would run as root.
var errRunAsRoot = fmt.Errorf("container has runAsNonRoot and image will run as root")
