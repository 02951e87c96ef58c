// Package statefulset is the StatefulSet controller. It behaves as upstream Kubernetes 1.32's
// (pkg/controller/statefulset) and is organised the same way, one layer per file:
//
//   - stateful_set.go: the Controller, the thin loop. Informer handlers enqueue set keys; sync
//     reads the set, its ControllerRevisions, pods and claims from listers, claims pods and
//     revisions by ownerReference (ref_manager.go) and hands everything to the control step.
//   - stateful_set_control.go: the decisions. updateStatefulSet is a pure function from
//     (set, revisions, pods, claims, now) to the writes to make, in order, and the new status.
//   - stateful_set_revisions.go: ControllerRevisions (the patch that records a template, its
//     hash and name, rollback by reuse, history truncation), all pure.
//   - stateful_set_utils.go: identity rules (names, predicates, pod and claim builders).
//   - stateful_set_retention.go: persistentVolumeClaimRetentionPolicy as ownerReferences.
//   - stateful_set_status.go: status counting and when to write it.
//   - stateful_pod_control.go: carries out the writes through objectManager, the one I/O seam,
//     and records upstream's events.
//   - recent_writes.go: read-your-writes on top of the informers, so a sync that runs before
//     the watch has delivered our own last write does not act on a stale cache.
//
// Words, as upstream uses them:
//
//   - replicas: the pods whose ordinal is in [start, start+spec.replicas); missing ones are
//     built (not yet created) so every index has a pod.
//   - condemned: pods of the set whose ordinal is outside that range; they are scaled down,
//     highest ordinal first.
//   - monotonic: podManagementPolicy OrderedReady; burst: Parallel.
//   - current/update revision: the ControllerRevision named by status.currentRevision, and the
//     one that records the template in the spec now. Pods carry the revision name in the
//     controller-revision-hash label.
//   - healthy: Running, Ready and not terminating; available: Ready for minReadySeconds.
package statefulset
