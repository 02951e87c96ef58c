package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/network/dns"
	"ordinal.dev/ordinal/internal/network/podroutes"
	"ordinal.dev/ordinal/internal/network/proxy"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/process"
	"ordinal.dev/ordinal/internal/runtime/sim"
	"ordinal.dev/ordinal/internal/volume"
)

// nodeOptions say which nodes `ordinal up` runs beside the control plane.
type nodeOptions struct {
	runtime       string
	simNodes      int
	simStartDelay time.Duration
	dataDir       string
	volumeDir     string
	clusterDNS    string
	// fenceFile and fencePeriod: see process.Options (ordinal agent only).
	fenceFile   string
	fencePeriod time.Duration
}

// nodes are the node agents of this process.
type nodes struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	names  []string
}

// startNodes runs this machine's node agent and the simulated nodes.
func startNodes(ctx context.Context, cfg *rest.Config, local *streaming.LocalNodes, o nodeOptions) (*nodes, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	n := &nodes{cancel: cancel}
	start := func(name string, m agent.Machine, rt runtime.Runtime) error {
		a, err := agent.New(agent.Config{NodeName: name, Client: client, Runtime: rt, Machine: &m, Streaming: local})
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		reclaimer := volume.NewReclaimer(client, name, o.volumeDir)
		n.names = append(n.names, name)
		n.wg.Add(2)
		go func() { defer n.wg.Done(); a.Run(ctx) }()
		go func() { defer n.wg.Done(); reclaimer.Run(ctx) }()
		return nil
	}
	simRuntime := func() runtime.Runtime { return sim.New(sim.Options{StartDelay: o.simStartDelay}) }
	if o.runtime != "none" {
		hostname, err := os.Hostname()
		if err != nil {
			cancel()
			return nil, err
		}
		name := strings.ToLower(hostname)
		var rt runtime.Runtime
		switch o.runtime {
		case "sim":
			rt = simRuntime()
		case "process":
			if rt, err = processRuntime(o); err != nil {
				cancel()
				return nil, err
			}
		default:
			cancel()
			return nil, fmt.Errorf("--runtime=%q: must be process, sim or none", o.runtime)
		}
		if err := start(name, agent.DetectMachine(name, o.dataDir), rt); err != nil {
			cancel()
			return nil, err
		}
		if o.runtime == "process" {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				// The control plane of ordinal up serves the cluster DNS itself.
				if err := runNodeNetwork(ctx, client, name, ""); err != nil {
					slog.Error("node network", "node", name, "err", err)
				}
			}()
		}
	}
	for i := 1; i <= o.simNodes; i++ {
		name := fmt.Sprintf("ordinal-sim-%d", i)
		if err := start(name, agent.SimMachine(name, i), simRuntime()); err != nil {
			n.stop()
			return nil, err
		}
	}
	return n, nil
}

// stop ends the agents without stopping their pods (a restart finds them again).
func (n *nodes) stop() {
	n.cancel()
	n.wg.Wait()
}

// defaultRuntime is process as root on Linux (real containers), sim otherwise.
func defaultRuntime() string {
	if goruntime.GOOS == "linux" && os.Geteuid() == 0 {
		return "process"
	}
	return "sim"
}

// processRuntime checks that this machine can run real containers (saying what is missing
// and how to fix it if not) and opens the process runtime over the image store.
func processRuntime(o nodeOptions) (runtime.Runtime, error) {
	if err := process.Check(o.dataDir); err != nil {
		return nil, err
	}
	store, err := image.Open(filepath.Join(o.dataDir, "images"), image.Options{})
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	return process.New(process.Options{DataDir: o.dataDir, Images: store, VolumeDir: o.volumeDir, ClusterDNS: o.clusterDNS,
		FenceFile: o.fenceFile, FencePeriod: o.fencePeriod})
}

// runNodeNetwork runs what connects a machine's real pods to the cluster until ctx ends:
// the service proxy, the routes to the other nodes' pod CIDRs and, when clusterDNS is set,
// the cluster DNS server at that address.
func runNodeNetwork(ctx context.Context, client kubernetes.Interface, node, clusterDNS string) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	routes := podroutes.New(node, factory.Core().V1().Nodes())
	var dnsServer *dns.Server
	if clusterDNS != "" {
		var err error
		if dnsServer, err = dns.New(factory, dns.Options{NameserverIPs: []string{clusterDNS}}); err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); runProxy(ctx, client, node) }()
	go func() { defer wg.Done(); routes.Run(ctx) }()
	defer wg.Wait()
	if dnsServer == nil {
		<-ctx.Done()
		return nil
	}
	return dnsServer.Serve(ctx, net.JoinHostPort(clusterDNS, "53"))
}

// runProxy runs the service proxy of this machine's node once the node has its pod range:
// ClusterIP traffic from pods is sent to the services' ready endpoints.
func runProxy(ctx context.Context, client kubernetes.Interface, nodeName string) {
	var podCIDR string
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		node, err := client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		podCIDR = node.Spec.PodCIDR
		return podCIDR != "", nil
	})
	if err != nil {
		return
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	// The cluster DNS server listens on the kube-dns address itself (see ensureDNSAddress).
	px, err := proxy.New(client, factory, proxy.Options{NodeName: nodeName, BridgeCIDR: podCIDR, Unproxied: []string{"kube-system/kube-dns"}})
	if err != nil {
		slog.Error("service proxy", "err", err)
		return
	}
	factory.Start(ctx.Done())
	if err := px.Run(ctx); err != nil {
		slog.Error("service proxy", "err", err)
	}
}
