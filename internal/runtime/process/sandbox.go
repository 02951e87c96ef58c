package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
)

// UpdatePodCIDR implements runtime.Runtime. The first call also sets up the host: the
// unreachable routes of the cluster ranges, the bridge, the service route and the nftables
// table (see the package doc).
func (r *Runtime) UpdatePodCIDR(ctx context.Context, cidr string) error {
	if _, n, err := net.ParseCIDR(cidr); err != nil || n.IP.To4() == nil {
		return fmt.Errorf("pod CIDR %q: must be an IPv4 CIDR", cidr)
	}
	r.mu.Lock()
	ready := r.hostReady
	r.mu.Unlock()
	if !ready {
		if err := r.setUpHost(ctx, cidr); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hostReady, r.podCIDR = true, cidr
	return nil
}

// RunPodSandbox implements runtime.Runtime: volumes first (so that they are ready before
// the first init container), then the network namespace and its address, then the files
// every container of the pod mounts at /etc/hosts, /etc/resolv.conf and /etc/hostname.
func (r *Runtime) RunPodSandbox(ctx context.Context, config *runtime.SandboxConfig) error {
	pod := config.Pod
	r.mu.Lock()
	sb := r.sandboxes[pod.UID]
	if sb != nil && sb.rec.Ready {
		r.mu.Unlock()
		return nil
	}
	cidr := r.podCIDR
	if !pod.Spec.HostNetwork && cidr == "" {
		r.mu.Unlock()
		return fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, runtime.ErrNoPodCIDR)
	}
	if sb == nil {
		sb = &sandbox{dir: filepath.Join(r.dirs.pods, string(pod.UID)), rec: sandboxRecord{
			UID: pod.UID, Name: pod.Name, Namespace: pod.Namespace, HostNetwork: pod.Spec.HostNetwork,
			CreatedAt: time.Now().UTC(),
		}}
		r.sandboxes[pod.UID] = sb
	}
	rec := sb.rec
	r.mu.Unlock()

	rec.Hostname = podHostname(pod)
	if err := os.MkdirAll(filepath.Join(sb.dir, etcDir), 0o755); err != nil {
		return err
	}
	if err := r.commit(sb, rec); err != nil {
		return err
	}
	work := &sandbox{dir: sb.dir, rec: rec}
	if err := r.setUpVolumes(work, config); err != nil {
		return err
	}
	ip := ""
	if !rec.HostNetwork {
		var err error
		if ip, err = r.setUpNetwork(ctx, work, pod, cidr); err != nil {
			_ = r.commit(sb, work.rec)
			return fmt.Errorf("pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
	}
	if err := r.writeEtcFiles(work, pod, ip); err != nil {
		return err
	}
	work.rec.Ready, work.rec.IP = true, ip
	return r.commit(sb, work.rec)
}

// commit makes rec the sandbox's record, in memory and on disk.
func (r *Runtime) commit(sb *sandbox, rec sandboxRecord) error {
	r.mu.Lock()
	sb.rec = rec
	r.mu.Unlock()
	return sb.save()
}

func (r *Runtime) setUpNetwork(ctx context.Context, sb *sandbox, pod *corev1.Pod, cidr string) (string, error) {
	sb.rec.NetNS = filepath.Join(r.dirs.netns, string(sb.rec.UID))
	if !isNetns(sb.rec.NetNS) {
		_ = os.Remove(sb.rec.NetNS)
		if err := createNetns(sb.rec.NetNS); err != nil {
			return "", err
		}
	}
	ip, err := r.addNetwork(ctx, sb, pod, cidr)
	if err != nil {
		_ = r.delNetwork(context.WithoutCancel(ctx), sb, pod)
		_ = removeNetns(sb.rec.NetNS)
		sb.rec.NetNS = ""
		if strings.Contains(err.Error(), "no IP addresses available") {
			return "", fmt.Errorf("%w %s: %v", runtime.ErrPodCIDRExhausted, cidr, err)
		}
		return "", err
	}
	return ip, nil
}

func (r *Runtime) writeEtcFiles(sb *sandbox, pod *corev1.Pod, ip string) error {
	hosts := hostsFile(pod, ip, r.opts.ClusterDomain)
	if sb.rec.HostNetwork {
		host, _ := os.ReadFile("/etc/hosts")
		hosts = hostNetworkHostsFile(pod, host)
	}
	hostResolv, _ := os.ReadFile(r.opts.HostResolvConf)
	resolv := podResolvConf(pod, dnsSettings{ClusterDNS: r.opts.ClusterDNS, ClusterDomain: r.opts.ClusterDomain, Host: parseResolvConf(hostResolv)})
	hostname := sb.rec.Hostname
	if sb.rec.HostNetwork {
		hostname, _ = os.Hostname()
	}
	for name, data := range map[string][]byte{"hosts": hosts, "resolv.conf": resolv, "hostname": []byte(hostname + "\n")} {
		if err := writeFileAtomic(sb.etcPath(name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// UpdatePodVolumes implements runtime.Runtime.
func (r *Runtime) UpdatePodVolumes(_ context.Context, config *runtime.SandboxConfig) error {
	r.mu.Lock()
	sb := r.sandboxes[config.Pod.UID]
	ready := sb != nil && sb.rec.Ready
	r.mu.Unlock()
	if !ready {
		return nil
	}
	return r.updateVolumes(sb, config)
}

// StopPodSandbox implements runtime.Runtime.
func (r *Runtime) StopPodSandbox(ctx context.Context, uid types.UID) error {
	r.mu.Lock()
	sb := r.sandboxes[uid]
	if sb == nil {
		r.mu.Unlock()
		return nil
	}
	var running []*container
	for _, c := range sb.containers {
		if c.state() == runtime.ContainerRunning {
			running = append(running, c)
		}
	}
	rec := sb.rec
	r.mu.Unlock()

	for _, c := range running {
		r.kill(ctx, c)
	}
	if !rec.Ready && rec.NetNS == "" && len(rec.CNI) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // a half-released network is worse than a late one
	if err := r.delNetwork(ctx, &sandbox{dir: sb.dir, rec: rec}, nil); err != nil {
		return fmt.Errorf("pod %s/%s: %w", rec.Namespace, rec.Name, err)
	}
	rec.CNI = nil
	if err := removeNetns(rec.NetNS); err != nil {
		return err
	}
	rec.NetNS, rec.Ready, rec.IP = "", false, ""
	return r.commit(sb, rec)
}

// RemovePodSandbox implements runtime.Runtime.
func (r *Runtime) RemovePodSandbox(ctx context.Context, uid types.UID) error {
	if err := r.StopPodSandbox(ctx, uid); err != nil {
		return err
	}
	r.mu.Lock()
	sb := r.sandboxes[uid]
	if sb == nil {
		r.mu.Unlock()
		return nil
	}
	containers := append([]*container(nil), sb.containers...)
	r.mu.Unlock()
	var errs []error
	for _, c := range containers {
		if err := r.RemoveContainer(ctx, c.rec.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := removeTree(sb.dir); err != nil {
		return err
	}
	r.cgroup.removePod(r.opts.CgroupParent, uid)
	r.mu.Lock()
	delete(r.sandboxes, uid)
	r.mu.Unlock()
	return nil
}
