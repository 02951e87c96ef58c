// Package join is the agent's side of joining a cluster, the way kubeadm join and the
// kubelet's TLS bootstrap do it: with a bootstrap token and the pin of the cluster CA
// (sha256 of its public key), an agent
//
//  1. reads kube-public/cluster-info without credentials and without trusting the server
//     (discovery.go), accepts the CA found there only if its public key matches the pin, and
//     reads it again over TLS verified by that CA, so that the token is never sent to a server
//     that could not prove itself;
//  2. makes a key and asks, with the token, for a client certificate for
//     system:node:<name> in system:nodes (a CertificateSigningRequest for
//     kubernetes.io/kube-apiserver-client-kubelet), which the certificates controller
//     approves and issues;
//  3. keeps key, certificate, CA and a kubeconfig in its directory (credentials.go), and uses
//     them on later starts without the token while the certificate is valid.
//
// Renewal before the certificate expires is not done yet: an agent whose certificate expired
// must join again with a new token.
package join
