package process

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ordinal.dev/ordinal/internal/runtime"
)

// maxProbeOutput bounds what a probe's output keeps, as upstream (10 KiB).
const maxProbeOutput = 10 * 1024

// userAgent is what upstream's kubelet sends with HTTP probes and hooks.
const userAgent = "kube-probe/1.32"

// Probe implements runtime.Runtime: exec through runc exec in the container, httpGet and
// tcpSocket from the host to the pod's address (loopback for pods on the host network).
func (r *Runtime) Probe(ctx context.Context, req *runtime.ProbeRequest) (runtime.ProbeResult, error) {
	c, host, err := r.runningContainer(req.ContainerID)
	if err != nil {
		return runtime.ProbeResult{}, err
	}
	if req.Probe == nil {
		return runtime.ProbeResult{Success: true}, nil
	}
	h := req.Probe.ProbeHandler
	switch {
	case h.Exec != nil:
		return r.execProbe(ctx, c, h.Exec.Command)
	case h.HTTPGet != nil:
		return httpProbe(ctx, host, c.rec.Spec, h.HTTPGet, true)
	case h.TCPSocket != nil:
		return tcpProbe(ctx, host, c.rec.Spec, h.TCPSocket)
	case h.GRPC != nil:
		return runtime.ProbeResult{Output: "gRPC probes are not supported by ordinal nodes"}, nil
	}
	return runtime.ProbeResult{Output: "probe has no handler"}, nil
}

// runningContainer finds a running container and the address its pod is reached at.
func (r *Runtime) runningContainer(id string) (*container, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.containers[id]
	if c == nil {
		return nil, "", fmt.Errorf("container %s: %w", id, runtime.ErrNotFound)
	}
	if c.state() != runtime.ContainerRunning {
		return nil, "", fmt.Errorf("container %s is not running", c.rec.Name)
	}
	host := "127.0.0.1"
	if sb := r.sandboxes[c.rec.PodUID]; sb != nil && sb.rec.IP != "" {
		host = sb.rec.IP
	}
	return c, host, nil
}

func (r *Runtime) execProbe(ctx context.Context, c *container, command []string) (runtime.ProbeResult, error) {
	out, code, err := r.exec(ctx, c, command)
	switch {
	case ctx.Err() != nil:
		return runtime.ProbeResult{Output: fmt.Sprintf("command %q timed out", strings.Join(command, " "))}, nil
	case err != nil:
		return runtime.ProbeResult{}, err
	case code != 0:
		return runtime.ProbeResult{Output: out}, nil
	}
	return runtime.ProbeResult{Success: true, Output: out}, nil
}

// exec runs a command in the container and returns its output and exit code; err means it
// could not be run at all.
func (r *Runtime) exec(ctx context.Context, c *container, command []string) (string, int, error) {
	if len(command) == 0 {
		return "", 0, errors.New("no command")
	}
	args := append([]string{"--root", r.dirs.runc, "exec", c.rec.ID}, command...)
	cmd := exec.CommandContext(ctx, r.opts.Runc, args...)
	var buf limitedBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = time.Second // a background process holding the output open
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return buf.String(), exitErr.ExitCode(), nil
	case err != nil:
		return buf.String(), 0, err
	}
	return buf.String(), 0, nil
}

// httpProbe GETs the handler's URL; 2xx and 3xx succeed. Redirects to the same host are
// followed; one elsewhere counts as success, as upstream.
func httpProbe(ctx context.Context, podHost string, spec *corev1.Container, h *corev1.HTTPGetAction, probe bool) (runtime.ProbeResult, error) {
	port, err := resolvePort(h.Port, spec)
	if err != nil {
		return runtime.ProbeResult{Output: err.Error()}, nil
	}
	host := h.Host
	if host == "" {
		host = podHost
	}
	scheme := strings.ToLower(string(h.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	if p, err := url.Parse(path); err == nil {
		u.Path, u.RawQuery = p.Path, p.RawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return runtime.ProbeResult{Output: err.Error()}, nil
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	for _, hd := range h.HTTPHeaders {
		if strings.EqualFold(hd.Name, "Host") {
			req.Host = hd.Value
			continue
		}
		req.Header.Add(hd.Name, hd.Value)
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if next.URL.Hostname() != u.Hostname() || len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return runtime.ProbeResult{Output: err.Error()}, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxProbeOutput))
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return runtime.ProbeResult{Success: true, Output: string(body)}, nil
	}
	if !probe {
		return runtime.ProbeResult{Output: fmt.Sprintf("HTTP lifecycle hook (%s) for Container %q failed - error: <nil>, message: %q", path, spec.Name, "")}, nil
	}
	return runtime.ProbeResult{Output: fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)}, nil
}

func tcpProbe(ctx context.Context, host string, spec *corev1.Container, h *corev1.TCPSocketAction) (runtime.ProbeResult, error) {
	port, err := resolvePort(h.Port, spec)
	if err != nil {
		return runtime.ProbeResult{Output: err.Error()}, nil
	}
	if h.Host != "" {
		host = h.Host
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return runtime.ProbeResult{Output: err.Error()}, nil
	}
	conn.Close()
	return runtime.ProbeResult{Success: true}, nil
}

// resolvePort turns a port number or the name of one of the container's ports into a number.
func resolvePort(p intstr.IntOrString, spec *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("invalid port number: %d", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	for _, cp := range spec.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("couldn't find port: %s in %s", p.StrVal, spec.Name)
}

// runHook runs a postStart or preStop handler; it returns the handler's output (for the
// message) and an error when it failed.
func (r *Runtime) runHook(ctx context.Context, c *container, h *corev1.LifecycleHandler) (string, error) {
	_, host, err := r.runningContainer(c.rec.ID)
	if err != nil {
		return "", err
	}
	switch {
	case h.Exec != nil:
		out, code, err := r.exec(ctx, c, h.Exec.Command)
		switch {
		case err != nil:
			return out, err
		case code != 0:
			return ", message: " + strconv.Quote(out), fmt.Errorf("command '%s' exited with %d", strings.Join(h.Exec.Command, " "), code)
		}
		return out, nil
	case h.HTTPGet != nil:
		res, _ := httpProbe(ctx, host, c.rec.Spec, h.HTTPGet, false)
		if !res.Success {
			return "", errors.New(res.Output)
		}
		return res.Output, nil
	case h.Sleep != nil:
		t := time.NewTimer(time.Duration(h.Sleep.Seconds) * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return "", nil
	}
	return "", errors.New("lifecycle hook has no handler")
}

// postStartFailureGrace is how long a container whose postStart hook failed gets to stop.
const postStartFailureGrace = 2 * time.Second

// limitedBuffer keeps the first maxProbeOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxProbeOutput - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}
