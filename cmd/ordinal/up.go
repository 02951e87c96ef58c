package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle"
	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/join"
	"ordinal.dev/ordinal/internal/network/ingress"
)

type serveOptions struct {
	dataDir       string
	listen        string
	etcdEndpoints string
	serviceCIDR   string
	clusterCIDR   string
	clusterDNS    string
	dnsListen     []string
	ingressHTTP   string
	ingressHTTPS  string
	sharedVolumes string
	nodeLifecycle nodelifecycle.Options
	failover      bool
	nodes         nodeOptions
	// leaderElection: controllers run only on the server holding the lease (ordinal server).
	leaderElection bool
}

func (o *serveOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.dataDir, "data-dir", defaultDataDir(), "directory for the cluster's state (etcd data, certificates, kubeconfig)")
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:6443", "address the apiserver listens on")
	cmd.Flags().StringVar(&o.serviceCIDR, "service-cidr", controlplane.DefaultServiceCIDR, "range of service cluster IPs")
	cmd.Flags().StringVar(&o.clusterCIDR, "cluster-cidr", controlplane.DefaultClusterCIDR, "range of pod IPs; each node gets a /24 of it")
	cmd.Flags().StringVar(&o.clusterDNS, "cluster-dns", controlplane.DefaultClusterDNS, "cluster IP of the kube-dns Service, the nameserver of pods")
	cmd.Flags().StringVar(&o.ingressHTTP, "ingress-http-addr", ingress.DefaultHTTPAddr, "address the ingress controller serves HTTP on (empty: no ingress controller)")
	cmd.Flags().StringVar(&o.ingressHTTPS, "ingress-https-addr", ingress.DefaultHTTPSAddr, "address the ingress controller serves HTTPS on")
	cmd.Flags().StringVar(&o.sharedVolumes, "shared-volume-dir", "", "a directory mounted at the same path on every node and server (an NFS export); adds the StorageClass nfs-client, whose volumes any node can use")
	nl := &o.nodeLifecycle
	cmd.Flags().DurationVar(&nl.NodeMonitorGracePeriod, "node-monitor-grace-period", nodelifecycle.DefaultNodeMonitorGracePeriod, "how long a node may go without a heartbeat before it is marked NotReady (Unknown)")
	cmd.Flags().DurationVar(&nl.NodeMonitorPeriod, "node-monitor-period", nodelifecycle.DefaultNodeMonitorPeriod, "how often the node lifecycle controller looks at every node")
	cmd.Flags().DurationVar(&nl.FencingPeriod, "fencing-period", nodelifecycle.DefaultFencingPeriod, "the least time agents take to stop their containers after losing the control plane (agents' --fencing-period)")
	cmd.Flags().DurationVar(&nl.SafetyMargin, "failover-safety-margin", nodelifecycle.DefaultSafetyMargin, "extra wait before a lost node's StatefulSet pods are deleted for recreation elsewhere")
	cmd.Flags().BoolVar(&o.failover, "statefulset-failover", true, "recreate the StatefulSet pods of a lost node elsewhere once it has surely stopped them (see docs/COMPATIBILITY.md)")
	cmd.Flags().StringSliceVar(&o.dnsListen, "dns-listen", nil, "addresses (host:port) the cluster DNS server answers on, e.g. 127.0.0.1:10053; none by default")
}

func upCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a single-machine cluster: embedded etcd, apiserver and controllers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.nodes.runtime, "runtime", defaultRuntime(), "how this machine's node runs pods: process (real containers with runc; needs root), sim (simulated containers) or none (no node on this machine)")
	cmd.Flags().IntVar(&o.nodes.simNodes, "sim-nodes", 0, "number of extra simulated nodes (ordinal-sim-1 ... ordinal-sim-N)")
	cmd.Flags().DurationVar(&o.nodes.simStartDelay, "sim-start-delay", 0, "how long a simulated container takes to start")
	return cmd
}

func serverCommand() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane (apiserver and controllers) on an etcd cluster",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.leaderElection = true
			return serve(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.etcdEndpoints, "etcd-endpoints", "", "comma-separated etcd client URLs; empty runs an embedded single-member etcd in the data dir")
	return cmd
}

// serve runs the control plane until SIGINT or SIGTERM.
func serve(ctx context.Context, o *serveOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	release, err := lockDataDir(o.dataDir)
	if err != nil {
		return err
	}
	defer release()
	var endpoints []string
	if o.etcdEndpoints != "" {
		endpoints = strings.Split(o.etcdEndpoints, ",")
	}
	// ORDINAL_COMPACTION_INTERVAL is a knob for tests that need 410 Gone without waiting
	// five minutes; it is not a user-facing flag.
	var compaction time.Duration
	if v := os.Getenv("ORDINAL_COMPACTION_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("ORDINAL_COMPACTION_INTERVAL=%q: %w", v, err)
		}
		compaction = d
	}
	// With real containers, the cluster DNS server answers at the kube-dns Service's address
	// on this machine, where pods' resolv.conf sends them.
	if o.nodes.runtime == "process" && len(o.dnsListen) == 0 {
		if err := ensureDNSAddress(o.clusterDNS); err != nil {
			return fmt.Errorf("cluster DNS: %w", err)
		}
		o.dnsListen = []string{net.JoinHostPort(o.clusterDNS, "53")}
	}
	cp, err := controlplane.Start(ctx, controlplane.Options{
		DataDir:            o.dataDir,
		Listen:             o.listen,
		EtcdEndpoints:      endpoints,
		ServiceCIDR:        o.serviceCIDR,
		ClusterCIDR:        o.clusterCIDR,
		ClusterDNS:         o.clusterDNS,
		DNSListen:          o.dnsListen,
		IngressHTTPAddr:    o.ingressHTTP,
		IngressHTTPSAddr:   o.ingressHTTPS,
		CompactionInterval: compaction,
		LeaderElection:     o.leaderElection,
		SharedVolumeDir:    o.sharedVolumes,
		NodeLifecycle:      o.nodeLifecycleOptions(),
		Progress:           os.Stdout,
	})
	if err != nil {
		return err
	}
	var agents *nodes
	if o.nodes.runtime != "" || o.nodes.simNodes > 0 {
		o.nodes.dataDir, o.nodes.volumeDir, o.nodes.clusterDNS = o.dataDir, cp.VolumeDir, o.clusterDNS
		if agents, err = startNodes(ctx, cp.RestConfig, cp.Streaming, o.nodes); err != nil {
			cp.Stop()
			return err
		}
		fmt.Printf("%-12s %s\n", "nodes", strings.Join(agents.names, ", "))
	}
	fmt.Printf("cluster ready in %dms; kubeconfig: %s\n", time.Since(start).Milliseconds(), cp.Kubeconfig)
	fmt.Printf("  export KUBECONFIG=%s\n", cp.Kubeconfig)
	printJoinCommand(ctx, cp)
	shutdown := func() {
		if agents != nil {
			agents.stop()
		}
		cp.Stop()
	}
	select {
	case <-ctx.Done():
	case err := <-cp.Err():
		shutdown()
		return fmt.Errorf("apiserver stopped: %w", err)
	}
	fmt.Println("shutting down")
	shutdown()
	return nil
}

// printJoinCommand prints how another machine joins: with a new bootstrap token (a day long)
// when the apiserver listens where other machines can reach it, else how to get there.
func printJoinCommand(ctx context.Context, cp *controlplane.ControlPlane) {
	if loopback(cp.Server) {
		fmt.Println("  other machines can join once the apiserver listens on a reachable address (--listen); then: ordinal token create --print-join-command")
		return
	}
	client, err := kubernetes.NewForConfig(cp.RestConfig)
	if err != nil {
		return
	}
	token, err := createToken(ctx, client, 24*time.Hour, "printed by ordinal at start")
	if err != nil {
		fmt.Printf("  no join command: %v\n", err)
		return
	}
	caPEM, err := os.ReadFile(filepath.Join(filepath.Dir(cp.Kubeconfig), "pki", "ca.crt"))
	if err != nil {
		return
	}
	hash, err := auth.CACertHashPEM(caPEM)
	if err != nil {
		return
	}
	fmt.Printf("  join a machine (token valid 24h): %s\n", join.Command(cp.Server, token, hash))
}

func (o *serveOptions) nodeLifecycleOptions() nodelifecycle.Options {
	nl := o.nodeLifecycle
	nl.FailoverEnabled = &o.failover
	return nl
}
