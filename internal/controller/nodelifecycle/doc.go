// Package nodelifecycle is the node lifecycle controller of upstream Kubernetes 1.32 with
// its taint eviction controller, plus ordinal's automatic failover of StatefulSet pods from
// lost nodes.
//
// Words, as upstream uses them:
//
//   - heartbeat: a change of a node's Lease renewTime (kube-node-lease) or of its Ready
//     condition's lastHeartbeatTime. What counts is when the controller saw the change, by
//     its own clock (the probe time, nodeHealth.ProbeTime), never the timestamp the agent
//     wrote: clocks of different machines disagree, and the controller must not be fooled
//     by an agent's clock into acting early.
//   - grace period: a node silent for NodeMonitorGracePeriod (50s; NodeStartupGracePeriod,
//     1m, if it never posted a Ready condition) gets its Ready, MemoryPressure,
//     DiskPressure and PIDPressure conditions set to Unknown ("NodeStatusUnknown",
//     "Kubelet stopped posting node status."), an event NodeNotReady, and its pods'
//     Ready conditions set to False (each pod once per episode, so an agent that is alive
//     and disagrees is not fought).
//   - condition taints: NoSchedule taints follow the conditions (not-ready, unreachable,
//     memory-, disk-, pid-pressure, network-unavailable, and unschedulable for a cordoned
//     node); the NoExecute taint node.kubernetes.io/unreachable (Ready Unknown) or
//     not-ready (Ready False) is added with timeAdded, swapped when the condition flips,
//     and removed when the node is Ready again.
//   - taint eviction: a pod on a node with NoExecute taints (anyone's) that does not
//     tolerate one of them is deleted at once; one that tolerates them all is deleted when
//     the least tolerationSeconds among the tolerations it uses runs out, counted from when
//     the controller first saw it there; a toleration without tolerationSeconds keeps it
//     forever. The deletion is graceful, after the pod condition DisruptionTarget
//     (DeletionByTaintManager), with the events TaintManagerEviction "Marking for deletion
//     Pod ns/name" and "Cancelling deletion of Pod ns/name". Every pod gets 300s
//     tolerations for both NoExecute taints by default (the registry adds them).
//   - disruption: nodes are grouped in zones (topology.kubernetes.io/region and zone);
//     a zone with no Ready node is fully disrupted, one with more than two not-Ready nodes
//     making up 55% or more of it partially. When every zone is fully disrupted the
//     likeliest culprit is the control plane itself (its network, or it having been down),
//     so, as upstream, NoExecute condition taints are removed and none are added, and
//     failovers stop; when a node comes back every node gets a fresh grace period. This
//     is what keeps a one-node cluster's pods in place after its server was down. A small
//     (≤50 nodes) partially disrupted zone gets no new NoExecute taints.
//
// Simplified from upstream: NoExecute taints are not rate limited per zone (upstream adds
// them at 0.1 nodes/s, 0.01 in large partially disrupted zones); the NoExecute taint is
// added in the pass that marks the node Unknown rather than the next one; a Lease whose
// renewTime changes in any direction counts as a heartbeat (upstream: only forward); no
// label reconciliation; evictions delete with a UID precondition.
//
// # Failover of StatefulSet pods (beyond upstream)
//
// Upstream leaves the pods of a lost node Terminating forever: the StatefulSet controller
// must not make a second pod with the same identity while the first may still run, so
// users force-delete by hand or apply the out-of-service taint. ordinal's agents fence
// themselves instead: an agent that cannot renew its Lease for its fencing period stops all
// its containers and starts none until a renewal succeeds (see package agent), and says so
// by writing its period on the Lease (package fencing). Then the controller, for a node
// whose last heartbeat it observed at T (its clock), once
//
//	now ≥ T + grace period + fencing period + safety margin      (50s + 30s + 10s by default)
//
// force-deletes (grace 0, UID precondition) every pod a StatefulSet controls on the node,
// with the event StatefulSetPodFailover, so that the StatefulSet controller recreates it
// elsewhere with the same claims (a volume pinned to the lost node makes the new pod wait,
// as upstream). Never earlier, never while heartbeats come, never in full disruption, never
// for a node whose Lease does not advertise fencing; the fencing period used is the longer
// of Options.FencingPeriod and the node's own.
//
// Why this is safe. Let R be the agent's last successful renewal. The agent measures from
// the moment it sent that renewal, which is before the write reached the store, and has
// stopped every container by R + fencing period by its own monotonic clock. The controller
// can only have observed that renewal after it was stored, so T ≥ R, and it acts at
// T + grace + fencing + margin ≥ R + fencing + (grace + margin): at least grace + margin
// (60s by default) after the agent's containers were gone. The only assumption is that the
// two clocks' rates differ by less than (grace + margin) over the fencing period, which
// any working clock meets by orders of magnitude; their offsets do not matter, and a wall
// clock stepping on either side does not either (both measure intervals).
//
// Why a node coming back at the wrong moment cannot run a pod twice. The controller writes
// the failover record (the pods it is about to delete) on the Lease with the resourceVersion
// it decided on as a precondition: if the agent renewed in between, the write fails and the
// failover is off. Otherwise the agent's next successful renewal returns the record, and the
// agent never starts those pods again; before it starts anything after fencing it also
// lists its pods afresh from the API, so pods deleted while it was away are not revived
// from a stale cache. The controller removes the record once every pod in it is gone, and
// a restarted controller finishes a record it finds.
//
// The one case this cannot cover is an agent process that dies while its containers go on
// running (the process runtime's containers outlive the agent): nothing fences them then.
//
// Layout: plan.go holds plan, a pure function of the nodes, leases, pods, the controller's
// memory and now, returning the writes to make; health.go, conditions.go, taints.go,
// eviction.go, disruption.go and failover.go hold its parts; controller.go is the loop
// (informers on Nodes, Leases and Pods, one queue key, a pass per change, per due time and
// per NodeMonitorPeriod) and apply.go makes the writes.
package nodelifecycle
