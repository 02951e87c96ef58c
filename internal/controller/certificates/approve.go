package certificates

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// recognizer is a kind of request the approver approves, and who may ask for it (upstream
// asks a SubjectAccessReview for create on certificatesigningrequests/<subresource>; without
// RBAC the groups that kubeadm grants those rights to are the rule).
type recognizer struct {
	name      string
	recognize func(csr *certificatesv1.CertificateSigningRequest, req *x509.CertificateRequest) bool
	mayAsk    func(csr *certificatesv1.CertificateSigningRequest) bool
	message   string
}

var recognizers = []recognizer{
	{
		name: "selfnodeclient",
		recognize: func(csr *certificatesv1.CertificateSigningRequest, req *x509.CertificateRequest) bool {
			return csr.Spec.Username == req.Subject.CommonName && isNodeClientRequest(csr, req)
		},
		mayAsk: func(csr *certificatesv1.CertificateSigningRequest) bool {
			return slices.Contains(csr.Spec.Groups, user.NodesGroup)
		},
		message: "Auto approving self kubelet client certificate after SubjectAccessReview.",
	},
	{
		name:      "nodeclient",
		recognize: isNodeClientRequest,
		mayAsk: func(csr *certificatesv1.CertificateSigningRequest) bool {
			return slices.Contains(csr.Spec.Groups, user.BootstrappersGroup) || slices.Contains(csr.Spec.Groups, user.SystemPrivilegedGroup)
		},
		message: "Auto approving kubelet client certificate after SubjectAccessReview.",
	},
	{
		// Beyond upstream, which leaves kubelet serving certificates to an administrator or
		// an external approver: a node may have one for itself whose DNS names are only its
		// own name, so that apiservers can reach its streaming server (logs, exec,
		// port-forward) over verified TLS. Its IP addresses cannot be checked against
		// anything the node does not report itself; a node could name another's address, which
		// would only matter to someone who can also intercept that address's traffic.
		name: "selfnodeserving",
		recognize: func(csr *certificatesv1.CertificateSigningRequest, req *x509.CertificateRequest) bool {
			node, ok := strings.CutPrefix(req.Subject.CommonName, user.NodeUserPrefix)
			return ok && csr.Spec.Username == req.Subject.CommonName &&
				csr.Spec.SignerName == certificatesv1.KubeletServingSignerName &&
				validateNodeServingRequest(req, csr.Spec.Usages) == nil &&
				!slices.ContainsFunc(req.DNSNames, func(name string) bool { return name != node })
		},
		mayAsk: func(csr *certificatesv1.CertificateSigningRequest) bool {
			return slices.Contains(csr.Spec.Groups, user.NodesGroup)
		},
		message: "Auto approving self kubelet serving certificate.",
	},
}

// planApproval returns the Approved condition to add to csr, or nil when the approver leaves
// it alone: already decided or issued, not a kind it recognizes, or asked for by someone who
// may not have it approved automatically.
func planApproval(csr *certificatesv1.CertificateSigningRequest, req *x509.CertificateRequest) *certificatesv1.CertificateSigningRequestCondition {
	if len(csr.Status.Certificate) > 0 || hasCondition(csr, certificatesv1.CertificateApproved) || hasCondition(csr, certificatesv1.CertificateDenied) {
		return nil
	}
	for _, r := range recognizers {
		if r.recognize(csr, req) && r.mayAsk(csr) {
			return &certificatesv1.CertificateSigningRequestCondition{
				Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "AutoApproved", Message: r.message,
			}
		}
	}
	return nil
}

func isNodeClientRequest(csr *certificatesv1.CertificateSigningRequest, req *x509.CertificateRequest) bool {
	return csr.Spec.SignerName == certificatesv1.KubeAPIServerClientKubeletSignerName && validateNodeClientRequest(req, csr.Spec.Usages) == nil
}

func hasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	return slices.ContainsFunc(csr.Status.Conditions, func(c certificatesv1.CertificateSigningRequestCondition) bool {
		return c.Type == t && c.Status == corev1.ConditionTrue
	})
}

// Usages a node's certificates may have: with or without key encipherment, which only RSA
// keys use.
var (
	nodeClientUsages       = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageClientAuth)
	nodeClientUsagesNoRSA  = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth)
	nodeServingUsages      = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageServerAuth)
	nodeServingUsagesNoRSA = sets.New(certificatesv1.UsageDigitalSignature, certificatesv1.UsageServerAuth)
)

// validateNodeClientRequest: what a node client certificate looks like (upstream's
// ValidateKubeletClientCSR).
func validateNodeClientRequest(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{user.NodesGroup}) {
		return errors.New("subject organization is not system:nodes")
	}
	switch {
	case len(req.DNSNames) > 0:
		return errors.New("DNS subjectAltNames are not allowed")
	case len(req.EmailAddresses) > 0:
		//lint:ignore ST1005 upstream's wording.
		return errors.New("Email subjectAltNames are not allowed")
	case len(req.IPAddresses) > 0:
		return errors.New("IP subjectAltNames are not allowed")
	case len(req.URIs) > 0:
		return errors.New("URI subjectAltNames are not allowed")
	}
	if !strings.HasPrefix(req.Subject.CommonName, user.NodeUserPrefix) {
		//lint:ignore ST1005 upstream's wording, which ends in the prefix.
		return errors.New("subject common name does not begin with system:node:")
	}
	if u := sets.New(usages...); !u.Equal(nodeClientUsages) && !u.Equal(nodeClientUsagesNoRSA) {
		return fmt.Errorf("usages did not match %v", sets.List(nodeClientUsages))
	}
	return nil
}

// validateNodeServingRequest: what a node serving certificate looks like (upstream's
// ValidateKubeletServingCSR).
func validateNodeServingRequest(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	if !slices.Equal(req.Subject.Organization, []string{user.NodesGroup}) {
		return errors.New("subject organization is not system:nodes")
	}
	switch {
	case len(req.DNSNames) == 0 && len(req.IPAddresses) == 0:
		return errors.New("DNS or IP subjectAltName is required")
	case len(req.EmailAddresses) > 0:
		//lint:ignore ST1005 upstream's wording.
		return errors.New("Email subjectAltNames are not allowed")
	case len(req.URIs) > 0:
		return errors.New("URI subjectAltNames are not allowed")
	}
	if u := sets.New(usages...); !u.Equal(nodeServingUsages) && !u.Equal(nodeServingUsagesNoRSA) {
		return fmt.Errorf("usages did not match %v", sets.List(nodeServingUsages))
	}
	if !strings.HasPrefix(req.Subject.CommonName, user.NodeUserPrefix) {
		//lint:ignore ST1005 upstream's wording, which ends in the prefix.
		return errors.New("subject common name does not begin with system:node:")
	}
	return nil
}

// validateAPIServerClientRequest: a client certificate for any user; client auth is required
// and nothing beyond signing and key encipherment may be asked for.
func validateAPIServerClientRequest(_ *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
	hasClientAuth := false
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment:
		case certificatesv1.UsageClientAuth:
			hasClientAuth = true
		default:
			return fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if !hasClientAuth {
		return fmt.Errorf("missing required usage for client certificate: %s", certificatesv1.UsageClientAuth)
	}
	return nil
}
