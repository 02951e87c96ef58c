// Package deployment rolls Deployments out through ReplicaSets, as upstream's
// Deployment controller does (Kubernetes 1.32).
//
// A sync reads the Deployment, claims its ReplicaSets (adoption and release as for
// pods, see replicaset.Claimer) and groups their pods, then hands that state to a
// planner. The planner is upstream's decision code without the I/O: it makes the same
// calls in the same order (getNewReplicaSet, reconcileNewReplicaSet,
// reconcileOldReplicaSets, scale, cleanupDeployment, syncRolloutStatus, ...), but each
// write is appended to a list of actions and its effect is simulated, so the next step
// sees what upstream's would. The controller then executes the actions in order and
// stops at the first failure, to be retried with backoff.
//
// Words: the "new" ReplicaSet is the oldest one whose pod template equals the
// Deployment's (ignoring the pod-template-hash label); all others are "old"; an
// "active" ReplicaSet has spec.replicas > 0; a "scaling event" is a change of
// spec.replicas seen through the desired-replicas annotation of an active ReplicaSet.
package deployment
