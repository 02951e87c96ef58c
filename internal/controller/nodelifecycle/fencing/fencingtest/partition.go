// Package fencingtest helps tests cut a node agent off its control plane.
package fencingtest

import (
	"net"
	"sync"
	"testing"
)

// PartitionProxy forwards TCP connections (on loopback) to a target. Cut, it passes nothing
// in either direction, on old or new connections, as a network partition would; healed, the
// bytes held back flow on.
type PartitionProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	cut    bool
	closed bool
	conns  []net.Conn
}

// NewPartitionProxy listens on a loopback port of its own and forwards to target (host:port)
// until the test ends.
func NewPartitionProxy(t testing.TB, target string) *PartitionProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &PartitionProxy{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Addr is where clients connect.
func (p *PartitionProxy) Addr() string { return p.ln.Addr().String() }

// SetCut cuts the network between clients and the target, or heals it.
func (p *PartitionProxy) SetCut(cut bool) {
	p.mu.Lock()
	p.cut = cut
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *PartitionProxy) close() {
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.cond.Broadcast()
	p.ln.Close()
}

// passable waits while the proxy is cut; false once it is closed.
func (p *PartitionProxy) passable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.cut && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

func (p *PartitionProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *PartitionProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			if !p.track(c) || !p.passable() {
				return
			}
			b, err := net.Dial("tcp", p.target)
			if err != nil || !p.track(b) {
				c.Close()
				return
			}
			go p.pipe(b, c)
			go p.pipe(c, b)
		}()
	}
}

func (p *PartitionProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.passable() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
