package auth

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func TestNewBootstrapTokenParses(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id, secret := NewBootstrapToken()
		gotID, gotSecret, ok := ParseBootstrapToken(id + "." + secret)
		if !ok || gotID != id || gotSecret != secret {
			t.Fatalf("token %s.%s does not parse back: %q %q %v", id, secret, gotID, gotSecret, ok)
		}
		if seen[id+secret] {
			t.Fatalf("token %s.%s made twice", id, secret)
		}
		seen[id+secret] = true
	}
}

func TestParseBootstrapToken(t *testing.T) {
	for token, ok := range map[string]bool{
		"abcdef.0123456789abcdef":  true,
		"ABCDEF.0123456789abcdef":  false,
		"abcde.0123456789abcdef":   false,
		"abcdef.0123456789abcde":   false,
		"abcdef:0123456789abcdef":  false,
		"abcdef.0123456789abcdef ": false,
		"":                         false,
	} {
		if _, _, got := ParseBootstrapToken(token); got != ok {
			t.Errorf("ParseBootstrapToken(%q) ok = %v, want %v", token, got, ok)
		}
	}
}

func TestBootstrapTokenSecret(t *testing.T) {
	s := BootstrapTokenSecret("abcdef", "0123456789abcdef", 24*time.Hour, "for node 2", testNow)
	if s.Namespace != "kube-system" || s.Name != "bootstrap-token-abcdef" || s.Type != "bootstrap.kubernetes.io/token" {
		t.Fatalf("secret %s/%s of type %s", s.Namespace, s.Name, s.Type)
	}
	want := map[string]string{
		"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
		"expiration": "2026-11-23T10:00:00Z", "description": "for node 2",
	}
	if len(s.Data) != len(want) {
		t.Fatalf("data %v, want %v", s.Data, want)
	}
	for k, v := range want {
		if string(s.Data[k]) != v {
			t.Errorf("%s = %q, want %q", k, s.Data[k], v)
		}
	}
	if forever := BootstrapTokenSecret("abcdef", "0123456789abcdef", 0, "", testNow); forever.Data["expiration"] != nil || forever.Data["description"] != nil {
		t.Errorf("a token without ttl or description has %v", forever.Data)
	}
}

func TestCACertHash(t *testing.T) {
	ca := newTestCA(t)
	// kubeadm's recipe: the SHA-256 of the DER public key (openssl x509 -pubkey | openssl
	// pkey -pubin -outform der | sha256sum).
	der, err := x509.MarshalPKIXPublicKey(&ca.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	want := "sha256:" + hex.EncodeToString(sum[:])
	if got := CACertHash(ca.cert); got != want {
		t.Fatalf("CACertHash = %s, want %s", got, want)
	}
	if got, err := CACertHashPEM(ca.pem); err != nil || got != want {
		t.Fatalf("CACertHashPEM = %s, %v; want %s", got, err, want)
	}
	if !ValidCACertHash(want) || ValidCACertHash(want[:len(want)-1]) || ValidCACertHash("sha1:"+want[7:]) {
		t.Fatal("ValidCACertHash accepts the wrong forms or refuses the right one")
	}
	if CACertHash(newTestCA(t).cert) == want {
		t.Fatal("two CAs share a hash")
	}
}

func TestClusterInfoConfigMap(t *testing.T) {
	ca := newTestCA(t)
	cm, err := ClusterInfoConfigMap(ca.pem, "https://10.0.0.1:6443")
	if err != nil {
		t.Fatal(err)
	}
	if cm.Namespace != "kube-public" || cm.Name != "cluster-info" {
		t.Fatalf("ConfigMap %s/%s", cm.Namespace, cm.Name)
	}
	cfg, err := clientcmd.Load([]byte(cm.Data["kubeconfig"]))
	if err != nil {
		t.Fatal(err)
	}
	cluster := cfg.Clusters[""]
	if len(cfg.Clusters) != 1 || cluster == nil || cluster.Server != "https://10.0.0.1:6443" || string(cluster.CertificateAuthorityData) != string(ca.pem) {
		t.Fatalf("clusters %+v", cfg.Clusters)
	}
}
