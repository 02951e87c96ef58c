package apiserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/registry"
)

// The pods' streaming subresources: log, exec, attach and portforward. The apiserver checks
// the request against the pod as upstream's pod registry does (container names, a node
// assigned, log options), then hands it to the streaming server of the pod's node agent
// (internal/agent/streaming) with the kubelet API's path, unchanged otherwise: the agent
// speaks websocket and SPDY itself, so the apiserver never translates protocols.

// isPodStream says whether a request is for one of the pods' streaming subresources.
func isPodStream(res *registry.Resource, info requestInfo) bool {
	if res.Group != "" || res.Name != "pods" {
		return false
	}
	switch info.Subresource {
	case "log", "exec", "attach", "portforward":
		return true
	}
	return false
}

// NodeStreaming says how the apiserver reaches the agents' streaming servers.
type NodeStreaming struct {
	// Local finds agents running in this process, called without any network (nil: none).
	Local *streaming.LocalNodes
	// Transport reaches other agents over HTTPS at their node's InternalIP and
	// status.daemonEndpoints.kubeletEndpoint port (NewNodeTransport). Nil: only local
	// agents can be reached.
	Transport http.RoundTripper
}

// defaultNodeStreaming reaches the agents of this process only.
var defaultNodeStreaming = &NodeStreaming{Local: streaming.Local}

// nodeStreaming is how this server reaches agents: Config.NodeStreaming, else the agents of
// this process registered in streaming.Local.
func (s *Server) nodeStreaming() *NodeStreaming {
	if s.nodes != nil {
		return s.nodes
	}
	return defaultNodeStreaming
}

// servePodStream serves GET pods/log and GET (websocket) or POST (SPDY) pods/exec,
// pods/attach and pods/portforward.
func (s *Server) servePodStream(w http.ResponseWriter, r *http.Request, res *registry.Resource, info requestInfo) {
	if info.Verb != "get" && (info.Subresource == "log" || info.Verb != "create") {
		s.writeError(w, r, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "pods/" + info.Subresource}, r.Method))
		return
	}
	obj, err := s.reg.Get(r.Context(), res, info.Namespace, info.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pod := obj.(*corev1.Pod)
	target, err := nodeTarget(pod, info.Subresource, r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if pod.Spec.NodeName == "" {
		if info.Subresource == "log" {
			// As upstream: the logs of a pod no node runs are empty.
			writeText(w, http.StatusOK, "")
			return
		}
		s.writeError(w, r, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name)))
		return
	}
	nodes, _ := s.reg.Lookup("", "v1", "nodes")
	nodeObj, err := s.reg.Get(r.Context(), nodes, "", pod.Spec.NodeName)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.nodeStreaming().serve(w, r, nodeObj.(*corev1.Node), target, func(err error) { s.writeError(w, r, err) })
}

// nodeTarget checks a streaming request against its pod and returns the path and query
// of the agent's API that serve it.
func nodeTarget(pod *corev1.Pod, subresource string, q url.Values) (*url.URL, error) {
	target := &url.URL{}
	switch subresource {
	case "log":
		params, err := podLogParams(pod.Name, q)
		if err != nil {
			return nil, err
		}
		container, err := validateContainer(q.Get("container"), pod)
		if err != nil {
			return nil, err
		}
		target.Path = path.Join("/containerLogs", pod.Namespace, pod.Name, container)
		target.RawQuery = params.Encode()
	case "exec", "attach":
		container, err := validateContainer(q.Get("container"), pod)
		if err != nil {
			return nil, err
		}
		params := url.Values{}
		for _, k := range []string{"stdin", "stdout", "stderr", "tty"} {
			if v := q.Get(k); v != "" {
				params.Set(k, v)
			}
		}
		if subresource == "exec" {
			params["command"] = q["command"]
		}
		target.Path = path.Join("/"+subresource, pod.Namespace, pod.Name, string(pod.UID), container)
		target.RawQuery = params.Encode()
	case "portforward":
		for _, p := range q["ports"] {
			if n, err := strconv.ParseUint(p, 10, 16); err != nil || n < 1 {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid port %q: must be a number from 1 to 65535", p))
			}
		}
		target.Path = path.Join("/portForward", pod.Namespace, pod.Name, string(pod.UID))
	}
	return target, nil
}

// validateContainer resolves the container a request names: the only one when it names
// none; upstream's messages otherwise.
func validateContainer(container string, pod *corev1.Pod) (string, error) {
	if container == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		}
		var names []string
		for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
			for _, c := range list {
				names = append(names, c.Name)
			}
		}
		for _, c := range pod.Spec.EphemeralContainers {
			names = append(names, c.Name)
		}
		return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
	}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			if c.Name == container {
				return container, nil
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == container {
			return container, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
}

// podLogParams validates a pods/log query as upstream's PodLogOptions and returns the
// agent's parameters.
func podLogParams(name string, q url.Values) (url.Values, error) {
	params := url.Values{}
	var errs field.ErrorList
	for _, k := range []string{"follow", "previous", "timestamps"} {
		switch v := q.Get(k); v {
		case "":
		case "true", "1":
			params.Set(k, "true")
		case "false", "0":
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf("%s: invalid boolean %q", k, v))
		}
	}
	number := func(k string) (*int64, error) {
		v := q.Get(k)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("%s: invalid number %q", k, v))
		}
		params.Set(k, v)
		return &n, nil
	}
	tail, err := number("tailLines")
	if err != nil {
		return nil, err
	}
	limit, err := number("limitBytes")
	if err != nil {
		return nil, err
	}
	since, err := number("sinceSeconds")
	if err != nil {
		return nil, err
	}
	if v := q.Get("sinceTime"); v != "" {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("sinceTime: invalid time %q", v))
		}
		params.Set("sinceTime", v)
	}
	if tail != nil && *tail < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *tail, "must be greater than or equal to 0"))
	}
	if limit != nil && *limit < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *limit, "must be greater than 0"))
	}
	switch {
	case since != nil && params.Has("sinceTime"):
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case since != nil && *since < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *since, "must be greater than 0"))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Kind: "PodLogOptions"}, name, errs)
	}
	return params, nil
}

// serve hands the request to node's agent at target: directly when it runs in this
// process, through a reverse proxy (upgrades included) otherwise. fail answers errors
// that happen before the agent does.
func (n *NodeStreaming) serve(w http.ResponseWriter, r *http.Request, node *corev1.Node, target *url.URL, fail func(error)) {
	out := r.Clone(r.Context())
	// The client's credentials are for the apiserver, not for the node.
	out.Header.Del("Authorization")
	if n.Local != nil {
		if h := n.Local.Lookup(r.Context(), node); h != nil {
			out.URL = &url.URL{Path: target.Path, RawQuery: target.RawQuery}
			out.RequestURI = out.URL.RequestURI()
			h.ServeHTTP(w, out)
			return
		}
	}
	addr := nodeAddress(node)
	if n.Transport == nil || addr == "" {
		fail(apierrors.NewServiceUnavailable(fmt.Sprintf("node %s's agent is not reachable from the apiserver (it runs in another process and no node transport is configured)", node.Name)))
		return
	}
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	if port <= 0 {
		port = 10250
	}
	dest := &url.URL{Scheme: "https", Host: net.JoinHostPort(addr, strconv.Itoa(int(port))), Path: target.Path, RawQuery: target.RawQuery}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = dest
			pr.Out.Host = dest.Host
		},
		Transport:     n.Transport,
		FlushInterval: -1, // log lines as they come
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) {
			fail(&apierrors.StatusError{ErrStatus: metav1.Status{
				Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
				Message: fmt.Sprintf("error dialing backend: %v", err),
			}})
		},
	}
	proxy.ServeHTTP(w, out)
}

// nodeAddress is where a node's agent listens: its InternalIP, else its Hostname.
func nodeAddress(node *corev1.Node) string {
	for _, typ := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeHostName} {
		for _, a := range node.Status.Addresses {
			if a.Type == typ && a.Address != "" {
				return a.Address
			}
		}
	}
	return ""
}

// NewNodeTransport returns the transport that reaches agents over HTTPS: it presents
// clientCert (KubeletClientCertificate) and trusts only serving certificates signed by
// the CA in caPEM. It speaks HTTP/1.1 only, which upgrades need.
func NewNodeTransport(clientCert tls.Certificate, caPEM []byte) (http.RoundTripper, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("node transport: no CA certificate in the given PEM")
	}
	return &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{Certificates: []tls.Certificate{clientCert}, RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		IdleConnTimeout:     90 * time.Second,
	}, nil
}

// KubeletClientCertificate loads pkiDir/apiserver-kubelet-client.{crt,key}, issuing them
// from the cluster CA when missing: the identity the apiserver shows to agents.
func KubeletClientCertificate(pkiDir string) (tls.Certificate, error) {
	return loadOrIssue(pkiDir, "apiserver-kubelet-client", &x509.Certificate{
		Subject:     pkix.Name{CommonName: streaming.KubeletClientCommonName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// NodeServingCertificate loads pkiDir/node-<name>.{crt,key}, issuing them from the
// cluster CA for the node's addresses when missing: the serving certificate of an agent
// that has the CA at hand (one on the control plane's machine).
func NodeServingCertificate(pkiDir, nodeName string, addresses []string) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "system:node:" + nodeName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, a := range append([]string{nodeName}, addresses...) {
		if ip := net.ParseIP(a); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if a != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, a)
		}
	}
	return loadOrIssue(pkiDir, "node-"+nodeName, tmpl)
}

// loadOrIssue returns the key pair dir/base.{crt,key} if the cluster CA signed it and it
// covers tmpl's addresses, and issues it from tmpl otherwise.
func loadOrIssue(dir, base string, tmpl *x509.Certificate) (tls.Certificate, error) {
	caPEM, caKey, err := loadOrCreateCA(dir)
	if err != nil {
		return tls.Certificate{}, err
	}
	ca, err := parseCertPEM(caPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPath, keyPath := filepath.Join(dir, base+".crt"), filepath.Join(dir, base+".key")
	var hosts []string
	for _, ip := range tmpl.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	hosts = append(hosts, tmpl.DNSNames...)
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && covers(pair, hosts, ca) {
		return pair, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(certValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFiles(map[string][]byte{certPath: certPEM, keyPath: keyPEM}); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
