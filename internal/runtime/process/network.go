package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	current "github.com/containernetworking/cni/pkg/types/100"
	corev1 "k8s.io/api/core/v1"
)

// cniNetworkName names ordinal's network in CNI (and in libcni's cache).
const cniNetworkName = "ordinal"

// podIfName is the pod's interface inside its namespace.
const podIfName = "eth0"

// cniConfList is the CNI configuration of the pods of a node: a bridge with the gateway
// (.1) of the pod CIDR, addresses from host-local, no masquerading (pod traffic stays on
// the node), and portmap when the pod has host ports.
func cniConfList(bridge, podCIDR, ipamDir string, portmap bool) ([]byte, error) {
	gw, n, err := gatewayOf(podCIDR)
	if err != nil {
		return nil, err
	}
	plugins := []map[string]any{{
		"type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
		"ipam": map[string]any{
			"type":    "host-local",
			"ranges":  [][]map[string]string{{{"subnet": n.String(), "gateway": gw.String()}}},
			"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
			"dataDir": ipamDir,
		},
	}}
	if portmap {
		plugins = append(plugins, map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true})
	}
	return json.Marshal(map[string]any{"cniVersion": "1.0.0", "name": cniNetworkName, "plugins": plugins})
}

// gatewayOf returns the bridge's address in a pod CIDR (its first host address) and the
// CIDR itself.
func gatewayOf(podCIDR string) (net.IP, *net.IPNet, error) {
	_, n, err := net.ParseCIDR(podCIDR)
	if err != nil || n.IP.To4() == nil {
		return nil, nil, fmt.Errorf("pod CIDR %q: must be an IPv4 CIDR", podCIDR)
	}
	gw := make(net.IP, 4)
	copy(gw, n.IP.To4())
	gw[3]++
	return gw, n, nil
}

// portMappings are the pod's host ports in portmap's terms.
func portMappings(pod *corev1.Pod) []map[string]any {
	var out []map[string]any
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort == 0 {
					continue
				}
				proto := strings.ToLower(string(p.Protocol))
				if proto == "" {
					proto = "tcp"
				}
				m := map[string]any{"hostPort": p.HostPort, "containerPort": p.ContainerPort, "protocol": proto}
				if p.HostIP != "" {
					m["hostIP"] = p.HostIP
				}
				out = append(out, m)
			}
		}
	}
	return out
}

func (r *Runtime) cniConfig() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir([]string{r.opts.CNIPluginDir}, filepath.Join(r.dirs.cni, "cache"), nil)
}

func cniRuntimeConf(sb *sandbox, pod *corev1.Pod) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: string(sb.rec.UID), NetNS: sb.rec.NetNS, IfName: podIfName,
		Args: [][2]string{
			{"K8S_POD_NAMESPACE", sb.rec.Namespace}, {"K8S_POD_NAME", sb.rec.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", string(sb.rec.UID)}, {"K8S_POD_UID", string(sb.rec.UID)},
			{"IgnoreUnknown", "1"},
		},
	}
	if pod != nil {
		if pm := portMappings(pod); len(pm) > 0 {
			rt.CapabilityArgs = map[string]any{"portMappings": pm}
		}
	}
	return rt
}

// addNetwork wires the sandbox's namespace into the pod network and returns its IP.
func (r *Runtime) addNetwork(ctx context.Context, sb *sandbox, pod *corev1.Pod, podCIDR string) (string, error) {
	conf, err := cniConfList(r.opts.Bridge, podCIDR, filepath.Join(r.dirs.cni, "networks"), len(portMappings(pod)) > 0)
	if err != nil {
		return "", err
	}
	list, err := libcni.ConfListFromBytes(conf)
	if err != nil {
		return "", err
	}
	sb.rec.CNI = conf
	res, err := r.cniConfig().AddNetworkList(ctx, list, cniRuntimeConf(sb, pod))
	if err != nil {
		return "", fmt.Errorf("CNI: %w", err)
	}
	result, err := current.NewResultFromResult(res)
	if err != nil {
		return "", fmt.Errorf("CNI result: %w", err)
	}
	for _, ip := range result.IPs {
		if ip.Address.IP.To4() != nil {
			return ip.Address.IP.String(), nil
		}
	}
	return "", errors.New("CNI: the bridge plugin gave the pod no IPv4 address")
}

// delNetwork releases the sandbox's address and port mappings.
func (r *Runtime) delNetwork(ctx context.Context, sb *sandbox, pod *corev1.Pod) error {
	if len(sb.rec.CNI) == 0 {
		return nil
	}
	list, err := libcni.ConfListFromBytes(sb.rec.CNI)
	if err != nil {
		return err
	}
	rt := cniRuntimeConf(sb, pod)
	if !isNetns(sb.rec.NetNS) {
		rt.NetNS = "" // gone already: plugins still release what they hold on the host
	}
	if pod == nil {
		// Port mappings are released by container ID; portmap needs to be told there were some.
		if _, cached, err := r.cniConfig().GetNetworkListCachedConfig(list, rt); err == nil && cached != nil {
			rt.CapabilityArgs = cached.CapabilityArgs
		}
	}
	if err := r.cniConfig().DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("CNI: %w", err)
	}
	sb.rec.CNI = nil
	return nil
}

// nftScript is ordinal's nftables table: nothing from or to the pod and service ranges is
// forwarded through an interface that is not one of ordinal's bridges, except the replies
// of connections DNATed to pods (hostPort), which leave with the host's address, and
// traffic to the pod CIDRs of other nodes (the set remote, kept by package podroutes).
const nftScript = `table inet ordinal {
	set bridges { type ifname; }
	set ranges { type ipv4_addr; flags interval; }
	set remote { type ipv4_addr; flags interval; }
	chain forward { type filter hook forward priority filter; policy accept; }
}
flush chain inet ordinal forward
add element inet ordinal bridges { %q }
add element inet ordinal ranges { %s, %s }
add rule inet ordinal forward ct status dnat accept
add rule inet ordinal forward ip daddr @remote accept
add rule inet ordinal forward ip saddr @ranges oifname != @bridges drop
add rule inet ordinal forward ip daddr @ranges oifname != @bridges drop
`

// setUpHost installs the unreachable route of the pod range, the node's bridge with
// its gateway address, the route of the service range through that bridge, and ordinal's
// nftables table; all are idempotent and never torn down (another node's agent or a
// restarted one needs them as much).
//
// The service range needs a real route for the host itself to reach cluster IPs: a locally
// made packet is routed before the proxy's nat output chain DNATs it to an endpoint, and an
// unreachable route (as the pod range has) would fail it there. Through the bridge, with the gateway as source
// address, the DNATed packet reaches the pod and the reply comes back to the host; a
// cluster IP that nobody proxies dies on the bridge instead of taking the default route.
func (r *Runtime) setUpHost(ctx context.Context, podCIDR string) error {
	gw, n, err := gatewayOf(podCIDR)
	if err != nil {
		return err
	}
	prefix, _ := n.Mask.Size()
	steps := [][]string{{"route", "replace", "unreachable", r.opts.PodRange}}
	if _, err := net.InterfaceByName(r.opts.Bridge); err != nil {
		steps = append(steps, []string{"link", "add", r.opts.Bridge, "type", "bridge"})
	}
	steps = append(steps,
		[]string{"addr", "replace", fmt.Sprintf("%s/%d", gw, prefix), "dev", r.opts.Bridge},
		[]string{"link", "set", r.opts.Bridge, "up"},
		[]string{"route", "replace", r.opts.ServiceRange, "dev", r.opts.Bridge, "src", gw.String()},
	)
	for _, args := range steps {
		out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
		// Two first pods can set the host up at once; the bridge made by the other is fine.
		if err != nil && !(args[1] == "add" && bytes.Contains(out, []byte("File exists"))) {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	script := fmt.Sprintf(nftScript, r.opts.Bridge, r.opts.PodRange, r.opts.ServiceRange)
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s (apt-get install nftables)", err, bytes.TrimSpace(out))
	}
	return nil
}
