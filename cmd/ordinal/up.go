package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"ordinal.dev/ordinal/internal/controlplane"
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
