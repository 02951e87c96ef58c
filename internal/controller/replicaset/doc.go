// Package replicaset keeps the number of pods of a ReplicaSet, or of a v1
// ReplicationController, at spec.replicas, as upstream's ReplicaSet controller and
// replication manager do (Kubernetes 1.32).
//
// One sync of an owner reads it and the pods from the informer caches, claims pods
// (adopting matching orphans, releasing owned pods that stopped matching; see
// [Claimer]), plans creations or deletions with [planReplicas] (a pure function: the
// scale-down victims are ranked as upstream's ActivePodsWithRanks), executes them in
// slow-start batches under expectations, and writes status recomputed from the pods.
//
// The words follow upstream: "active" pods are neither terminal nor terminating;
// "available" pods have been Ready for minReadySeconds; "expectations" are the creations
// and deletions this controller made and has not yet seen in its pod cache, during which
// it does not act again on the same owner.
package replicaset
