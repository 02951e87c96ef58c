package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/agent"
	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/join"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
	"ordinal.dev/ordinal/internal/volume"
)

type agentOptions struct {
	server        string
	token         string
	caCertHash    string
	dataDir       string
	nodeName      string
	nodeIP        string
	runtime       string
	clusterDNS    string
	volumeDir     string
	kubeletPort   int
	fencingPeriod time.Duration
	leaseDuration time.Duration
}

func agentCommand() *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Join this machine to a cluster as a node",
		Long: `Joins this machine to the cluster of --server as a node and runs its pods.

The first start trades the bootstrap token (from 'ordinal token create') for credentials
of the node's own, after checking that the server's CA matches --ca-cert-hash; later starts
reuse them from the data dir. The node serves logs, exec, attach and port-forward to the
apiservers on --node-ip:10250, answers cluster DNS at the kube-dns address, proxies
Services, and routes to the other nodes' pod networks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "", "URLs of the cluster's apiservers, comma-separated, e.g. https://10.0.0.1:6443")
	f.StringVar(&o.token, "token", "", "bootstrap token (ordinal token create); needed only on the first start")
	f.StringVar(&o.caCertHash, "ca-cert-hash", "", "sha256:<hex> of the cluster CA's public key, as the join command prints it")
	f.StringVar(&o.dataDir, "data-dir", defaultAgentDataDir(), "directory for the node's credentials, images, containers and volumes")
	f.StringVar(&o.nodeName, "node-name", "", "the Node's name (default: the hostname)")
	f.StringVar(&o.nodeIP, "node-ip", "", "the node's address other nodes and the apiservers reach it at (default: the address of the default route)")
	f.StringVar(&o.runtime, "runtime", defaultRuntime(), "how pods run: process (real containers; needs root) or sim")
	f.StringVar(&o.clusterDNS, "cluster-dns", controlplane.DefaultClusterDNS, "cluster IP of the kube-dns Service, answered on this machine")
	f.StringVar(&o.volumeDir, "volume-dir", "", "where local-path volumes live; must match the server's (default: the server's default, /var/lib/ordinal/volumes)")
	f.IntVar(&o.kubeletPort, "kubelet-port", 10250, "port of the node's streaming server")
	f.DurationVar(&o.fencingPeriod, "fencing-period", agent.DefaultFencingPeriod, "stop every container when the node's lease could not be renewed for this long (0: never); must cover two renewals")
	f.DurationVar(&o.leaseDuration, "node-lease-duration", 40*time.Second, "duration of the node's Lease, renewed every quarter of it (upstream's nodeLeaseDurationSeconds)")
	return cmd
}

func defaultAgentDataDir() string {
	return filepath.Join(filepath.Dir(defaultDataDir()), "ordinal-agent")
}

func runAgent(ctx context.Context, o *agentOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.nodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		o.nodeName = strings.ToLower(h)
	}
	if o.volumeDir == "" {
		o.volumeDir = filepath.Join(defaultDataDir(), "volumes")
	}
	release, err := lockDataDir(o.dataDir)
	if err != nil {
		return err
	}
	defer release()

	dialer, servers, err := newServerDialer(o.server)
	if err != nil {
		return err
	}
	pkiDir := filepath.Join(o.dataDir, "pki")
	cfg, err := join.Bootstrap(ctx, join.Options{
		Server: servers[0], Token: o.token, CACertHash: o.caCertHash, NodeName: o.nodeName, Dir: pkiDir,
	})
	if err != nil {
		return fmt.Errorf("joining %s: %w", servers[0], err)
	}
	// Every server of the cluster answers for the name "kubernetes"; the dialer goes to the
	// first one that answers, so the node keeps working when its server goes away.
	cfg.QPS = -1
	cfg.TLSClientConfig.ServerName = "kubernetes"
	cfg.Dial = dialer.DialContext
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(filepath.Join(pkiDir, join.CAFile))
	if err != nil {
		return err
	}
	machine := agent.DetectMachine(o.nodeName, o.dataDir)
	if o.nodeIP != "" {
		machine.InternalIP = o.nodeIP
	}
	heartbeat := newHeartbeat(filepath.Join(o.dataDir, "heartbeat"))
	var rt runtime.Runtime
	switch o.runtime {
	case "process":
		// Each container's shim kills it when the heartbeat stops: the agent fences its
		// containers itself, but they outlive it, and a dead agent fences nothing.
		if rt, err = processRuntime(nodeOptions{dataDir: o.dataDir, volumeDir: o.volumeDir, clusterDNS: o.clusterDNS,
			fenceFile: heartbeat.path, fencePeriod: o.fencingPeriod}); err != nil {
			return err
		}
		if err := ensureDNSAddress(o.clusterDNS); err != nil {
			return fmt.Errorf("cluster DNS: %w", err)
		}
	case "sim":
		rt = sim.New(sim.Options{})
	default:
		return fmt.Errorf("--runtime=%q: must be process or sim", o.runtime)
	}
	a, err := agent.New(agent.Config{
		NodeName: o.nodeName, Client: client, Runtime: rt, Machine: &machine,
		KubeletPort: int32(o.kubeletPort), FencingPeriod: o.fencingPeriod,
		LeaseDurationSeconds: int32(o.leaseDuration / time.Second),
		LeaseRenewed:         heartbeat.beat,
	})
	if err != nil {
		return err
	}
	nodeIP := net.ParseIP(machine.InternalIP)
	if nodeIP == nil {
		return fmt.Errorf("node address %q is not an IP address (--node-ip)", machine.InternalIP)
	}
	serving, err := join.ServingCertificate(ctx, client, o.nodeName, []net.IP{nodeIP}, pkiDir)
	if err != nil {
		return err
	}
	srv, err := streaming.NewServer(streaming.Config{NodeName: o.nodeName, Client: client, Runtime: rt})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(machine.InternalIP, strconv.Itoa(o.kubeletPort)))
	if err != nil {
		return fmt.Errorf("streaming server: %w", err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(caPEM)

	var wg sync.WaitGroup
	goRun := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && ctx.Err() == nil {
				slog.Error(name, "node", o.nodeName, "err", err)
			}
		}()
	}
	goRun("agent", func() error { return a.Run(ctx) })
	goRun("streaming server", func() error { return srv.ServeTLS(ctx, ln, serving, clientCAs) })
	goRun("volume reclaimer", func() error { volume.NewReclaimer(client, o.nodeName, o.volumeDir).Run(ctx); return nil })
	if o.runtime == "process" {
		goRun("node network", func() error { return runNodeNetwork(ctx, client, o.nodeName, o.clusterDNS) })
	}
	fmt.Printf("node %s joined %s; serving pods (runtime %s), streams on %s\n", o.nodeName, o.server, o.runtime, ln.Addr())
	<-ctx.Done()
	fmt.Println("shutting down")
	wg.Wait()
	return nil
}

// heartbeat is the file the agent rewrites after each Lease renewal and the containers'
// shims watch (shim.Fence).
type heartbeat struct {
	path string
	n    uint64
}

func newHeartbeat(path string) *heartbeat { return &heartbeat{path: path} }

// beat writes a new count, atomically: a shim never reads a half-written file.
func (h *heartbeat) beat() {
	h.n++
	tmp := h.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(h.n, 10)+" "+time.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		slog.Warn("agent: heartbeat file", "err", err)
		return
	}
	if err := os.Rename(tmp, h.path); err != nil {
		slog.Warn("agent: heartbeat file", "err", err)
	}
}
