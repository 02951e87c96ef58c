package proxybench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
)

// backendPort is where the pods' servers listen (the services' target port).
const backendPort = 8080

// backend is a minimal HTTP/1.1 server in a pod namespace that answers every request with
// its name. It is minimal on purpose: the less the server costs, the more the request rate
// shows what the path through the node costs. When a client asks for Connection: close the
// server still leaves the closing to it, so that TIME_WAIT lands on the client's side, where
// tcp_tw_reuse lets the next connection reuse the port. (A server that closes first keeps
// each port pair in TIME_WAIT for a minute; at thousands of connections a second the
// client's ports come round again long before, and SYNs that the server's TIME_WAIT
// refuses cost a second's retransmission each.)
type backend struct {
	name string
	l    net.Listener
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// startBackend listens on ip:8080 inside the namespace ns.
func startBackend(ns, name, ip string) (*backend, error) {
	b := &backend{name: name, conns: map[net.Conn]bool{}}
	err := inNetns(ns, func() error {
		var err error
		b.l, err = net.Listen("tcp", fmt.Sprintf("%s:%d", ip, backendPort))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", name, err)
	}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

func (b *backend) accept() {
	defer b.wg.Done()
	for {
		c, err := b.l.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = true
		b.mu.Unlock()
		b.wg.Add(1)
		go b.serve(c)
	}
}

func (b *backend) serve(c net.Conn) {
	defer b.wg.Done()
	defer func() {
		c.Close()
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		conn := ""
		if req.Close {
			conn = "Connection: close\r\n"
		}
		fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s", len(b.name), conn, b.name)
		if bw.Flush() != nil {
			return
		}
	}
}

// close stops the server and ends its connections.
func (b *backend) close() {
	b.l.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// request sends GET / on c and returns the body (the backend's name). With close set it
// announces that the client closes the connection after the answer.
func request(c net.Conn, br *bufio.Reader, close bool) (string, error) {
	req := "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
	if close {
		req = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
	}
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	return string(body), nil
}

// once opens a connection to addr, makes one request on it and closes it. The caller must
// run in the namespace the connection is to come from.
func once(d *net.Dialer, addr string) (string, error) {
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return request(c, bufio.NewReader(c), true)
}
