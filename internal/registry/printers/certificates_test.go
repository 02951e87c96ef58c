package printers

import (
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCertificateSigningRequestColumns(t *testing.T) {
	assertHeaders(t, &certificatesv1.CertificateSigningRequest{},
		"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition")
}

func TestCertificateSigningRequestRows(t *testing.T) {
	hour := int32(3600)
	csr := func(expiration *int32, cert []byte, conditions ...certificatesv1.RequestConditionType) *certificatesv1.CertificateSigningRequest {
		c := &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "node-csr-abc", CreationTimestamp: ago(3 * time.Minute)},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Username: "system:bootstrap:abcdef", ExpirationSeconds: expiration,
			},
			Status: certificatesv1.CertificateSigningRequestStatus{Certificate: cert},
		}
		for _, t := range conditions {
			c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: t, Status: "True"})
		}
		return c
	}
	signer := "kubernetes.io/kube-apiserver-client-kubelet"
	cases := []struct {
		name      string
		csr       *certificatesv1.CertificateSigningRequest
		duration  string
		condition string
	}{
		{"pending", csr(nil, nil), "<none>", "Pending"},
		{"approved", csr(&hour, nil, certificatesv1.CertificateApproved), "60m", "Approved"},
		{"issued", csr(nil, []byte("x"), certificatesv1.CertificateApproved), "<none>", "Approved,Issued"},
		{"denied", csr(nil, nil, certificatesv1.CertificateDenied), "<none>", "Denied"},
		{"failed", csr(nil, nil, certificatesv1.CertificateApproved, certificatesv1.CertificateFailed), "<none>", "Approved,Failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertCells(t, tc.csr, "node-csr-abc", "3m", signer, "system:bootstrap:abcdef", tc.duration, tc.condition)
		})
	}
}
