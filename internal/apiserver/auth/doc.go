// Package auth decides who a request comes from and what it may do, the way kube-apiserver
// does with the pieces ordinal uses:
//
//   - authentication (authenticator.go): a client certificate signed by the cluster CA
//     (CN = user, O = groups), the static admin token(s) (group system:masters), or a
//     bootstrap token kept as a Secret bootstrap-token-<id> in kube-system (user
//     system:bootstrap:<id>, group system:bootstrappers); a request without credentials may
//     only read the kube-public/cluster-info ConfigMap, which a joining node needs before it
//     trusts anything;
//   - authorization (authorizer.go): system:masters may do everything; a node
//     (system:node:<name> in system:nodes) what upstream's Node authorizer and system:node
//     rules allow (node_authorizer.go), its reads of Secrets, ConfigMaps and volumes limited
//     to what the pods bound to it use (relationships.go); bootstrappers may only ask for a
//     certificate. There is no RBAC API: these rules are the whole policy.
//   - admission (node_restriction.go): what only the written object can tell, as upstream's
//     NodeRestriction plugin: a node writes only its own Node and Lease and the status of its
//     own pods.
//
// It also holds what joining needs on both sides: bootstrap tokens (bootstrap_token.go) and
// the public cluster-info ConfigMap with the CA's pin (cluster_info.go).
package auth
