package certificates

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
)

// Signing policy, as upstream's csrsigning controller with its defaults.
const (
	// DefaultDuration is how long issued certificates last unless the request asks for less
	// (kube-controller-manager's --cluster-signing-duration).
	DefaultDuration = 365 * 24 * time.Hour
	// backdate allows for clocks that are a little behind ours; it must stay under the
	// shortest duration a request may ask for.
	backdate = 5 * time.Minute
	// shortLived certificates do not lose the backdating at their end: 5 minutes of 8 hours
	// is about 1%.
	shortLived = 8 * time.Hour
	// minDuration is the shortest certificate issued, twice the backdating.
	minDuration = 10 * time.Minute
)

// Signer issues certificates from the cluster CA.
type Signer struct {
	CA  *x509.Certificate
	Key crypto.Signer
	// MaxDuration bounds certificates' lifetime (0: DefaultDuration).
	MaxDuration time.Duration
}

// signerRules are the kubernetes.io signers the cluster CA serves and what each accepts.
var signerRules = map[string]func(*x509.CertificateRequest, []certificatesv1.KeyUsage) error{
	certificatesv1.KubeAPIServerClientKubeletSignerName: validateNodeClientRequest,
	certificatesv1.KubeAPIServerClientSignerName:        validateAPIServerClientRequest,
	certificatesv1.KubeletServingSignerName:             validateNodeServingRequest,
}

// duration is the lifetime of a certificate for a request asking for expirationSeconds.
func (s *Signer) duration(expirationSeconds *int32) time.Duration {
	max := s.MaxDuration
	if max == 0 {
		max = DefaultDuration
	}
	if expirationSeconds == nil {
		return max
	}
	switch d := time.Duration(*expirationSeconds) * time.Second; {
	case d > max:
		return max
	case d < minDuration:
		return minDuration
	default:
		return d
	}
}

// sign issues a certificate for req: its subject, alternative names and public key, the
// usages of the request, valid from a little before now for the signer's duration, and never
// past the CA's own end.
func (s *Signer) sign(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage, expirationSeconds *int32, now time.Time) ([]byte, error) {
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the request's signature is invalid: %w", err)
	}
	keyUsage, extKeyUsage, err := x509Usages(usages)
	if err != nil {
		return nil, err
	}
	ttl := s.duration(expirationSeconds)
	notAfter := now.Add(ttl - backdate)
	if ttl < shortLived {
		notAfter = now.Add(ttl)
	}
	if !now.Before(s.CA.NotAfter) {
		return nil, fmt.Errorf("the CA expired at %s", s.CA.NotAfter.Format(time.RFC3339))
	}
	if notAfter.After(s.CA.NotAfter) {
		notAfter = s.CA.NotAfter
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		EmailAddresses:        req.EmailAddresses,
		URIs:                  req.URIs,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           extKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.CA, req.PublicKey, s.Key)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

var (
	keyUsages = map[certificatesv1.KeyUsage]x509.KeyUsage{
		certificatesv1.UsageSigning:           x509.KeyUsageDigitalSignature,
		certificatesv1.UsageDigitalSignature:  x509.KeyUsageDigitalSignature,
		certificatesv1.UsageContentCommitment: x509.KeyUsageContentCommitment,
		certificatesv1.UsageKeyEncipherment:   x509.KeyUsageKeyEncipherment,
		certificatesv1.UsageKeyAgreement:      x509.KeyUsageKeyAgreement,
		certificatesv1.UsageDataEncipherment:  x509.KeyUsageDataEncipherment,
		certificatesv1.UsageCertSign:          x509.KeyUsageCertSign,
		certificatesv1.UsageCRLSign:           x509.KeyUsageCRLSign,
		certificatesv1.UsageEncipherOnly:      x509.KeyUsageEncipherOnly,
		certificatesv1.UsageDecipherOnly:      x509.KeyUsageDecipherOnly,
	}
	extKeyUsages = map[certificatesv1.KeyUsage]x509.ExtKeyUsage{
		certificatesv1.UsageAny:             x509.ExtKeyUsageAny,
		certificatesv1.UsageServerAuth:      x509.ExtKeyUsageServerAuth,
		certificatesv1.UsageClientAuth:      x509.ExtKeyUsageClientAuth,
		certificatesv1.UsageCodeSigning:     x509.ExtKeyUsageCodeSigning,
		certificatesv1.UsageEmailProtection: x509.ExtKeyUsageEmailProtection,
		certificatesv1.UsageSMIME:           x509.ExtKeyUsageEmailProtection,
		certificatesv1.UsageIPsecEndSystem:  x509.ExtKeyUsageIPSECEndSystem,
		certificatesv1.UsageIPsecTunnel:     x509.ExtKeyUsageIPSECTunnel,
		certificatesv1.UsageIPsecUser:       x509.ExtKeyUsageIPSECUser,
		certificatesv1.UsageTimestamping:    x509.ExtKeyUsageTimeStamping,
		certificatesv1.UsageOCSPSigning:     x509.ExtKeyUsageOCSPSigning,
		certificatesv1.UsageMicrosoftSGC:    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
		certificatesv1.UsageNetscapeSGC:     x509.ExtKeyUsageNetscapeServerGatedCrypto,
	}
)

// x509Usages maps the API's usages to the certificate's key and extended key usages.
func x509Usages(usages []certificatesv1.KeyUsage) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	var ku x509.KeyUsage
	var eku []x509.ExtKeyUsage
	seen := map[x509.ExtKeyUsage]bool{}
	for _, u := range usages {
		if k, ok := keyUsages[u]; ok {
			ku |= k
			continue
		}
		if e, ok := extKeyUsages[u]; ok {
			if !seen[e] {
				eku = append(eku, e)
				seen[e] = true
			}
			continue
		}
		return 0, nil, fmt.Errorf("unknown key usage %q", u)
	}
	return ku, eku, nil
}
