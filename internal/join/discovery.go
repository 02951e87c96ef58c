package join

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"ordinal.dev/ordinal/internal/apiserver/auth"
)

// discoveryTimeout bounds each read of cluster-info.
const discoveryTimeout = 10 * time.Second

// discoverCA returns the cluster CA bundle (PEM) of the server, trusted because one of its
// certificates has the public key caCertHash pins; the server has then proved, over TLS, that
// it holds a serving certificate of that CA.
func discoverCA(ctx context.Context, server, caCertHash string) ([]byte, error) {
	// First read: the server is not trusted yet, so TLS is not verified and no credentials
	// are sent; the pin is what makes the answer trustworthy.
	insecure := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // checked against the pin below
	caPEM, err := readClusterInfoCA(ctx, server, insecure)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(caPEM)
	if err != nil {
		return nil, fmt.Errorf("the CA in %s's cluster-info: %w", server, err)
	}
	var offered []string
	pinned := false
	for _, c := range certs {
		h := auth.CACertHash(c)
		offered = append(offered, h)
		if h == caCertHash {
			pinned = true
		}
	}
	if !pinned {
		return nil, fmt.Errorf("the cluster CA offered by %s does not match --ca-cert-hash %s: its public key hash is %v (check the hash printed by `ordinal token create --print-join-command` on the server, and that %s is that server)",
			server, caCertHash, offered, server)
	}
	// Second read, verified by the pinned CA: the server must hold a certificate it issued,
	// and say the same thing.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	again, err := readClusterInfoCA(ctx, server, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("verifying %s with the pinned CA: %w", server, err)
	}
	if !bytes.Equal(again, caPEM) {
		return nil, fmt.Errorf("%s answered cluster-info differently once verified with the pinned CA", server)
	}
	return caPEM, nil
}

// readClusterInfoCA reads kube-public/cluster-info from server without credentials and
// returns the CA data of its kubeconfig.
func readClusterInfoCA(ctx context.Context, server string, tlsConfig *tls.Config) ([]byte, error) {
	u, err := url.JoinPath(server, "/api/v1/namespaces", metav1.NamespacePublic, "configmaps", auth.ClusterInfoConfigMapName)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", server, err)
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading cluster-info from %s: %w", server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading cluster-info from %s: %w", server, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading cluster-info from %s: %s: %s (does the server publish %s/%s?)", server, resp.Status, bytes.TrimSpace(body), metav1.NamespacePublic, auth.ClusterInfoConfigMapName)
	}
	var cm corev1.ConfigMap
	if err := json.Unmarshal(body, &cm); err != nil {
		return nil, fmt.Errorf("cluster-info from %s: %w", server, err)
	}
	cfg, err := clientcmd.Load([]byte(cm.Data[auth.ClusterInfoKubeconfigKey]))
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig in %s's cluster-info: %w", server, err)
	}
	if len(cfg.Clusters) != 1 {
		return nil, fmt.Errorf("the kubeconfig in %s's cluster-info names %d clusters, want 1", server, len(cfg.Clusters))
	}
	var caPEM []byte
	for _, c := range cfg.Clusters {
		caPEM = c.CertificateAuthorityData
	}
	if len(caPEM) == 0 {
		return nil, fmt.Errorf("the kubeconfig in %s's cluster-info has no CA data", server)
	}
	return caPEM, nil
}

// parseCertificates parses every CERTIFICATE block of data.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate")
	}
	return certs, nil
}
