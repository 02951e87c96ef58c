package ingress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// selfSigned returns PEM certificate and key for hosts.
func selfSigned(t *testing.T, hosts ...string) (crt, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func commonName(c *tls.Certificate) string {
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return "unparsable"
	}
	return leaf.Subject.CommonName
}

func TestCertificates(t *testing.T) {
	fake, err := fakeCertificate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]*corev1.Secret{}
	addSecret := func(ns, name string, hosts ...string) {
		crt, key := selfSigned(t, hosts...)
		secrets[ns+"/"+name] = &corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}
	}
	addSecret("default", "foo-tls", "foo.com")
	addSecret("default", "wild-tls", "*.example.com")
	addSecret("default", "rules-tls", "rules.com")
	addSecret("team", "foo-newer-tls", "foo-newer")
	secrets["default/broken"] = &corev1.Secret{Data: map[string][]byte{"tls.crt": []byte("nope")}}
	load := func(ns, name string) (*tls.Certificate, error) {
		s := secrets[ns+"/"+name]
		if s == nil {
			return nil, errors.New("not found")
		}
		return parseTLSSecret(s)
	}
	ings := []*networkingv1.Ingress{
		newIngress("newer", 5, inNamespace("team"), withTLS("foo-newer-tls", "foo.com")),
		newIngress("a", 0, withTLS("foo-tls", "FOO.com"), withTLS("wild-tls", "*.example.com"), withTLS("missing", "missing.com")),
		newIngress("rules", 1, withRule("rules.com", prefix("/", "web")), withRule("", prefix("/", "web")), withTLS("rules-tls")),
		newIngress("broken", 2, withTLS("broken", "broken.com")),
	}
	certs, errs := buildCertificates(ings, load, fake)
	if len(errs) != 2 {
		t.Errorf("errors: got %v, want the missing and the broken secret", errs)
	}
	for sni, want := range map[string]string{
		"foo.com":           "foo.com", // the oldest Ingress wins
		"FOO.COM":           "foo.com",
		"a.example.com":     "*.example.com",
		"a.b.example.com":   "Ordinal Ingress Controller Fake Certificate",
		"example.com":       "Ordinal Ingress Controller Fake Certificate",
		"rules.com":         "rules.com", // TLS without hosts covers the rules' hosts
		"missing.com":       "Ordinal Ingress Controller Fake Certificate",
		"broken.com":        "Ordinal Ingress Controller Fake Certificate",
		"":                  "Ordinal Ingress Controller Fake Certificate",
		"unknown.somewhere": "Ordinal Ingress Controller Fake Certificate",
	} {
		if got := commonName(certs.get(sni)); got != want {
			t.Errorf("SNI %q: got the certificate of %q, want %q", sni, got, want)
		}
	}
}

func TestParseTLSSecret(t *testing.T) {
	crt, key := selfSigned(t, "foo.com")
	if _, err := parseTLSSecret(&corev1.Secret{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}); err != nil {
		t.Errorf("an Opaque secret with tls.crt and tls.key: %v", err)
	}
	if _, err := parseTLSSecret(&corev1.Secret{Data: map[string][]byte{"tls.crt": crt}}); err == nil || !strings.Contains(err.Error(), "tls.key") {
		t.Errorf("no key: got %v", err)
	}
	_, other := selfSigned(t, "bar.com")
	if _, err := parseTLSSecret(&corev1.Secret{Data: map[string][]byte{"tls.crt": crt, "tls.key": other}}); err == nil {
		t.Errorf("a key that does not match the certificate was accepted")
	}
}
