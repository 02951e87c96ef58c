package printers

import (
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

var csrSpecDoc = certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()

// certificateSigningRequestColumns are `kubectl get csr`'s: upstream describes Requestor
// with the request field's doc, which we keep.
var certificateSigningRequestColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	ageColumn(),
	column("SignerName", "string", csrSpecDoc["signerName"]),
	column("Requestor", "string", csrSpecDoc["request"]),
	column("RequestedDuration", "string", csrSpecDoc["expirationSeconds"]),
	column("Condition", "string", certificatesv1.CertificateSigningRequestStatus{}.SwaggerDoc()["conditions"]),
}

func printCertificateSigningRequest(csr *certificatesv1.CertificateSigningRequest, now time.Time) (metav1.TableRow, error) {
	requested := "<none>"
	if s := csr.Spec.ExpirationSeconds; s != nil {
		requested = duration.HumanDuration(time.Duration(*s) * time.Second)
	}
	return newRow(csr, csr.Name, age(csr.CreationTimestamp, now), orNone(csr.Spec.SignerName), csr.Spec.Username, requested, csrCondition(csr)), nil
}

// csrCondition is the Condition cell: the decision (Denied before Approved, else Pending),
// then ",Failed" and ",Issued" as they apply.
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	status := "Pending"
	switch {
	case denied:
		status = "Denied"
	case approved:
		status = "Approved"
	}
	if failed {
		status += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		status += ",Issued"
	}
	return status
}
