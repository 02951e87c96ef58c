package registry

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// SubresourceApproval is certificatesigningrequests/approval, through which an approver adds
// the Approved or Denied condition. It is apart from /status so that the right to approve and
// the right to issue can be granted separately, as upstream.
const SubresourceApproval = "approval"

func certificateSigningRequestFields(obj runtime.Object) fields.Set {
	return fields.Set{"spec.signerName": obj.(*certificatesv1.CertificateSigningRequest).Spec.SignerName}
}

// prepareCertificateSigningRequest records who asks, from the request's authenticated user
// and never from the body, and starts the request with no conditions: nobody can create a
// pre-approved request.
func prepareCertificateSigningRequest(ctx context.Context, _ *Registry, obj runtime.Object) error {
	csr := obj.(*certificatesv1.CertificateSigningRequest)
	csr.Spec.Username, csr.Spec.UID, csr.Spec.Groups, csr.Spec.Extra = "", "", nil, nil
	if u, ok := user.From(ctx); ok {
		csr.Spec.Username = u.Name
		csr.Spec.UID = u.UID
		csr.Spec.Groups = append([]string(nil), u.Groups...)
		if len(u.Extra) > 0 {
			csr.Spec.Extra = map[string]certificatesv1.ExtraValue{}
			for k, v := range u.Extra {
				csr.Spec.Extra[k] = append(certificatesv1.ExtraValue(nil), v...)
			}
		}
	}
	csr.Status = certificatesv1.CertificateSigningRequestStatus{}
	return restrictCertificateSubject(csr)
}

// restrictCertificateSubject refuses, as upstream's CertificateSubjectRestriction admission,
// a request to the generic client signer for a certificate in system:masters: approving such
// a request by mistake would hand out a credential that no authorization can limit. A request
// that does not parse is left to validation.
func restrictCertificateSubject(csr *certificatesv1.CertificateSigningRequest) error {
	if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName {
		return nil
	}
	block, _ := pem.Decode(csr.Spec.Request)
	if block == nil {
		return nil
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil
	}
	if slices.Contains(req.Subject.Organization, user.SystemPrivilegedGroup) {
		return apierrors.NewForbidden(certificatesv1.Resource("certificatesigningrequests"), csr.Name,
			fmt.Errorf("use of %s signer with %s group is not allowed", csr.Spec.SignerName, user.SystemPrivilegedGroup))
	}
	return nil
}

// keepCertificateSigningRequestSpec makes the request immutable through the main resource:
// only its metadata may change there (the generic update path already keeps the status).
func keepCertificateSigningRequestSpec(obj, old runtime.Object) {
	obj.(*certificatesv1.CertificateSigningRequest).Spec = old.(*certificatesv1.CertificateSigningRequest).Spec
}

// prepareCertificateSigningRequestStatus keeps the approval decision out of /status writes
// (the Approved and Denied conditions stay as stored; adding or removing one is refused by
// validation) and stamps the conditions' times.
func prepareCertificateSigningRequestStatus(obj, old runtime.Object) {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		oldIdx, newIdx := conditionIndices(prev, t), conditionIndices(csr, t)
		if len(oldIdx) != len(newIdx) {
			continue
		}
		for i, o := range oldIdx {
			csr.Status.Conditions[newIdx[i]] = prev.Status.Conditions[o]
		}
	}
	stampCSRConditions(csr, prev, metav1.Now().Rfc3339Copy())
}

// prepareCertificateSigningRequestApproval lets an /approval write change the conditions and
// nothing else: the certificate stays as stored.
func prepareCertificateSigningRequestApproval(obj, old runtime.Object) {
	csr, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	stampCSRConditions(csr, prev, metav1.Now().Rfc3339Copy())
	conditions := csr.Status.Conditions
	csr.Status = *prev.Status.DeepCopy()
	csr.Status.Conditions = conditions
}

func conditionIndices(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []int {
	var out []int
	for i, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, i)
		}
	}
	return out
}

// stampCSRConditions fills in lastUpdateTime where it is missing and lastTransitionTime from
// the stored condition of the same type and status, else now, as upstream's strategy does.
func stampCSRConditions(csr, prev *certificatesv1.CertificateSigningRequest, now metav1.Time) {
	for i := range csr.Status.Conditions {
		c := &csr.Status.Conditions[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = now
		}
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = now
		for _, o := range prev.Status.Conditions {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
				break
			}
		}
	}
}
