// Package scheduler binds pending pods to nodes, as upstream's kube-scheduler (1.32) does for
// the plugins that matter to ordinal: it is the `default-scheduler`.
//
// The words, in the order a pod meets them:
//
//   - queue: pending pods ordered by priority, then creation time. A pod that fits nowhere
//     waits in the unschedulable set until a cluster event (node added or changed, pod
//     deleted, claim or volume changed) or its retry interval moves it back, never sooner
//     than its backoff (1 s doubling to 10 s) allows.
//   - cache: what every node holds: the pods the informers show bound there plus the pods
//     this scheduler has assumed there and is still binding. A snapshot of it, taken once per
//     cycle, is immutable (copy on write), so decisions are pure functions of it.
//   - plugin: one concern with upstream's name (NodeUnschedulable, TaintToleration,
//     NodeAffinity, NodePorts, NodeResourcesFit, VolumeRestrictions, VolumeBinding,
//     PodTopologySpread, InterPodAffinity, NodeResourcesBalancedAllocation). Each may
//     pre-filter (look at the pod once), filter (one node: feasible or a reason), and score.
//     The chain, its order and the score weights are data (plugins in framework.go).
//   - status: a filter's answer for one node: success, unschedulable (preemption might help)
//     or unschedulable-and-unresolvable, with upstream's reasons. The reasons of all nodes,
//     counted and sorted, make the FailedScheduling message ("0/3 nodes are available: ...").
//   - decision: schedulePod(pod, snapshot, rand) is the whole choice: a node (and the
//     WaitForFirstConsumer claims to annotate with it), a preemption (victims to evict on a
//     nominated node), or the unschedulable message. It does no I/O and reads no clock.
//   - assume, bind: the scheduling loop records the decision in the cache at once (so the
//     next pod sees the node's new usage), then a bounded pool of binders writes it: the
//     claims' volume.kubernetes.io/selected-node annotation first, then pods/binding. A
//     failed bind forgets the assumption and requeues the pod.
package scheduler
