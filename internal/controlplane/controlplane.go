package controlplane

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/apiserver"
	"ordinal.dev/ordinal/internal/apiserver/openapi"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle"
	"ordinal.dev/ordinal/internal/registry"
	"ordinal.dev/ordinal/internal/storage"
)

// Options configure a control plane.
type Options struct {
	// DataDir holds the etcd member (when embedded), the PKI, the admin token and kubeconfig.
	DataDir string
	// Listen is the apiserver's address, e.g. 127.0.0.1:6443.
	Listen string
	// EtcdEndpoints selects an external etcd cluster; empty starts an embedded member.
	EtcdEndpoints []string
	// ServiceCIDR is the range of service cluster IPs.
	ServiceCIDR string
	// ClusterCIDR is the range of pod IPs; nodes get a /24 of it each.
	ClusterCIDR string
	// ClusterDNS is the cluster DNS service's address (default 10.43.0.10), the kube-dns
	// Service's cluster IP and the nameserver in pods' resolv.conf.
	ClusterDNS string
	// DNSListen are the addresses the cluster DNS server answers on (none: not served).
	DNSListen []string
	// IngressHTTPAddr and IngressHTTPSAddr are where the ingress controller serves (empty
	// HTTP address: no ingress controller).
	IngressHTTPAddr, IngressHTTPSAddr string
	// VolumeDir is where nodes keep local-path volumes (default <data-dir>/volumes); it must be
	// the same path on every node.
	VolumeDir string
	// SharedVolumeDir, when set, is a directory mounted at the same path on every node and
	// server (an NFS export, say): the StorageClass nfs-client provisions volumes in it that
	// any node can use (provisioner ordinal.dev/shared-path).
	SharedVolumeDir string
	// NodeLifecycle configures the node lifecycle controller: grace periods, taint-based
	// eviction and the StatefulSet failover of lost nodes (zero values: the defaults).
	NodeLifecycle nodelifecycle.Options
	// DisableControllers names built-in controllers not to run ("namespace",
	// "garbagecollector", "volume", ...); tests that drive one themselves use it.
	DisableControllers []string
	// LeaderElection makes the controllers and the scheduler run only while this server
	// holds the lease kube-system/ordinal-controller-manager, so that several servers on
	// one etcd never do the same work twice (`ordinal server`).
	LeaderElection bool
	// CompactionInterval is how often etcd is compacted (0: 5 minutes).
	CompactionInterval time.Duration
	// Progress receives one line per component as it comes up (nil: discarded).
	Progress io.Writer
}

// ControlPlane is a running control plane.
type ControlPlane struct {
	opts       Options
	Kubeconfig string
	Server     string // https://host:port
	VolumeDir  string
	// Streaming is where node agents in this process register their streaming servers so
	// that the apiserver reaches them without the network.
	Streaming  *streaming.LocalNodes
	RestConfig *rest.Config
	Registry   *registry.Registry

	caPEM []byte
	caKey crypto.Signer

	embedded *storage.Embedded
	etcd     *clientv3.Client
	http     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	ready    atomic.Bool
	serveErr chan error
}

// Default address ranges (shared/DESIGN.md).
const (
	DefaultServiceCIDR = "10.43.0.0/16"
	DefaultClusterCIDR = "10.42.0.0/16"
	DefaultClusterDNS  = "10.43.0.10"
)

// Start brings the control plane up and returns once it serves requests.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	if opts.ServiceCIDR == "" {
		opts.ServiceCIDR = DefaultServiceCIDR
	}
	if opts.ClusterCIDR == "" {
		opts.ClusterCIDR = DefaultClusterCIDR
	}
	if opts.ClusterDNS == "" {
		opts.ClusterDNS = DefaultClusterDNS
	}
	if opts.CompactionInterval == 0 {
		opts.CompactionInterval = 5 * time.Minute
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	begin := time.Now()
	step := func(component, detail string) {
		fmt.Fprintf(progress, "%-12s %-52s %6.0fms\n", component, detail, float64(time.Since(begin).Microseconds())/1000)
	}
	_, serviceCIDR, err := net.ParseCIDR(opts.ServiceCIDR)
	if err != nil || serviceCIDR.IP.To4() == nil {
		return nil, fmt.Errorf("--service-cidr %q: must be an IPv4 CIDR", opts.ServiceCIDR)
	}
	if err := checkDataDir(opts.DataDir); err != nil {
		return nil, err
	}
	if err := checkSharedVolumeDir(opts.SharedVolumeDir); err != nil {
		return nil, err
	}
	// Take the port before anything slow, so a busy port fails at once and says so.
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w (is another ordinal or apiserver running? choose another address with --listen)", opts.Listen, err)
	}
	cp := &ControlPlane{opts: opts, serveErr: make(chan error, 1), VolumeDir: opts.VolumeDir, Streaming: &streaming.LocalNodes{}}
	if cp.VolumeDir == "" {
		cp.VolumeDir = filepath.Join(opts.DataDir, "volumes")
	}
	ok := false
	defer func() {
		if !ok {
			ln.Close()
			cp.closeStorage()
		}
	}()

	if len(opts.EtcdEndpoints) == 0 {
		cp.embedded, err = storage.StartEmbedded(filepath.Join(opts.DataDir, "etcd"))
		if err != nil {
			return nil, err
		}
		cp.etcd = cp.embedded.Client
		step("etcd", "embedded member in "+filepath.Join(opts.DataDir, "etcd"))
	} else {
		cp.etcd, err = clientv3.New(clientv3.Config{Endpoints: opts.EtcdEndpoints, DialTimeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("connecting to etcd %s: %w", strings.Join(opts.EtcdEndpoints, ","), err)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = cp.etcd.Status(sctx, opts.EtcdEndpoints[0])
		cancel()
		if err != nil {
			return nil, fmt.Errorf("etcd %s is not reachable: %w", strings.Join(opts.EtcdEndpoints, ","), err)
		}
		step("etcd", "cluster "+strings.Join(opts.EtcdEndpoints, ","))
	}
	store := storage.New(cp.etcd, scheme.Scheme)
	if cp.embedded != nil {
		store.UseWatcher(cp.embedded.WatchClient)
	}

	host, port, _ := net.SplitHostPort(ln.Addr().String())
	// As upstream's serving certificate: also the names and the cluster IP of the kubernetes
	// Service, which pods use and which every server of a cluster answers for alike.
	hosts := []string{host, "localhost", "127.0.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local", firstServiceIP(serviceCIDR)}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	pkiDir := filepath.Join(opts.DataDir, "pki")
	if len(opts.EtcdEndpoints) > 0 {
		if err := sharePKI(ctx, cp.etcd, pkiDir, hosts); err != nil {
			return nil, err
		}
	}
	lp, err := loadOrCreateLocalPKI(pkiDir, hosts)
	if err != nil {
		return nil, err
	}
	pki, token := lp.PKI, lp.token
	serverHost := host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		serverHost = "127.0.0.1"
	}
	cp.Server = "https://" + net.JoinHostPort(serverHost, port)
	cp.Kubeconfig = filepath.Join(opts.DataDir, "kubeconfig")
	if err := writeKubeconfig(cp.Kubeconfig, cp.Server, pki.CACert, token); err != nil {
		return nil, fmt.Errorf("writing %s: %w", cp.Kubeconfig, err)
	}
	cp.RestConfig = restConfig(cp.Server, pki.CACert, token)
	cp.caPEM, cp.caKey = pki.CACert, pki.CAKey
	step("pki", "CA, serving certificate and admin token")

	cp.Registry = registry.New(store, registry.All(), serviceCIDR)
	oapi, err := openapi.NewHandler(openapiResources(cp.Registry))
	if err != nil {
		return nil, fmt.Errorf("building OpenAPI documents: %w", err)
	}
	// Agents on other machines are reached over HTTPS with a client certificate of the CA.
	kubeletCert, err := apiserver.KubeletClientCertificate(pkiDir)
	if err != nil {
		return nil, fmt.Errorf("kubelet client certificate in %s: %w", pkiDir, err)
	}
	nodeTransport, err := apiserver.NewNodeTransport(kubeletCert, pki.CACert)
	if err != nil {
		return nil, err
	}
	metrics := apiserver.NewMetrics()
	store.ObserveRequest = func(op string, d time.Duration) { metrics.EtcdLatency.WithLabelValues(op).Observe(d.Seconds()) }
	handler := apiserver.New(apiserver.Config{
		Registry:      cp.Registry,
		Tokens:        map[string]string{token: "admin"},
		ClientCA:      pki.CACert,
		OpenAPI:       oapi,
		Metrics:       metrics,
		NodeStreaming: &apiserver.NodeStreaming{Local: cp.Streaming, Transport: nodeTransport},
		Ready: func() error {
			if !cp.ready.Load() {
				return errors.New("starting")
			}
			return nil
		},
	})
	cp.http = &http.Server{
		Handler:           handler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pki.Serving}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slogErrorLog(),
	}
	go func() {
		if err := cp.http.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cp.serveErr <- err
		}
	}()
	step("apiserver", "serving on "+cp.Server)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cp.cancel = cancel
	if err := bootstrap(ctx, cp.Registry, opts.ClusterDNS, opts.SharedVolumeDir, pki.CACert, cp.Server); err != nil {
		cancel()
		return nil, fmt.Errorf("creating the initial objects: %w", err)
	}
	step("bootstrap", "namespaces, StorageClass, kubernetes and kube-dns")
	cp.wg.Add(1)
	go func() {
		defer cp.wg.Done()
		store.RunCompactor(runCtx, opts.CompactionInterval)
	}()
	client, err := kubernetes.NewForConfig(cp.RestConfig)
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cp.startServing(runCtx, client); err != nil {
		cancel()
		return nil, err
	}
	if opts.LeaderElection {
		cp.run(func() { cp.runLeaderElection(runCtx, client) })
		step("controllers", "started when this server leads (lease kube-system/"+leaderLease+")")
	} else {
		if err := cp.startControllers(runCtx, client, cp.run); err != nil {
			cancel()
			return nil, err
		}
		step("controllers", "scheduler, workloads, volumes, endpoints, garbage collector")
	}
	cp.ready.Store(true)
	ok = true
	return cp, nil
}

// Err reports a fatal serving error.
func (cp *ControlPlane) Err() <-chan error { return cp.serveErr }

// Stop shuts everything down: controllers, then the apiserver (open watches end), then
// storage. Acknowledged writes are already on disk.
func (cp *ControlPlane) Stop() {
	cp.ready.Store(false)
	cp.cancel()
	cp.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cp.http.Shutdown(ctx); err != nil {
		cp.http.Close()
	}
	cp.closeStorage()
}

func (cp *ControlPlane) closeStorage() {
	if cp.embedded != nil {
		cp.embedded.Close()
		cp.embedded = nil
	} else if cp.etcd != nil {
		cp.etcd.Close()
	}
	cp.etcd = nil
}

func openapiResources(reg *registry.Registry) []openapi.Resource {
	var out []openapi.Resource
	for _, r := range reg.Resources() {
		res := openapi.Resource{
			Group: r.Group, Version: r.Version, Resource: r.Name, Kind: r.Kind, ListKind: r.ListKind,
			Namespaced: r.Namespaced,
			Verbs:      []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"},
		}
		if r.Status {
			res.Subresources = append(res.Subresources, openapi.Subresource{Name: "status", Group: r.Group, Version: r.Version, Kind: r.Kind, Verbs: []string{"get", "update", "patch"}})
		}
		if r.PrepareForApprovalUpdate != nil {
			res.Subresources = append(res.Subresources, openapi.Subresource{Name: "approval", Group: r.Group, Version: r.Version, Kind: r.Kind, Verbs: []string{"get", "update", "patch"}})
		}
		if r.Scale != nil {
			res.Subresources = append(res.Subresources, openapi.Subresource{Name: "scale", Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get", "update", "patch"}})
		}
		out = append(out, res)
	}
	return out
}

// checkDataDir makes sure the data dir exists and is writable, and says so clearly if not.
func checkDataDir(dir string) error {
	if dir == "" {
		return errors.New("no data dir given (--data-dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s is unusable: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// localPKI is what a server loads from its pki dir.
type localPKI struct {
	*apiserver.PKI
	token string
}

// loadOrCreateLocalPKI loads dir's CA, serving certificate (issued for hosts) and admin
// token, creating what is missing.
func loadOrCreateLocalPKI(dir string, hosts []string) (localPKI, error) {
	pki, err := apiserver.LoadOrCreatePKI(dir, hosts)
	if err != nil {
		return localPKI{}, fmt.Errorf("certificates in %s: %w", dir, err)
	}
	token, err := loadOrCreateToken(filepath.Join(dir, "admin.token"))
	if err != nil {
		return localPKI{}, err
	}
	return localPKI{PKI: pki, token: token}, nil
}

// checkSharedVolumeDir accepts "" (no shared volumes) or an existing absolute directory
// other than the root.
func checkSharedVolumeDir(dir string) error {
	if dir == "" {
		return nil
	}
	if !filepath.IsAbs(dir) || filepath.Clean(dir) == "/" {
		return fmt.Errorf("--shared-volume-dir %q: must be an absolute path other than /", dir)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("--shared-volume-dir %q: not an existing directory (mount the share there on every node first)", dir)
	}
	return nil
}

func loadOrCreateToken(path string) (string, error) {
	if data, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(data))) > 0 {
		return strings.TrimSpace(string(data)), nil
	}
	token := apiserver.NewToken()
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing admin token %s: %w", path, err)
	}
	return token, nil
}

// slogErrorLog routes net/http's own error log (TLS handshake noise from clients that do not
// trust the CA, mostly) to slog at debug level.
func slogErrorLog() *log.Logger {
	return slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug)
}
