package ingress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// certificates picks the HTTPS listener's certificate by SNI.
type certificates struct {
	exact map[string]*tls.Certificate
	// wildcard holds the certificates of *.<domain> TLS hosts, by <domain>.
	wildcard map[string]*tls.Certificate
	fallback *tls.Certificate
}

// get returns the certificate for a TLS server name: the one of the exact host, else of
// the wildcard host for its parent domain, else the self-signed fallback.
func (c *certificates) get(serverName string) *tls.Certificate {
	name := normalizeHost(serverName)
	if cert := c.exact[name]; cert != nil {
		return cert
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if cert := c.wildcard[name[i+1:]]; cert != nil {
			return cert
		}
	}
	return c.fallback
}

// certLoader returns the parsed certificate of the Secret namespace/name, or an error
// saying why it cannot be used.
type certLoader func(namespace, name string) (*tls.Certificate, error)

// buildCertificates maps the TLS hosts of ings (all ours) to their Secrets' certificates;
// the oldest Ingress wins a host named twice. A TLS entry without hosts covers the hosts of
// its Ingress's rules (the API leaves it to the controller; ingress-nginx does the same).
// A Secret that is missing or unusable leaves its hosts on the fallback; the errors are
// returned, one per Ingress TLS entry, so that the caller can say why.
func buildCertificates(ings []*networkingv1.Ingress, load certLoader, fallback *tls.Certificate) (*certificates, []error) {
	c := &certificates{exact: map[string]*tls.Certificate{}, wildcard: map[string]*tls.Certificate{}, fallback: fallback}
	var errs []error
	for _, ing := range oldestFirst(ings) {
		for _, entry := range ing.Spec.TLS {
			if entry.SecretName == "" {
				continue
			}
			hosts := entry.Hosts
			if len(hosts) == 0 {
				for _, rule := range ing.Spec.Rules {
					if rule.Host != "" {
						hosts = append(hosts, rule.Host)
					}
				}
			}
			if len(hosts) == 0 {
				continue
			}
			cert, err := load(ing.Namespace, entry.SecretName)
			if err != nil {
				errs = append(errs, fmt.Errorf("ingress %s/%s: TLS secret %q: %w", ing.Namespace, ing.Name, entry.SecretName, err))
				continue
			}
			for _, h := range hosts {
				h = strings.ToLower(h)
				m := c.exact
				if strings.HasPrefix(h, "*.") {
					m, h = c.wildcard, h[2:]
				}
				if m[h] == nil {
					m[h] = cert
				}
			}
		}
	}
	return c, errs
}

// parseTLSSecret reads a certificate and key from a Secret as ingress-nginx does: the
// keys tls.crt and tls.key, whatever the Secret's type (kubernetes.io/tls is the usual one).
func parseTLSSecret(secret *corev1.Secret) (*tls.Certificate, error) {
	crt, key := secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, fmt.Errorf("secret has no %s and %s", corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
	}
	cert, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, err
	}
	return &cert, nil
}

// fakeCertificate makes the self-signed certificate served to hosts without a secret,
// as ingress-nginx's "Kubernetes Ingress Controller Fake Certificate".
func fakeCertificate(now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ordinal"}, CommonName: "Ordinal Ingress Controller Fake Certificate"},
		DNSNames:              []string{"ingress.local"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
