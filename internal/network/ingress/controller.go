package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

const (
	// controllerComponent signs events and status writes.
	controllerComponent = "ordinal-ingress-controller"
	fieldManager        = controllerComponent
)

// Defaults of Options, for `ordinal up`.
const (
	DefaultHTTPAddr  = "127.0.0.1:8080"
	DefaultHTTPSAddr = "127.0.0.1:8443"
)

// Options configure the controller.
type Options struct {
	// HTTPAddr is where plain HTTP is served (default 127.0.0.1:8080; port 0 picks one).
	HTTPAddr string
	// HTTPSAddr is where HTTPS is served (default 127.0.0.1:8443; port 0 picks one).
	HTTPSAddr string
	// PublishIP is the address written into our Ingresses' status.loadBalancer (default:
	// the HTTP listener's IP, or 127.0.0.1 when it listens on all addresses).
	PublishIP string
	// DialEndpoint opens connections to endpoints (default: TCP with a 5 s timeout). Tests
	// use it to reach "pods" on loopback, which EndpointSlices may not name.
	DialEndpoint func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o Options) withDefaults() Options {
	if o.HTTPAddr == "" {
		o.HTTPAddr = DefaultHTTPAddr
	}
	if o.HTTPSAddr == "" {
		o.HTTPSAddr = DefaultHTTPSAddr
	}
	return o
}

// Controller is the Ingress controller: the proxy, its routing config and the status
// writer.
type Controller struct {
	client  kubernetes.Interface
	factory informers.SharedInformerFactory
	opts    Options

	ingresses networkinglisters.IngressLister
	classes   networkinglisters.IngressClassLister
	services  corelisters.ServiceLister
	slices    discoverylisters.EndpointSliceLister
	secrets   corelisters.SecretLister
	synced    []cache.InformerSynced

	cfg  atomic.Pointer[config]
	refs atomic.Pointer[refs]
	// dirty asks the rebuild loop for a new config; one pending request covers any
	// number of changes.
	dirty     chan struct{}
	certCache map[string]cachedCert
	fake      *tls.Certificate

	statusQueue workqueue.TypedRateLimitingInterface[string]
	published   atomic.Pointer[networkingv1.IngressLoadBalancerStatus]
	// announced records the generation of each of our Ingresses last announced with a Sync
	// event, so that each spec is announced once per start, as ingress-nginx does.
	announcedMu sync.Mutex
	announced   map[string]int64

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	httpAddr, httpsAddr string
	done                chan struct{}
}

// New builds the controller on factory's informers for Ingresses, IngressClasses,
// Services, EndpointSlices and Secrets. Call it before the factory starts.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, opts Options) (*Controller, error) {
	fake, err := fakeCertificate(time.Now())
	if err != nil {
		return nil, fmt.Errorf("ingress: making the default certificate: %w", err)
	}
	ingInformer := factory.Networking().V1().Ingresses()
	classInformer := factory.Networking().V1().IngressClasses()
	svcInformer := factory.Core().V1().Services()
	sliceInformer := factory.Discovery().V1().EndpointSlices()
	secretInformer := factory.Core().V1().Secrets()
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:    client,
		factory:   factory,
		opts:      opts.withDefaults(),
		ingresses: ingInformer.Lister(),
		classes:   classInformer.Lister(),
		services:  svcInformer.Lister(),
		slices:    sliceInformer.Lister(),
		secrets:   secretInformer.Lister(),
		dirty:     make(chan struct{}, 1),
		certCache: map[string]cachedCert{},
		fake:      fake,
		statusQueue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "ingress-status"}),
		announced:   map[string]int64{},
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: controllerComponent}),
		done:        make(chan struct{}),
	}
	for _, x := range []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandler
	}{
		{ingInformer.Informer(), c.ingressHandler()},
		{classInformer.Informer(), c.classHandler()},
		{svcInformer.Informer(), c.serviceHandler()},
		{sliceInformer.Informer(), c.sliceHandler()},
		{secretInformer.Informer(), c.secretHandler()},
	} {
		reg, err := x.inf.AddEventHandler(x.h)
		if err != nil {
			return nil, fmt.Errorf("ingress: watching: %w", err)
		}
		c.synced = append(c.synced, reg.HasSynced)
	}
	return c, nil
}

// Start binds the HTTP and HTTPS addresses (an error when either cannot be bound), then
// serves, keeps the routing config current and writes status in the background until ctx
// ends. It also starts the factory's informers that are not running yet.
func (c *Controller) Start(ctx context.Context) error {
	httpLn, err := net.Listen("tcp", c.opts.HTTPAddr)
	if err != nil {
		return fmt.Errorf("ingress: cannot listen on %s for HTTP: %w", c.opts.HTTPAddr, err)
	}
	httpsLn, err := net.Listen("tcp", c.opts.HTTPSAddr)
	if err != nil {
		httpLn.Close()
		return fmt.Errorf("ingress: cannot listen on %s for HTTPS: %w", c.opts.HTTPSAddr, err)
	}
	c.httpAddr, c.httpsAddr = httpLn.Addr().String(), httpsLn.Addr().String()
	status := publishedStatus(c.publishIP(), portOf(c.httpAddr), portOf(c.httpsAddr))
	c.published.Store(&status)

	handler := newProxy(&c.cfg, c.opts.DialEndpoint)
	errorLog := slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug)
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: errorLog}
	httpsSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: errorLog,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.getCertificate}}
	serve := func(name string, run func() error) {
		if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("ingress: server stopped", "listener", name, "err", err)
		}
	}
	go serve(c.httpAddr, func() error { return httpSrv.Serve(httpLn) })
	go serve(c.httpsAddr, func() error { return httpsSrv.ServeTLS(httpsLn, "", "") })

	c.factory.Start(ctx.Done())
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.loop(ctx)
	}()
	go func() {
		<-ctx.Done()
		c.statusQueue.ShutDown()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, srv := range []*http.Server{httpSrv, httpsSrv} {
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close()
			}
		}
		wg.Wait()
		c.broadcaster.Shutdown()
		close(c.done)
	}()
	return nil
}

// Run is Start, then Wait.
func (c *Controller) Run(ctx context.Context) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	c.Wait()
	return nil
}

// Wait returns once the context given to Start has ended and the listeners are closed,
// the rebuild loop and the status writer stopped.
func (c *Controller) Wait() { <-c.done }

// HTTPAddr is the address plain HTTP is served on, once started.
func (c *Controller) HTTPAddr() string { return c.httpAddr }

// HTTPSAddr is the address HTTPS is served on, once started.
func (c *Controller) HTTPSAddr() string { return c.httpsAddr }

// loop keeps the config current and writes status until ctx ends.
func (c *Controller) loop(ctx context.Context) {
	defer utilruntime.HandleCrash()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.rebuild()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// One worker: status writes are few, and announced needs no more.
		wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processStatus(ctx) {
			}
		}, time.Second)
	}()
	c.enqueueAllStatus()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-c.dirty:
			c.rebuild()
		}
	}
}

func (c *Controller) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	cfg := c.cfg.Load()
	if cfg == nil {
		return c.fake, nil
	}
	return cfg.certs.get(hello.ServerName), nil
}

func (c *Controller) publishIP() string {
	if c.opts.PublishIP != "" {
		return c.opts.PublishIP
	}
	host, _, _ := net.SplitHostPort(c.httpAddr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return host
}

func portOf(addr string) int32 {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return int32(n)
}
