package main

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// serverDialer dials the first apiserver of a list that answers, starting with the one that
// answered last, so that an agent keeps working when the server it used goes away. Every
// server of a cluster serves a certificate for the name "kubernetes", which the agent's TLS
// configuration checks instead of the address.
type serverDialer struct {
	mu    sync.Mutex
	addrs []string // host:port
	good  int
}

// newServerDialer parses a comma-separated list of https URLs.
func newServerDialer(servers string) (*serverDialer, []string, error) {
	d := &serverDialer{}
	var urls []string
	for _, s := range strings.Split(servers, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, nil, errors.New("--server: " + s + " is not an https URL (https://host:port)")
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "443")
		}
		d.addrs = append(d.addrs, host)
		urls = append(urls, s)
	}
	if len(d.addrs) == 0 {
		return nil, nil, errors.New("--server is required")
	}
	return d, urls, nil
}

// DialContext ignores the address asked for (always the first server's) and tries them all.
func (d *serverDialer) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	d.mu.Lock()
	start, addrs := d.good, d.addrs
	d.mu.Unlock()
	var errs []error
	for i := range addrs {
		k := (start + i) % len(addrs)
		dialer := net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}
		conn, err := dialer.DialContext(ctx, network, addrs[k])
		if err == nil {
			d.mu.Lock()
			d.good = k
			d.mu.Unlock()
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
