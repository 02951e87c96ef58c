package validation

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// csrRules says which writes of a CertificateSigningRequest a path allows, as upstream's
// validation options do: approval conditions only through /approval, the certificate only
// through /status.
type csrRules struct {
	settingApproval    bool
	settingCertificate bool
}

// knownKeyUsages are the usages a request may ask for (certificates/v1 KeyUsage values).
var knownKeyUsages = sets.New(
	certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
	certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
	certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
	certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
	certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
	certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
	certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
	certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
)

// legacyUnknownSignerName is the v1beta1 default that certificates/v1 refuses.
const legacyUnknownSignerName = "kubernetes.io/legacy-unknown"

// minCSRExpirationSeconds is the shortest certificate a request may ask for: ten minutes,
// twice the signer's backdating.
const minCSRExpirationSeconds = 600

// csrName accepts any name that can be a path segment: upstream does not care what a request
// is called.
func csrName(name string, _ bool) []string { return path.IsValidPathSegmentName(name) }

// ValidateCertificateSigningRequest checks a new request.
func ValidateCertificateSigningRequest(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSR(csr)
}

// ValidateCertificateSigningRequestUpdate checks an update through the main resource, which
// may change metadata only.
func ValidateCertificateSigningRequestUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSRUpdate(csr, old, csrRules{})
}

// ValidateCertificateSigningRequestStatusUpdate checks a /status write, which may issue the
// certificate (once) and add conditions other than Approved and Denied.
func ValidateCertificateSigningRequestStatusUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSRUpdate(csr, old, csrRules{settingCertificate: true})
}

// ValidateCertificateSigningRequestApprovalUpdate checks an /approval write, which may add
// the Approved or Denied condition.
func ValidateCertificateSigningRequestApprovalUpdate(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
	return validateCSRUpdate(csr, old, csrRules{settingApproval: true})
}

func validateCSR(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
	allErrs := ValidateObjectMeta(&csr.ObjectMeta, false, csrName, field.NewPath("metadata"))
	spec := field.NewPath("spec")
	if err := checkCSRSignature(csr.Spec.Request); err != nil {
		allErrs = append(allErrs, field.Invalid(spec.Child("request"), csr.Spec.Request, err.Error()))
	}
	if len(csr.Spec.Usages) == 0 {
		allErrs = append(allErrs, field.Required(spec.Child("usages"), ""))
	}
	seen := map[certificatesv1.KeyUsage]bool{}
	for i, u := range csr.Spec.Usages {
		if !knownKeyUsages.Has(u) {
			allErrs = append(allErrs, field.NotSupported(spec.Child("usages").Index(i), u, sets.List(knownKeyUsages)))
		}
		if seen[u] {
			allErrs = append(allErrs, field.Duplicate(spec.Child("usages").Index(i), u))
		}
		seen[u] = true
	}
	if csr.Spec.SignerName == legacyUnknownSignerName {
		allErrs = append(allErrs, field.Invalid(spec.Child("signerName"), csr.Spec.SignerName, "the legacy signerName is not allowed via this API version"))
	} else {
		allErrs = append(allErrs, validateSignerName(spec.Child("signerName"), csr.Spec.SignerName)...)
	}
	if s := csr.Spec.ExpirationSeconds; s != nil && *s < minCSRExpirationSeconds {
		allErrs = append(allErrs, field.Invalid(spec.Child("expirationSeconds"), *s, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	allErrs = append(allErrs, validateCSRConditions(field.NewPath("status", "conditions"), csr.Status.Conditions)...)
	if err := checkCertificatePEM(csr.Status.Certificate); err != nil {
		allErrs = append(allErrs, field.Invalid(field.NewPath("status", "certificate"), "<certificate data>", err.Error()))
	}
	return allErrs
}

func validateCSRUpdate(csr, old *certificatesv1.CertificateSigningRequest, rules csrRules) field.ErrorList {
	allErrs := withMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta, validateCSR(csr))
	conditions := field.NewPath("status", "conditions")
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed} {
		before, after := csrConditions(old, t), csrConditions(csr, t)
		switch {
		case len(after) < len(before):
			allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		case rules.settingApproval || t == certificatesv1.CertificateFailed:
		case len(after) > len(before):
			allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not add a condition of type %q", t)))
		case !semanticEqual(before, after):
			allErrs = append(allErrs, field.Forbidden(conditions, fmt.Sprintf("updates may not modify a condition of type %q", t)))
		}
	}
	if !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		switch {
		case !rules.settingCertificate:
			allErrs = append(allErrs, field.Forbidden(field.NewPath("status", "certificate"), "updates may not set certificate content"))
		case len(old.Status.Certificate) > 0:
			allErrs = append(allErrs, field.Forbidden(field.NewPath("status", "certificate"), "updates may not modify existing certificate content"))
		}
	}
	return allErrs
}

// validateCSRConditions: Approved, Denied and Failed can only be True, Approved and Denied
// exclude each other, and each type appears once.
func validateCSRConditions(fldPath *field.Path, conditions []certificatesv1.CertificateSigningRequestCondition) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[certificatesv1.RequestConditionType]bool{}
	for i, c := range conditions {
		idx := fldPath.Index(i)
		if c.Type == "" {
			allErrs = append(allErrs, field.Required(idx.Child("type"), ""))
		}
		allowed := []string{string(corev1.ConditionFalse), string(corev1.ConditionTrue), string(corev1.ConditionUnknown)}
		switch c.Type {
		case certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed:
			allowed = []string{string(corev1.ConditionTrue)}
		}
		switch {
		case c.Status == "":
			allErrs = append(allErrs, field.Required(idx.Child("status"), ""))
		case !sets.New(allowed...).Has(string(c.Status)):
			allErrs = append(allErrs, field.NotSupported(idx.Child("status"), c.Status, allowed))
		}
		if (c.Type == certificatesv1.CertificateApproved && seen[certificatesv1.CertificateDenied]) ||
			(c.Type == certificatesv1.CertificateDenied && seen[certificatesv1.CertificateApproved]) {
			allErrs = append(allErrs, field.Invalid(idx.Child("type"), c.Type, "Approved and Denied conditions are mutually exclusive"))
		}
		if seen[c.Type] {
			allErrs = append(allErrs, field.Duplicate(idx.Child("type"), c.Type))
		}
		seen[c.Type] = true
	}
	return allErrs
}

func csrConditions(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, c)
		}
	}
	return out
}

// checkCSRSignature parses a PEM "CERTIFICATE REQUEST" and checks that its signature is valid:
// the requester holds the private key of the public key it asks a certificate for.
func checkCSRSignature(data []byte) error {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	return req.CheckSignature()
}

// checkCertificatePEM accepts nothing, or one or more CERTIFICATE blocks without headers.
func checkCertificatePEM(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	blocks := 0
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("only CERTIFICATE PEM blocks are allowed, found %q", block.Type)
		}
		if len(block.Headers) != 0 {
			return errors.New("no PEM block headers are permitted")
		}
		certs, err := x509.ParseCertificates(block.Bytes)
		if err != nil {
			return err
		}
		if len(certs) == 0 {
			return errors.New("found CERTIFICATE PEM block containing 0 certificates")
		}
		blocks++
		data = rest
	}
	if blocks == 0 {
		return errors.New("must contain at least one CERTIFICATE PEM block")
	}
	return nil
}

// validateSignerName: a signer is named "<domain with at least two labels>/<path>", e.g.
// kubernetes.io/kube-apiserver-client-kubelet.
func validateSignerName(fldPath *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	domain, rest, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(rest, "/") {
		return field.ErrorList{field.Invalid(fldPath, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var allErrs field.ErrorList
	if len(domain) > utilvalidation.DNS1123SubdomainMaxLength {
		allErrs = append(allErrs, field.TooLong(fldPath, "", utilvalidation.DNS1123SubdomainMaxLength))
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		if msgs := utilvalidation.IsDNS1123Label(l); len(msgs) > 0 {
			allErrs = append(allErrs, field.Invalid(fldPath, domain, fmt.Sprintf("validating label %q: %s", l, msgs[0])))
			break
		}
	}
	if len(labels) < 2 {
		allErrs = append(allErrs, field.Invalid(fldPath, domain, "should be a domain with at least two segments separated by dots"))
	}
	for _, c := range strings.Split(rest, ".") {
		if msgs := utilvalidation.IsDNS1123Subdomain(c); len(msgs) > 0 {
			allErrs = append(allErrs, field.Invalid(fldPath, rest, fmt.Sprintf("validating component %q: %s", c, msgs[0])))
			break
		}
	}
	maxLen := utilvalidation.DNS1123SubdomainMaxLength*2 + utilvalidation.DNS1123LabelMaxLength + 2
	if len(name) > maxLen {
		allErrs = append(allErrs, field.TooLong(fldPath, "", maxLen))
	}
	return allErrs
}
