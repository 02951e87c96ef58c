// Package agent is the node agent (the kubelet's job): it registers a Node, keeps its
// status and Lease fresh, and runs the pods bound to it through a runtime.Runtime, the
// process runtime on a real machine or package sim for simulated nodes.
//
// Words used here, as upstream uses them:
//
//   - pod worker: one goroutine per pod UID (pod_worker.go). Informer events and the relist
//     hand it the latest pod and wake it; it syncs.
//   - sync: one step for one pod (pod_sync.go): gather the API object, the runtime's status,
//     probe verdicts and volume facts into a podState; computePodActions (pod_actions.go, no
//     I/O) decides; the runtime acts; generatePodStatus (pod_status.go, no I/O) computes the
//     status, written through pods/status only when it changed. This is raft's Ready pattern
//     (shared/STYLE.md §8): the decision is a function of its inputs, with `now` among them.
//   - terminate: stop a pod that is being deleted or has finished (pod_terminate.go). A
//     deleted pod goes to Succeeded or Failed, then the agent deletes it with grace period 0
//     and a UID precondition; a force-deleted pod is cleaned up from the runtime alone.
//   - relist: listing the runtime every RelistPeriod (relist.go, upstream's PLEG) to notice
//     containers that changed on their own; on start it is also how running pods are
//     re-adopted instead of killed.
//   - back-off: the crash-loop back-off (backoff.go): first restart at once, then 10s doubling
//     to 5 minutes; a container waiting in it shows CrashLoopBackOff.
//   - probes: startup, liveness and readiness (probes.go), run by the runtime when due.
//   - fencing: with Config.FencingPeriod set, an agent that could not renew its Lease for
//     that long stops every container and starts none until a renewal succeeds and it has
//     re-read its pods (fencing.go); the node lifecycle controller relies on it to move
//     StatefulSet pods off a lost node safely.
//
// Wiring: New(Config{NodeName, Client, Runtime, Machine}) then Run(ctx) in a goroutine; Run
// returns when ctx ends and leaves the pods running. The node needs a pod CIDR before pods
// that need an IP start: the node IPAM controller (internal/controller/nodeipam) assigns it.
package agent
