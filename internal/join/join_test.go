package join

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/controlplane"
)

// cluster is a control plane plus an apiserver of this test's making on the same registry,
// wired as the control plane will be: client certificates of the cluster CA accepted, and the
// certificates controller approving and issuing with that CA.
type cluster struct {
	server string // the test's apiserver
	caPEM  []byte
	admin  kubernetes.Interface
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dataDir := t.TempDir()
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: dataDir, Listen: "127.0.0.1:0", DisableControllers: []string{
		"namespace", "serviceaccount", "garbagecollector", "replicaset", "deployment", "statefulset", "endpointslice",
		"endpointslicemirroring", "endpoints", "daemonset", "job", "cronjob", "scheduler", "nodeipam", "volume", "ingress", "nodelifecycle",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	// The control plane serves client certificates, cluster-info and the certificates
	// controller itself.
	caPEM, err := os.ReadFile(filepath.Join(dataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{server: cp.Server, caPEM: caPEM}
	c.admin = kubernetes.NewForConfigOrDie(cp.RestConfig)
	return c
}

// token creates a bootstrap token valid for ttl from now (negative: already expired).
func (c *cluster) token(t *testing.T, ttl time.Duration) string {
	t.Helper()
	id, secret := auth.NewBootstrapToken()
	s := auth.BootstrapTokenSecret(id, secret, time.Hour, "test", time.Now().Add(ttl-time.Hour))
	if _, err := c.admin.CoreV1().Secrets(metav1.NamespaceSystem).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return id + "." + secret
}

func (c *cluster) hash(t *testing.T) string {
	t.Helper()
	h, err := auth.CACertHashPEM(c.caPEM)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func bootstrap(t *testing.T, o Options) (*rest.Config, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Bootstrap(ctx, o)
}

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: err = %v, want 403 Forbidden", what, err)
	}
}

func TestJoinAndNodeAuthorization(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	dir := t.TempDir()
	token := c.token(t, time.Hour)
	cfg, err := bootstrap(t, Options{Server: c.server, Token: token, CACertHash: c.hash(t), NodeName: "n1", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{CAFile, KeyFile, CertFile, KubeconfigFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", f, err, st.Mode().Perm())
		}
	}

	// The request was made by the token's user, approved and issued.
	csrs, err := c.admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil || len(csrs.Items) != 1 {
		t.Fatalf("CSRs: %v, %v", csrs, err)
	}
	csr := csrs.Items[0]
	id, _, _ := auth.ParseBootstrapToken(token)
	if csr.Spec.Username != "system:bootstrap:"+id || csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName ||
		len(csr.Status.Certificate) == 0 || csr.Status.Conditions[0].Reason != "AutoApproved" {
		t.Fatalf("CSR %s: user %s, signer %s, conditions %+v, certificate %d bytes", csr.Name, csr.Spec.Username, csr.Spec.SignerName, csr.Status.Conditions, len(csr.Status.Certificate))
	}

	node := kubernetes.NewForConfigOrDie(cfg)
	// Its own Node, and its status.
	n1, err := node.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("registering its own node: %v", err)
	}
	n1.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	if _, err := node.CoreV1().Nodes().UpdateStatus(ctx, n1, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating its node's status: %v", err)
	}
	// Its Lease.
	holder := "n1"
	lease, err := node.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating its lease: %v", err)
	}
	now := metav1.NowMicro()
	lease.Spec.RenewTime = &now
	if _, err := node.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("renewing its lease: %v", err)
	}
	_, err = node.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, metav1.CreateOptions{})
	forbidden(t, "creating another node's lease", err)

	// Another node: neither it nor its status.
	n2, err := c.admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n2.Labels = map[string]string{"hijacked": "yes"}
	_, err = node.CoreV1().Nodes().Update(ctx, n2, metav1.UpdateOptions{})
	forbidden(t, "updating another node", err)
	_, err = node.CoreV1().Nodes().UpdateStatus(ctx, n2, metav1.UpdateOptions{})
	forbidden(t, "updating another node's status", err)
	_, err = node.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n3"}}, metav1.CreateOptions{})
	forbidden(t, "registering another node", err)

	// Pods: status of its own only; Secrets: those its pods use only, and no lists.
	for _, s := range []string{"used", "unused", "elsewhere"} {
		if _, err := c.admin.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := func(name, nodeName, secret string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
				Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}}}},
		}
	}
	for _, p := range []*corev1.Pod{pod("mine", "n1", "used"), pod("theirs", "n2", "elsewhere")} {
		if _, err := c.admin.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := node.CoreV1().Pods("default").Get(ctx, "mine", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mine.Status.Phase = corev1.PodRunning
	if _, err := node.CoreV1().Pods("default").UpdateStatus(ctx, mine, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating the status of a pod bound to it: %v", err)
	}
	theirs, err := node.CoreV1().Pods("default").Get(ctx, "theirs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	theirs.Status.Phase = corev1.PodFailed
	_, err = node.CoreV1().Pods("default").UpdateStatus(ctx, theirs, metav1.UpdateOptions{})
	forbidden(t, "updating the status of another node's pod", err)
	err = node.CoreV1().Pods("default").Delete(ctx, "theirs", metav1.DeleteOptions{})
	forbidden(t, "deleting another node's pod", err)

	_, err = node.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
	forbidden(t, "listing secrets", err)
	if err != nil && !strings.Contains(err.Error(), `User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default"`) {
		t.Errorf("listing secrets: message %q", err)
	}
	_, err = node.CoreV1().Secrets("default").Get(ctx, "unused", metav1.GetOptions{})
	forbidden(t, "getting a secret no pod of the node uses", err)
	_, err = node.CoreV1().Secrets("default").Get(ctx, "elsewhere", metav1.GetOptions{})
	forbidden(t, "getting a secret of another node's pod", err)
	if _, err := node.CoreV1().Secrets("default").Get(ctx, "used", metav1.GetOptions{}); err != nil {
		t.Errorf("getting the secret its pod mounts: %v", err)
	}

	// Later starts use the credentials kept in dir, without a token and without asking again.
	again, err := bootstrap(t, Options{Server: c.server, NodeName: "n1", Dir: dir})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if _, err := kubernetes.NewForConfigOrDie(again).CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{}); err != nil {
		t.Fatalf("second start's client: %v", err)
	}
	if csrs, _ := c.admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{}); len(csrs.Items) != 1 {
		t.Fatalf("the second start asked again: %d CSRs", len(csrs.Items))
	}
	// ...but not for another node's name.
	if _, err := bootstrap(t, Options{Server: c.server, NodeName: "n2", Dir: dir}); err == nil || !strings.Contains(err.Error(), "no --token") {
		t.Fatalf("credentials of n1 used for n2: err = %v", err)
	}
}

func TestJoinRefusesAnotherCA(t *testing.T) {
	c := startCluster(t)
	wrong := "sha256:" + strings.Repeat("ab", 32)
	_, err := bootstrap(t, Options{Server: c.server, Token: c.token(t, time.Hour), CACertHash: wrong, NodeName: "n1", Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "does not match --ca-cert-hash "+wrong) || !strings.Contains(err.Error(), c.hash(t)) {
		t.Fatalf("err = %v, want the CA hash mismatch naming both hashes", err)
	}
	if csrs, _ := c.admin.CertificatesV1().CertificateSigningRequests().List(context.Background(), metav1.ListOptions{}); len(csrs.Items) != 0 {
		t.Fatalf("a request was made to an untrusted server: %d CSRs", len(csrs.Items))
	}
}

func TestExpiredTokenIsUnauthorized(t *testing.T) {
	c := startCluster(t)
	expired := c.token(t, -time.Minute)
	client := kubernetes.NewForConfigOrDie(&rest.Config{Host: c.server, BearerToken: expired, TLSClientConfig: rest.TLSClientConfig{CAData: c.caPEM}})
	_, err := client.CertificatesV1().CertificateSigningRequests().List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Fatalf("err = %v, want 401 Unauthorized", err)
	}
	_, err = bootstrap(t, Options{Server: c.server, Token: expired, CACertHash: c.hash(t), NodeName: "n1", Dir: t.TempDir()})
	var status apierrors.APIStatus
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") || (errors.As(err, &status) && status.Status().Code != 401) {
		t.Fatalf("joining with an expired token: err = %v", err)
	}
	// A valid token still works: the refusal was about expiry.
	if _, err := bootstrap(t, Options{Server: c.server, Token: c.token(t, time.Hour), CACertHash: c.hash(t), NodeName: "n1", Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
}

func TestAnonymousReadsOnlyClusterInfo(t *testing.T) {
	c := startCluster(t)
	pool := mustPool(t, c.caPEM)
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for path, want := range map[string]int{
		"/api/v1/namespaces/kube-public/configmaps/cluster-info": http.StatusOK,
		"/api/v1/namespaces/kube-public/configmaps":              http.StatusUnauthorized,
		"/api/v1/namespaces/kube-system/secrets":                 http.StatusUnauthorized,
		"/api":                                                   http.StatusUnauthorized,
		"/version":                                               http.StatusOK,
	} {
		resp, err := anon.Get(c.server + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without credentials: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func mustPool(t *testing.T, caPEM []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	return pool
}

func TestServingCertificate(t *testing.T) {
	c := startCluster(t)
	dir := t.TempDir()
	cfg, err := bootstrap(t, Options{Server: c.server, Token: c.token(t, time.Hour), CACertHash: c.hash(t), NodeName: "n1", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	node := kubernetes.NewForConfigOrDie(cfg)
	ips := []net.IP{net.ParseIP("198.19.0.11")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pair, err := ServingCertificate(ctx, node, "n1", ips, dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFile))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: mustPool(t, caPEM), DNSName: "198.19.0.11", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("the serving certificate does not verify for the node's address: %v", err)
	}
	// A restart reuses it; a new address asks again.
	again, err := ServingCertificate(ctx, node, "n1", ips, dir)
	if err != nil || !bytes.Equal(again.Certificate[0], pair.Certificate[0]) {
		t.Errorf("second start: %v; same certificate %v", err, err == nil && bytes.Equal(again.Certificate[0], pair.Certificate[0]))
	}
	moved, err := ServingCertificate(ctx, node, "n1", []net.IP{net.ParseIP("198.19.0.12")}, dir)
	if err != nil || bytes.Equal(moved.Certificate[0], pair.Certificate[0]) {
		t.Errorf("after a change of address: %v; a new certificate %v", err, err == nil && !bytes.Equal(moved.Certificate[0], pair.Certificate[0]))
	}
	// Another node's name is not approved: the request waits until the deadline.
	short, cancelShort := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelShort()
	if _, err := ServingCertificate(short, node, "n2", ips, t.TempDir()); err == nil {
		t.Error("node n1 got a serving certificate for n2")
	}
}
