package join

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/certificate/csr"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Options say how to join.
type Options struct {
	// Server is the apiserver, https://host:port.
	Server string
	// Token is a bootstrap token, <id>.<secret> (`ordinal token create`). Only needed when
	// Dir holds no valid credentials yet.
	Token string
	// CACertHash pins the cluster CA: "sha256:<hex of its SubjectPublicKeyInfo's SHA-256>",
	// as kubeadm's --discovery-token-ca-cert-hash.
	CACertHash string
	// NodeName is the node the credentials are for: the user is system:node:<NodeName>.
	NodeName string
	// Dir keeps the key, certificate, CA and kubeconfig (created, private to the owner).
	Dir string
}

// Bootstrap returns the node's client configuration: from the credentials in Dir while they
// are valid, else by joining with the token (see the package documentation). It waits, until
// ctx ends, for the request to be approved and issued.
func Bootstrap(ctx context.Context, o Options) (*rest.Config, error) {
	u, err := url.Parse(o.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--server %q: must be https://host:port", o.Server)
	}
	if o.NodeName == "" {
		return nil, errors.New("no node name given")
	}
	if o.Dir == "" {
		return nil, errors.New("no directory given for the node's credentials")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("credentials directory %s: %w", o.Dir, err)
	}
	creds := credentials{dir: o.Dir}
	invalid := creds.valid(o.NodeName, time.Now())
	if invalid == nil {
		return creds.restConfig(o.Server)
	}
	if o.Token == "" {
		return nil, fmt.Errorf("no usable credentials in %s (%v) and no --token to join with", o.Dir, invalid)
	}
	if _, _, ok := auth.ParseBootstrapToken(o.Token); !ok {
		return nil, fmt.Errorf("--token: %q is not a bootstrap token (<6 characters [a-z0-9]>.<16 characters [a-z0-9]>)", o.Token)
	}
	if !auth.ValidCACertHash(o.CACertHash) {
		return nil, fmt.Errorf("--ca-cert-hash %q: must be sha256:<64 hex digits>", o.CACertHash)
	}
	caPEM, err := discoverCA(ctx, o.Server, o.CACertHash)
	if err != nil {
		return nil, err
	}
	key, err := creds.loadOrCreateKey()
	if err != nil {
		return nil, err
	}
	certPEM, err := requestCertificate(ctx, o, caPEM, key)
	if err != nil {
		return nil, err
	}
	if err := checkIssued(certPEM, key, caPEM, o.NodeName); err != nil {
		return nil, err
	}
	if err := creds.store(o.Server, caPEM, certPEM); err != nil {
		return nil, fmt.Errorf("keeping the node's credentials in %s: %w", o.Dir, err)
	}
	return creds.restConfig(o.Server)
}

// requestCertificate asks, as the bootstrap token's user, for a node client certificate and
// waits for it.
func requestCertificate(ctx context.Context, o Options, caPEM []byte, key crypto.Signer) ([]byte, error) {
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host: o.Server, BearerToken: o.Token, TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}, UserAgent: "ordinal-join",
	})
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: user.NodeUserPrefix + o.NodeName, Organization: []string{user.NodesGroup}},
	}, key)
	if err != nil {
		return nil, fmt.Errorf("making the certificate request: %w", err)
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	name, uid, err := csr.RequestCertificate(client, csrPEM, requestName(key.Public(), o.NodeName), certificatesv1.KubeAPIServerClientKubeletSignerName, nil, usages, key)
	if err != nil {
		return nil, fmt.Errorf("asking %s for a client certificate for node %s: %w", o.Server, o.NodeName, err)
	}
	certPEM, err := csr.WaitForCertificate(ctx, client, name, uid)
	if err != nil {
		return nil, fmt.Errorf("waiting for certificate signing request %s to be approved and issued (`kubectl get csr %s`): %w", name, name, err)
	}
	return certPEM, nil
}

// requestName names the request after the key and the node, as the kubelet does, so that
// asking again after a restart finds the same request.
func requestName(pub crypto.PublicKey, node string) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(append(der, node...))
	return "node-csr-" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// checkIssued makes sure the certificate is the one asked for: for key, for the node, from
// the pinned CA.
func checkIssued(certPEM []byte, key crypto.Signer, caPEM []byte, node string) error {
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return fmt.Errorf("the issued certificate: %w", err)
	}
	leaf := certs[0]
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if string(leaf.RawSubjectPublicKeyInfo) != string(pub) {
		return errors.New("the issued certificate is not for the node's key")
	}
	if leaf.Subject.CommonName != user.NodeUserPrefix+node {
		return fmt.Errorf("the issued certificate is for %q, not %q", leaf.Subject.CommonName, user.NodeUserPrefix+node)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the issued certificate: %w", err)
	}
	return nil
}
