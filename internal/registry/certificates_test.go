package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

func certificateRequestPEM(t *testing.T, orgs ...string) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	if orgs == nil {
		orgs = []string{"system:nodes"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1", Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), key
}

func selfSignedPEM(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "system:node:n1"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestCertificateSigningRequestLifecycle: the requestor comes from the request's user, the
// spec never changes, approval goes through /approval only and the certificate through
// /status only, once.
func TestCertificateSigningRequestLifecycle(t *testing.T) {
	r := newTestRegistry(t)
	res := r.mustLookup(t, "certificates.k8s.io", "certificatesigningrequests")
	req, key := certificateRequestPEM(t)
	requestor := &user.Info{Name: "system:bootstrap:abcdef", UID: "u-1", Groups: []string{"system:bootstrappers", "system:authenticated"}, Extra: map[string][]string{"k": {"v"}}}
	ctx := user.NewContext(context.Background(), requestor)

	in := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "node-csr-1"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
			Usages:   []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
			Username: "admin", Groups: []string{"system:masters"}, // the body's claims are ignored
		},
		Status: certificatesv1.CertificateSigningRequestStatus{Conditions: []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}}},
	}
	out, err := r.Create(ctx, res, "", in, false)
	if err != nil {
		t.Fatal(err)
	}
	csr := out.(*certificatesv1.CertificateSigningRequest)
	if csr.Spec.Username != requestor.Name || csr.Spec.UID != "u-1" || strings.Join(csr.Spec.Groups, ",") != "system:bootstrappers,system:authenticated" || csr.Spec.Extra["k"][0] != "v" {
		t.Fatalf("requestor = %q %q %v %v, want the request's user", csr.Spec.Username, csr.Spec.UID, csr.Spec.Groups, csr.Spec.Extra)
	}
	if len(csr.Status.Conditions) != 0 {
		t.Fatalf("created pre-approved: %v", csr.Status.Conditions)
	}

	approved := func(c *certificatesv1.CertificateSigningRequest) *certificatesv1.CertificateSigningRequest {
		c = c.DeepCopy()
		c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "AutoApproved"})
		return c
	}
	// The main resource keeps spec and status.
	changed := approved(csr)
	changed.Spec.Usages = []certificatesv1.KeyUsage{certificatesv1.UsageServerAuth}
	changed.Labels = map[string]string{"a": "b"}
	out, err = r.Update(ctx, res, "", csr.Name, "", changed, false)
	if err != nil {
		t.Fatal(err)
	}
	csr = out.(*certificatesv1.CertificateSigningRequest)
	if len(csr.Status.Conditions) != 0 || len(csr.Spec.Usages) != 2 || csr.Labels["a"] != "b" {
		t.Fatalf("main update changed spec or status, or lost metadata: %+v", csr)
	}
	// /status may not approve.
	if _, err := r.Update(ctx, res, "", csr.Name, SubresourceStatus, approved(csr), false); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `updates may not add a condition of type "Approved"`) {
		t.Fatalf("approval through /status: err = %v", err)
	}
	// /approval approves and stamps the times, and may not issue.
	withCert := approved(csr)
	withCert.Status.Certificate = selfSignedPEM(t, key)
	out, err = r.Update(ctx, res, "", csr.Name, SubresourceApproval, withCert, false)
	if err != nil {
		t.Fatal(err)
	}
	csr = out.(*certificatesv1.CertificateSigningRequest)
	if len(csr.Status.Conditions) != 1 || csr.Status.Conditions[0].LastUpdateTime.IsZero() || csr.Status.Conditions[0].LastTransitionTime.IsZero() {
		t.Fatalf("conditions = %+v, want Approved with times", csr.Status.Conditions)
	}
	if len(csr.Status.Certificate) != 0 {
		t.Fatal("the certificate was set through /approval")
	}
	// Approved and Denied exclude each other.
	denied := csr.DeepCopy()
	denied.Status.Conditions = append(denied.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue})
	if _, err := r.Update(ctx, res, "", csr.Name, SubresourceApproval, denied, false); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "mutually exclusive") {
		t.Fatalf("approved and denied: err = %v", err)
	}
	// /status issues, once.
	issue := csr.DeepCopy()
	issue.Status.Certificate = selfSignedPEM(t, key)
	out, err = r.Update(ctx, res, "", csr.Name, SubresourceStatus, issue, false)
	if err != nil {
		t.Fatal(err)
	}
	csr = out.(*certificatesv1.CertificateSigningRequest)
	if len(csr.Status.Certificate) == 0 || len(csr.Status.Conditions) != 1 {
		t.Fatalf("after issuing: %+v", csr.Status)
	}
	reissue := csr.DeepCopy()
	reissue.Status.Certificate = selfSignedPEM(t, key)
	if _, err := r.Update(ctx, res, "", csr.Name, SubresourceStatus, reissue, false); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "may not modify existing certificate content") {
		t.Fatalf("issuing twice: err = %v", err)
	}
	garbage := csr.DeepCopy()
	garbage.Status.Certificate = nil
	if _, err := r.Update(ctx, res, "", csr.Name, SubresourceStatus, garbage, false); err == nil {
		t.Fatal("removing the certificate was accepted")
	}
}

func TestCertificateSigningRequestValidation(t *testing.T) {
	r := newTestRegistry(t)
	res := r.mustLookup(t, "certificates.k8s.io", "certificatesigningrequests")
	req, _ := certificateRequestPEM(t)
	short := int32(60)
	cases := []struct {
		name string
		edit func(*certificatesv1.CertificateSigningRequest)
		want string
	}{
		{"not a request", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Request = []byte("x") }, "spec.request: Invalid value"},
		{"no usages", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Usages = nil }, "spec.usages: Required value"},
		{"unknown usage", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Usages = []certificatesv1.KeyUsage{"flying"} }, `spec.usages[0]: Unsupported value: "flying"`},
		{"no signer", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "" }, "spec.signerName: Required value"},
		{"signer without a path", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "kubernetes.io" }, "must be a fully qualified domain and path of the form 'example.com/signer-name'"},
		{"legacy signer", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "kubernetes.io/legacy-unknown" }, "the legacy signerName is not allowed via this API version"},
		{"too short", func(c *certificatesv1.CertificateSigningRequest) { c.Spec.ExpirationSeconds = &short }, "may not specify a duration less than 600 seconds (10 minutes)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &certificatesv1.CertificateSigningRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "x"},
				Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: "example.com/signer",
					Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
			}
			tc.edit(c)
			_, err := r.Create(context.Background(), res, "", c, false)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want Invalid with %q", err, tc.want)
			}
		})
	}
}

// TestAdmissionSeesEveryWrite: the request's admission check sees creates, updates (through
// any path) and deletes, with the stored object, and its refusal stops the write.
func TestAdmissionSeesEveryWrite(t *testing.T) {
	r := newTestRegistry(t)
	res := r.mustLookup(t, "", "configmaps")
	var seen []string
	refuse := errors.New("refused")
	ctx := WithAdmission(context.Background(), func(_ context.Context, a AdmissionAttributes) error {
		old := "-"
		if a.OldObject != nil {
			old = a.OldObject.(*corev1.ConfigMap).Data["v"]
		}
		seen = append(seen, string(a.Operation)+" "+a.Namespace+"/"+a.Name+" old="+old)
		if a.Object != nil && a.Object.(*corev1.ConfigMap).Data["v"] == "refuse" {
			return apierrors.NewForbidden(res.GroupResource(), a.Name, refuse)
		}
		return nil
	})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"v": "1"}}
	if _, err := r.Create(ctx, res, "default", cm, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Patch(ctx, res, "default", "c", "", types.MergePatchType, []byte(`{"data":{"v":"2"}}`), FieldValidationStrict, false); err != nil {
		t.Fatal(err)
	}
	refused := cm.DeepCopy()
	refused.Data["v"] = "refuse"
	refused.ResourceVersion = ""
	if _, err := r.Update(ctx, res, "default", "c", "", refused, false); !apierrors.IsForbidden(err) {
		t.Fatalf("refused update: err = %v", err)
	}
	if got, _ := r.Get(context.Background(), res, "default", "c"); got.(*corev1.ConfigMap).Data["v"] != "2" {
		t.Fatalf("a refused update was stored: %v", got)
	}
	if _, err := r.Delete(ctx, res, "default", "c", nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATE default/c old=-", "UPDATE default/c old=1", "UPDATE default/c old=2", "DELETE default/c old=2"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("admission saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestNoSystemMastersFromTheClientSigner(t *testing.T) {
	r := newTestRegistry(t)
	res := r.mustLookup(t, "certificates.k8s.io", "certificatesigningrequests")
	masters, _ := certificateRequestPEM(t, "devs", "system:masters")
	newCSR := func(name, signer string) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: masters, SignerName: signer,
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}},
		}
	}
	_, err := r.Create(context.Background(), res, "", newCSR("root", certificatesv1.KubeAPIServerClientSignerName), false)
	want := `certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	// Another signer decides for itself.
	if _, err := r.Create(context.Background(), res, "", newCSR("custom", "example.com/signer"), false); err != nil {
		t.Fatal(err)
	}
}
