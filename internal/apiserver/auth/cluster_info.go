package auth

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The cluster-info ConfigMap, as kubeadm publishes it: kube-public/cluster-info holds a
// kubeconfig with the server address and the CA, readable without credentials so that a
// joining node can fetch the CA and check it against the hash it was given.
const (
	ClusterInfoConfigMapName = "cluster-info"
	ClusterInfoKubeconfigKey = "kubeconfig"
)

// ClusterInfoConfigMap builds kube-public/cluster-info for a cluster served at serverURL
// with the CA in caPEM.
func ClusterInfoConfigMap(caPEM []byte, serverURL string) (*corev1.ConfigMap, error) {
	cfg := clientcmdapi.NewConfig()
	// kubeadm names the one cluster "": the joining side reads whichever cluster is there.
	cfg.Clusters[""] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: caPEM}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the cluster-info kubeconfig: %w", err)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: ClusterInfoConfigMapName, Namespace: metav1.NamespacePublic},
		Data:       map[string]string{ClusterInfoKubeconfigKey: string(data)},
	}, nil
}

// caCertHashPrefix names the hash function of a CA pin, as kubeadm's --discovery-token-ca-cert-hash.
const caCertHashPrefix = "sha256:"

// CACertHash is the pin of a CA: "sha256:" and the hex SHA-256 of its SubjectPublicKeyInfo,
// the same value kubeadm prints for --discovery-token-ca-cert-hash.
func CACertHash(ca *x509.Certificate) string {
	sum := sha256.Sum256(ca.RawSubjectPublicKeyInfo)
	return caCertHashPrefix + hex.EncodeToString(sum[:])
}

// CACertHashPEM is CACertHash of the first certificate in caPEM.
func CACertHashPEM(caPEM []byte) (string, error) {
	ca, err := ParseCertificatePEM(caPEM)
	if err != nil {
		return "", err
	}
	return CACertHash(ca), nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of data.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// ValidCACertHash reports whether s is of the form "sha256:<64 hex digits>".
func ValidCACertHash(s string) bool {
	digest, ok := strings.CutPrefix(s, caCertHashPrefix)
	if !ok || len(digest) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(digest)
	return err == nil
}
