package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// pkiPrefix is where the servers of one etcd keep the cluster's shared secrets. It is outside
// the API's key space, so no API request can read it.
const pkiPrefix = "/ordinal/pki/"

// sharedPKIFiles are the files of DataDir/pki every server must have the same: the CA that
// signs serving, node and client certificates (so one kubeconfig and one join command work
// against every server), and the admin token.
var sharedPKIFiles = []string{"ca.crt", "ca.key", "admin.token"}

// sharePKI makes the servers on one etcd share the CA and the admin token. The first server
// publishes its own (made now if it has none) in one transaction that succeeds only if
// nothing was published yet; every other server writes the published files into its pki
// dir, replacing its own, before loading it (its serving certificate is then re-issued by
// LoadOrCreatePKI because it no longer chains to the CA).
func sharePKI(ctx context.Context, etcd *clientv3.Client, dir string, hosts []string) error {
	for attempt := 0; attempt < 3; attempt++ {
		resp, err := etcd.Get(ctx, pkiPrefix, clientv3.WithPrefix())
		if err != nil {
			return fmt.Errorf("reading the shared PKI from etcd: %w", err)
		}
		if len(resp.Kvs) > 0 {
			published := map[string][]byte{}
			for _, kv := range resp.Kvs {
				published[string(bytes.TrimPrefix(kv.Key, []byte(pkiPrefix)))] = kv.Value
			}
			return adoptPKI(dir, published)
		}
		// Nothing published: make (or load) ours and offer it.
		if _, err := loadOrCreateLocalPKI(dir, hosts); err != nil {
			return err
		}
		ops := make([]clientv3.Op, 0, len(sharedPKIFiles))
		for _, name := range sharedPKIFiles {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			ops = append(ops, clientv3.OpPut(pkiPrefix+name, string(data)))
		}
		txn, err := etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(pkiPrefix+sharedPKIFiles[0]), "=", 0)).
			Then(ops...).Commit()
		if err != nil {
			return fmt.Errorf("publishing the PKI in etcd: %w", err)
		}
		if txn.Succeeded {
			return nil
		}
		// Another server published first: adopt theirs on the next round.
	}
	return fmt.Errorf("could not agree on a shared PKI in etcd under %s", pkiPrefix)
}

// adoptPKI writes the published files into dir where they differ.
func adoptPKI(dir string, published map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range sharedPKIFiles {
		data, ok := published[name]
		if !ok {
			return fmt.Errorf("the shared PKI in etcd lacks %s%s", pkiPrefix, name)
		}
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
