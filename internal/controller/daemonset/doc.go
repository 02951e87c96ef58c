// Package daemonset is the DaemonSet controller: one pod of each DaemonSet on every node
// that should run it, rolled to new templates under maxUnavailable/maxSurge budgets, with
// ControllerRevisions for history and rollback, as upstream Kubernetes 1.32.
//
// Words used here, as upstream:
//   - shouldRun: the node should get a daemon pod if it has none;
//   - shouldContinueRunning: a daemon pod already on the node may stay (a NoSchedule taint
//     the pod does not tolerate stops new pods but does not evict running ones);
//   - hash: the current revision's template hash, the pods' controller-revision-hash label;
//   - updated pod: its hash (or pod-template-generation) is the current one.
//
// Pods are created without spec.nodeName and with required node affinity
// metadata.name In [node]; the scheduler binds them.
package daemonset
