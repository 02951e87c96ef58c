package certificates

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// request builds a signed PEM certificate request.
func request(t *testing.T, cn string, orgs []string, dns []string, ips []net.IP) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn, Organization: orgs}, DNSNames: dns, IPAddresses: ips,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func testCA(t *testing.T, notAfter time.Time) *Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Signer{CA: ca, Key: key}
}

var (
	clientUsages  = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	servingUsages = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth}
	bootstrapper  = []string{"system:bootstrappers", "system:authenticated"}
	nodeGroups    = []string{"system:nodes", "system:authenticated"}
)

type csrOption func(*certificatesv1.CertificateSigningRequest)

func csr(req []byte, username string, groups []string, opts ...csrOption) *certificatesv1.CertificateSigningRequest {
	c := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "node-csr-1"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
			Usages: clientUsages, Username: username, Groups: groups,
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func withCondition(t certificatesv1.RequestConditionType) csrOption {
	return func(c *certificatesv1.CertificateSigningRequest) {
		c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: t, Status: corev1.ConditionTrue})
	}
}
func withSigner(s string) csrOption {
	return func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = s }
}
func withUsages(u ...certificatesv1.KeyUsage) csrOption {
	return func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Usages = u }
}
func withCertificate() csrOption {
	return func(c *certificatesv1.CertificateSigningRequest) { c.Status.Certificate = []byte("issued") }
}

func TestPlanApproval(t *testing.T) {
	node1 := request(t, "system:node:n1", []string{"system:nodes"}, nil, nil)
	serving1 := request(t, "system:node:n1", []string{"system:nodes"}, []string{"n1"}, []net.IP{net.ParseIP("198.19.0.11")})
	cases := []struct {
		name    string
		csr     *certificatesv1.CertificateSigningRequest
		approve bool
		message string
	}{
		{"bootstrap token asks for a node client certificate", csr(node1, "system:bootstrap:abcdef", bootstrapper), true, "Auto approving kubelet client certificate"},
		{"an administrator asks for one", csr(node1, "admin", []string{"system:masters"}), true, "Auto approving kubelet client certificate"},
		{"the node renews its own", csr(node1, "system:node:n1", nodeGroups), true, "Auto approving self kubelet client certificate"},
		{"RSA usages are accepted too", csr(node1, "system:bootstrap:abcdef", bootstrapper, withUsages(certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageClientAuth)), true, ""},
		{"a node asks for another node's", csr(node1, "system:node:n2", nodeGroups), false, ""},
		{"an ordinary user asks", csr(node1, "alice", []string{"system:authenticated"}), false, ""},
		{"another signer", csr(node1, "system:bootstrap:abcdef", bootstrapper, withSigner(certificatesv1.KubeAPIServerClientSignerName)), false, ""},
		{"server auth usage", csr(node1, "system:bootstrap:abcdef", bootstrapper, withUsages(certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth, certificatesv1.UsageServerAuth)), false, ""},
		{"not system:nodes", csr(request(t, "system:node:n1", []string{"system:masters"}, nil, nil), "system:bootstrap:abcdef", bootstrapper), false, ""},
		{"no system:node: prefix", csr(request(t, "n1", []string{"system:nodes"}, nil, nil), "system:bootstrap:abcdef", bootstrapper), false, ""},
		{"a DNS name", csr(request(t, "system:node:n1", []string{"system:nodes"}, []string{"n1"}, nil), "system:bootstrap:abcdef", bootstrapper), false, ""},
		{"an IP address", csr(request(t, "system:node:n1", []string{"system:nodes"}, nil, []net.IP{net.ParseIP("10.0.0.1")}), "system:bootstrap:abcdef", bootstrapper), false, ""},
		{"already approved", csr(node1, "system:bootstrap:abcdef", bootstrapper, withCondition(certificatesv1.CertificateApproved)), false, ""},
		{"denied", csr(node1, "system:bootstrap:abcdef", bootstrapper, withCondition(certificatesv1.CertificateDenied)), false, ""},
		{"already issued", csr(node1, "system:bootstrap:abcdef", bootstrapper, withCertificate()), false, ""},
		{"a node asks for its own serving certificate", csr(serving1, "system:node:n1", nodeGroups, withSigner(certificatesv1.KubeletServingSignerName), withUsages(servingUsages...)), true, "Auto approving self kubelet serving certificate"},
		{"a serving certificate for another node", csr(serving1, "system:node:n2", nodeGroups, withSigner(certificatesv1.KubeletServingSignerName), withUsages(servingUsages...)), false, ""},
		{"a serving certificate naming another host", csr(request(t, "system:node:n1", []string{"system:nodes"}, []string{"n1", "apiserver"}, nil), "system:node:n1", nodeGroups, withSigner(certificatesv1.KubeletServingSignerName), withUsages(servingUsages...)), false, ""},
		{"a bootstrap token asks for a serving certificate", csr(serving1, "system:bootstrap:abcdef", bootstrapper, withSigner(certificatesv1.KubeletServingSignerName), withUsages(servingUsages...)), false, ""},
		{"a serving certificate with client auth", csr(serving1, "system:node:n1", nodeGroups, withSigner(certificatesv1.KubeletServingSignerName), withUsages(certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth, certificatesv1.UsageClientAuth)), false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			act, err := Plan(tc.csr, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			if (act.Approve != nil) != tc.approve {
				t.Fatalf("approve = %+v, want approval %v", act.Approve, tc.approve)
			}
			if act.Fail != nil || act.Certificate != nil {
				t.Fatalf("without a signer nothing is issued or failed: %+v", act)
			}
			if !tc.approve {
				return
			}
			c := act.Approve
			if c.Type != certificatesv1.CertificateApproved || c.Status != corev1.ConditionTrue || c.Reason != "AutoApproved" || !c.LastUpdateTime.Time.Equal(now) {
				t.Errorf("condition = %+v", c)
			}
			if !strings.HasPrefix(c.Message, tc.message) {
				t.Errorf("message = %q, want %q...", c.Message, tc.message)
			}
		})
	}
}

func TestPlanSigning(t *testing.T) {
	ca := testCA(t, now.Add(10*365*24*time.Hour))
	node1 := request(t, "system:node:n1", []string{"system:nodes"}, nil, nil)
	serving := request(t, "system:node:n1", []string{"system:nodes"}, []string{"n1"}, []net.IP{net.ParseIP("10.0.0.1")})
	approved := withCondition(certificatesv1.CertificateApproved)
	hour := int32(3600)
	tooLong := int32(3 * 365 * 24 * 3600)
	withExpiration := func(s *int32) csrOption {
		return func(c *certificatesv1.CertificateSigningRequest) { c.Spec.ExpirationSeconds = s }
	}
	cases := []struct {
		name      string
		csr       *certificatesv1.CertificateSigningRequest
		signer    *Signer
		issue     bool
		fail      string
		notAfter  time.Time
		extUsages []x509.ExtKeyUsage
	}{
		{"pending: nothing", csr(node1, "alice", nil), ca, false, "", time.Time{}, nil},
		{"approved node client: a year, less the backdating", csr(node1, "alice", nil, approved), ca, true, "", now.Add(DefaultDuration - backdate), []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"an hour asked for: an hour exactly", csr(node1, "alice", nil, approved, withExpiration(&hour)), ca, true, "", now.Add(time.Hour), []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"more than the maximum asked for: the maximum", csr(node1, "alice", nil, approved, withExpiration(&tooLong)), ca, true, "", now.Add(DefaultDuration - backdate), []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"never past the CA", csr(node1, "alice", nil, approved), testCA(t, now.Add(24*time.Hour)), true, "", now.Add(24 * time.Hour), []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"node serving certificate", csr(serving, "system:node:n1", nodeGroups, approved, withSigner(certificatesv1.KubeletServingSignerName), withUsages(servingUsages...)), ca, true, "", now.Add(DefaultDuration - backdate), []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"user client certificate", csr(request(t, "alice", []string{"devs"}, nil, nil), "admin", nil, approved, withSigner(certificatesv1.KubeAPIServerClientSignerName)), ca, true, "", now.Add(DefaultDuration - backdate), []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"approved but not what the signer issues", csr(serving, "alice", nil, approved), ca, false, "DNS subjectAltNames are not allowed", time.Time{}, nil},
		{"user client certificate with server auth", csr(node1, "admin", nil, approved, withSigner(certificatesv1.KubeAPIServerClientSignerName), withUsages(certificatesv1.UsageServerAuth, certificatesv1.UsageClientAuth)), ca, false, "invalid usage for client certificate: server auth", time.Time{}, nil},
		{"another signer's request", csr(node1, "alice", nil, approved, withSigner("example.com/signer")), ca, false, "", time.Time{}, nil},
		{"already failed", csr(node1, "alice", nil, approved, withCondition(certificatesv1.CertificateFailed)), ca, false, "", time.Time{}, nil},
		{"already issued", csr(node1, "alice", nil, approved, withCertificate()), ca, false, "", time.Time{}, nil},
		{"no CA here", csr(node1, "alice", nil, approved), nil, false, "", time.Time{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			act, err := Plan(tc.csr, tc.signer, now)
			if err != nil {
				t.Fatal(err)
			}
			if act.Approve != nil {
				t.Fatalf("approved again: %+v", act.Approve)
			}
			switch {
			case tc.fail != "":
				if act.Fail == nil || act.Fail.Reason != "SignerValidationFailure" || act.Fail.Message != tc.fail || act.Fail.Status != corev1.ConditionTrue {
					t.Fatalf("fail = %+v, want SignerValidationFailure %q", act.Fail, tc.fail)
				}
				return
			case !tc.issue:
				if act.Fail != nil || act.Certificate != nil {
					t.Fatalf("action = %+v, want none", act)
				}
				return
			}
			if act.Fail != nil || act.Certificate == nil {
				t.Fatalf("action = %+v, want a certificate", act)
			}
			cert := parseIssued(t, act.Certificate)
			req, _ := parseRequest(tc.csr.Spec.Request)
			if cert.Subject.CommonName != req.Subject.CommonName || strings.Join(cert.Subject.Organization, ",") != strings.Join(req.Subject.Organization, ",") {
				t.Errorf("subject = %v, want %v", cert.Subject, req.Subject)
			}
			if !cert.NotBefore.Equal(now.Add(-backdate)) || !cert.NotAfter.Equal(tc.notAfter) {
				t.Errorf("valid %s to %s, want %s to %s", cert.NotBefore, cert.NotAfter, now.Add(-backdate), tc.notAfter)
			}
			if len(cert.ExtKeyUsage) != len(tc.extUsages) || cert.ExtKeyUsage[0] != tc.extUsages[0] || cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.IsCA {
				t.Errorf("usages %v/%v, CA %v", cert.KeyUsage, cert.ExtKeyUsage, cert.IsCA)
			}
			if err := cert.CheckSignatureFrom(tc.signer.CA); err != nil {
				t.Errorf("not signed by the CA: %v", err)
			}
			if len(req.DNSNames) != len(cert.DNSNames) || len(req.IPAddresses) != len(cert.IPAddresses) {
				t.Errorf("alternative names %v %v, want %v %v", cert.DNSNames, cert.IPAddresses, req.DNSNames, req.IPAddresses)
			}
		})
	}
}

func TestPlanRefusesGarbage(t *testing.T) {
	if _, err := Plan(csr([]byte("not pem"), "alice", nil), nil, now); err == nil {
		t.Fatal("a request that does not parse was planned for")
	}
}

func TestExpiredCARefusesToSign(t *testing.T) {
	ca := testCA(t, now.Add(-time.Minute))
	c := csr(request(t, "system:node:n1", []string{"system:nodes"}, nil, nil), "alice", nil, withCondition(certificatesv1.CertificateApproved))
	if _, err := Plan(c, ca, now); err == nil || !strings.Contains(err.Error(), "CA expired") {
		t.Fatalf("err = %v, want the CA expired", err)
	}
}

func TestDuration(t *testing.T) {
	s := &Signer{MaxDuration: 24 * time.Hour}
	for _, tc := range []struct {
		seconds *int32
		want    time.Duration
	}{
		{nil, 24 * time.Hour},
		{ptr(int32(3600)), time.Hour},
		{ptr(int32(60)), minDuration},
		{ptr(int32(48 * 3600)), 24 * time.Hour},
	} {
		if got := s.duration(tc.seconds); got != tc.want {
			t.Errorf("duration(%v) = %s, want %s", tc.seconds, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func parseIssued(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
