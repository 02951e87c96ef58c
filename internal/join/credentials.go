package join

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Files an agent keeps in its directory, all private to the owner.
const (
	CAFile         = "ca.crt"
	KeyFile        = "node.key"
	CertFile       = "node.crt"
	KubeconfigFile = "node.kubeconfig"
)

// credentials are the paths of one agent's files.
type credentials struct{ dir string }

func (c credentials) path(name string) string { return filepath.Join(c.dir, name) }

// valid loads the node's certificate and reports why it cannot be used for node at now, if so:
// missing, not matching its key, not for this node, not yet or no longer valid, or not from
// the CA kept beside it.
func (c credentials) valid(node string, now time.Time) error {
	pair, err := tls.LoadX509KeyPair(c.path(CertFile), c.path(KeyFile))
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	if want := user.NodeUserPrefix + node; leaf.Subject.CommonName != want || !slices.Contains(leaf.Subject.Organization, user.NodesGroup) {
		return fmt.Errorf("%s is for %q %v, not %q [%s]", c.path(CertFile), leaf.Subject.CommonName, leaf.Subject.Organization, want, user.NodesGroup)
	}
	caPEM, err := os.ReadFile(c.path(CAFile))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("%s holds no certificate", c.path(CAFile))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("%s: %w", c.path(CertFile), err)
	}
	if _, err := os.Stat(c.path(KubeconfigFile)); err != nil {
		return err
	}
	return nil
}

// loadOrCreateKey returns the node's private key, making and keeping one if there is none: a
// restarted join then asks again with the same key, and so for the same request.
func (c credentials) loadOrCreateKey() (crypto.Signer, error) {
	if data, err := os.ReadFile(c.path(KeyFile)); err == nil {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "EC PRIVATE KEY" {
			return nil, fmt.Errorf("%s: no EC PRIVATE KEY PEM block", c.path(KeyFile))
		}
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.path(KeyFile), err)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := writePrivate(c.path(KeyFile), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	return key, nil
}

// store keeps the CA and the issued certificate and writes the kubeconfig that uses them.
func (c credentials) store(server string, caPEM, certPEM []byte) error {
	if err := writePrivate(c.path(CAFile), caPEM); err != nil {
		return err
	}
	if err := writePrivate(c.path(CertFile), certPEM); err != nil {
		return err
	}
	return c.writeKubeconfig(server)
}

// writeKubeconfig writes a kubeconfig for server that names the files, so that a renewed
// certificate is picked up without rewriting it.
func (c credentials) writeKubeconfig(server string) error {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["ordinal"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: filepath.Join(dir, CAFile)}
	cfg.AuthInfos["node"] = &clientcmdapi.AuthInfo{ClientCertificate: filepath.Join(dir, CertFile), ClientKey: filepath.Join(dir, KeyFile)}
	cfg.Contexts["ordinal"] = &clientcmdapi.Context{Cluster: "ordinal", AuthInfo: "node"}
	cfg.CurrentContext = "ordinal"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	return writePrivate(c.path(KubeconfigFile), data)
}

// restConfig loads the kubeconfig, pointed at server.
func (c credentials) restConfig(server string) (*rest.Config, error) {
	cfg, err := clientcmd.LoadFromFile(c.path(KubeconfigFile))
	if err != nil {
		return nil, err
	}
	if cluster := cfg.Clusters["ordinal"]; cluster == nil || cluster.Server != server {
		if err := c.writeKubeconfig(server); err != nil {
			return nil, err
		}
	}
	return clientcmd.BuildConfigFromFlags("", c.path(KubeconfigFile))
}

// writePrivate writes a file atomically (temp file, then rename), readable by the owner only.
func writePrivate(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	// A leftover temp file keeps its mode through WriteFile.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
