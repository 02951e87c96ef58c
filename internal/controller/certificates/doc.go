// Package certificates approves and signs CertificateSigningRequests, as upstream's
// csrapproving and csrsigning controllers do for the cluster's own signers:
//
//   - approval (approve.go): a request for a node client certificate
//     (kubernetes.io/kube-apiserver-client-kubelet, CN system:node:<name>, O system:nodes,
//     client usages only, no subject alternative names) is approved when a bootstrap token
//     (or an administrator) asks for it, or when a node asks to renew its own; anything else
//     waits for `kubectl certificate approve`;
//   - signing (sign.go): an approved request for one of the kubernetes.io signers this CA
//     serves is checked against that signer's rules and issued by the cluster CA for a year
//     (or the shorter spec.expirationSeconds), or marked Failed.
//
// Plan decides one step from the request alone; the Controller applies it through the
// /approval and /status subresources.
package certificates
