package certificates

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the one write a sync makes to a request (all nil: none).
type Action struct {
	// Approve is the Approved condition to add through /approval.
	Approve *certificatesv1.CertificateSigningRequestCondition
	// Fail is the Failed condition to add through /status: the signer refuses the request.
	Fail *certificatesv1.CertificateSigningRequestCondition
	// Certificate is the issued certificate (PEM) to set through /status.
	Certificate []byte
}

// Plan decides the next step for csr at now: approve it (the approver's decision), or, once
// it is approved, issue it or refuse it for the signer (when signer is not nil: the CA is
// here). A request the controller has nothing to do for yields no action; an error means the
// request's PEM does not parse or signing failed.
func Plan(csr *certificatesv1.CertificateSigningRequest, signer *Signer, now time.Time) (Action, error) {
	req, err := parseRequest(csr.Spec.Request)
	if err != nil {
		return Action{}, fmt.Errorf("certificate signing request %s: %w", csr.Name, err)
	}
	if c := planApproval(csr, req); c != nil {
		c.LastUpdateTime = metav1.NewTime(now)
		return Action{Approve: c}, nil
	}
	if signer == nil || !hasCondition(csr, certificatesv1.CertificateApproved) || hasCondition(csr, certificatesv1.CertificateFailed) || len(csr.Status.Certificate) > 0 {
		return Action{}, nil
	}
	validate, ok := signerRules[csr.Spec.SignerName]
	if !ok {
		// Another signer's request: its own controller issues it.
		return Action{}, nil
	}
	if err := validate(req, csr.Spec.Usages); err != nil {
		return Action{Fail: &certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue, Reason: "SignerValidationFailure",
			Message: err.Error(), LastUpdateTime: metav1.NewTime(now),
		}}, nil
	}
	cert, err := signer.sign(req, csr.Spec.Usages, csr.Spec.ExpirationSeconds, now)
	if err != nil {
		return Action{}, fmt.Errorf("certificate signing request %s: %w", csr.Name, err)
	}
	return Action{Certificate: cert}, nil
}

func parseRequest(data []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	return x509.ParseCertificateRequest(block.Bytes)
}
