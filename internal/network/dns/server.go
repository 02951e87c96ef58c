package dns

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"

	mdns "github.com/miekg/dns"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Server is the cluster DNS server.
type Server struct {
	opts        Options
	factory     informers.SharedInformerFactory
	idx         *index
	fwd         *forwarder
	nameservers []netip.Addr
	synced      []cache.InformerSynced
	ready       atomic.Bool
}

// New builds a server on the factory's Service, EndpointSlice, Pod and Namespace informers;
// call it before the factory starts (Serve starts the informers it added otherwise).
func New(factory informers.SharedInformerFactory, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	s := &Server{
		opts:    opts,
		factory: factory,
		idx:     newIndex(),
		fwd:     newForwarder(opts.Upstreams, opts.UpstreamTimeout, opts.CacheSize),
	}
	for _, ip := range opts.NameserverIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("dns: nameserver IP %q: %w", ip, err)
		}
		s.nameservers = append(s.nameservers, a.Unmap())
	}
	for _, x := range []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandler
	}{
		{factory.Core().V1().Services().Informer(), s.idx.serviceHandler()},
		{factory.Discovery().V1().EndpointSlices().Informer(), s.idx.sliceHandler()},
		{factory.Core().V1().Pods().Informer(), s.idx.podHandler()},
		{factory.Core().V1().Namespaces().Informer(), s.idx.namespaceHandler()},
	} {
		reg, err := x.inf.AddEventHandler(x.h)
		if err != nil {
			return nil, fmt.Errorf("dns: watching: %w", err)
		}
		s.synced = append(s.synced, reg.HasSynced)
	}
	return s, nil
}

// Ready reports whether the index holds everything the informers listed at start, so
// that "not found" is the truth. Until then such names are answered SERVFAIL.
func (s *Server) Ready() bool {
	if s.ready.Load() {
		return true
	}
	for _, synced := range s.synced {
		if !synced() {
			return false
		}
	}
	s.ready.Store(true)
	return true
}

// Serve listens on UDP and TCP at each address and answers until ctx ends. It returns an
// error when an address cannot be bound.
func (s *Server) Serve(ctx context.Context, addrs ...string) error {
	if _, err := s.Start(ctx, addrs...); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// Start is Serve without the wait: it binds UDP and TCP at each address (port 0 picks one
// free port for both), starts answering in the background until ctx ends, and returns the
// bound addresses.
func (s *Server) Start(ctx context.Context, addrs ...string) ([]string, error) {
	s.factory.Start(ctx.Done())
	var servers []*mdns.Server
	var bound []string
	fail := func(err error) ([]string, error) {
		for _, srv := range servers {
			srv.Shutdown()
		}
		return nil, err
	}
	for _, addr := range addrs {
		pc, ln, err := listenBoth(addr)
		if err != nil {
			return fail(err)
		}
		udp := &mdns.Server{PacketConn: pc, Handler: s}
		tcp := &mdns.Server{Listener: ln, Handler: s}
		servers = append(servers, udp, tcp)
		bound = append(bound, pc.LocalAddr().String())
		for _, srv := range []*mdns.Server{udp, tcp} {
			go func() {
				if err := srv.ActivateAndServe(); err != nil && ctx.Err() == nil {
					slog.Error("dns server stopped", "addr", addr, "err", err)
				}
			}()
		}
	}
	go func() {
		<-ctx.Done()
		for _, srv := range servers {
			srv.Shutdown()
		}
	}()
	return bound, nil
}

// listenBoth binds UDP and TCP on the same address; with port 0, on the same free port.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns: address %q: %w", addr, err)
	}
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns: listening on udp %s: %w", addr, err)
		}
		_, p, _ := net.SplitHostPort(pc.LocalAddr().String())
		ln, err := net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("dns: listening on tcp %s: %w", addr, lastErr)
}
