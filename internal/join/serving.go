package join

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/certificate/csr"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Files of the node's serving certificate, beside its client credentials.
const (
	ServingKeyFile  = "serving.key"
	ServingCertFile = "serving.crt"
)

// servingRenewBefore is how long before its end a serving certificate is asked for again.
const servingRenewBefore = 24 * time.Hour

// ServingCertificate returns the certificate the node's streaming server presents to the
// apiservers: for system:node:<node>, naming the node and its addresses, from the cluster
// CA (signer kubernetes.io/kubelet-serving, approved automatically for a node's own). It
// is kept in dir (the Bootstrap directory) and asked for again when it no longer names
// the addresses or is about to end.
func ServingCertificate(ctx context.Context, client kubernetes.Interface, node string, ips []net.IP, dir string) (tls.Certificate, error) {
	c := credentials{dir: dir}
	caPEM, err := os.ReadFile(c.path(CAFile))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("the cluster CA (join first): %w", err)
	}
	if pair, err := tls.LoadX509KeyPair(c.path(ServingCertFile), c.path(ServingKeyFile)); err == nil && servingUsable(pair, node, ips, caPEM, time.Now()) {
		return pair, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: user.NodeUserPrefix + node, Organization: []string{user.NodesGroup}},
		DNSNames:    []string{node},
		IPAddresses: ips,
	}, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}
	name, uid, err := csr.RequestCertificate(client, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
		"", certificatesv1.KubeletServingSignerName, nil, usages, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("asking for a serving certificate for node %s: %w", node, err)
	}
	certPEM, err := csr.WaitForCertificate(ctx, client, name, uid)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("waiting for serving certificate request %s (`kubectl get csr %s`): %w", name, name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("the issued serving certificate: %w", err)
	}
	if !servingUsable(pair, node, ips, caPEM, time.Now()) {
		return tls.Certificate{}, fmt.Errorf("the issued serving certificate does not name node %s and %v, or is not from the cluster CA", node, ips)
	}
	if err := writePrivate(c.path(ServingKeyFile), keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	if err := writePrivate(c.path(ServingCertFile), certPEM); err != nil {
		return tls.Certificate{}, err
	}
	return pair, nil
}

// servingUsable says whether pair is a serving certificate from the CA for node and every
// one of ips, good for more than servingRenewBefore.
func servingUsable(pair tls.Certificate, node string, ips []net.IP, caPEM []byte, now time.Time) bool {
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || leaf.Subject.CommonName != user.NodeUserPrefix+node || now.Add(servingRenewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
			return false
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return false
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err == nil
}
