// Package proxybench measures the service proxy (package proxy) on the real dataplane, for
// `make bench` (test/bench) and docs/BENCHMARKS.md; it needs root. Nothing here is used by
// the proxy itself.
//
// Everything runs in network namespaces of the run's own, named after the process id, so
// the host's interfaces, routes and nftables are never touched:
//
//	node   the proxy's nftables table and the clients (they play host processes, whose
//	       traffic the nat-output hook DNATs)
//	pod a  10.42.251.2, behind a veth pair from the node (10.42.251.1)
//	pod b  10.42.251.6, behind a second pair (10.42.251.5)
//
// Each pod runs a tiny HTTP server that answers with its name. Code enters a namespace by
// locking a goroutine to its thread and calling setns; such goroutines never unlock, so the
// thread ends with them and no other goroutine ever runs in a foreign namespace. Sockets keep
// the namespace they were made in, and processes started from such a thread (nft) inherit it.
//
// What is measured (Run):
//
//   - endpoint change → rule change: an EndpointSlice update moves a service from one pod to
//     the other, and two clocks start just before the write. One stops when the proxier
//     reports the rules loaded (Proxier.LastSync, after `nft -f` has exited); the other when
//     a new connection to the cluster IP is first answered by the new pod (a probe about
//     every millisecond from the node namespace), which is what a client sees. The second is
//     usually the shorter: the kernel switches to the new rules when nft's batch commits,
//     and nft then waits about an RCU grace period (~10 ms here) in closing its netlink
//     socket before it exits. Single changes (each more than MinSyncPeriod after the last
//     load), changes 20 ms after a load (which MinSyncPeriod holds back), single changes
//     through a real apiserver (controlplane.Start: write → etcd → watch → informer → sync
//     → nft), and single changes with 1,000 services × 10 endpoints loaded.
//   - the cost of one full load of 1,000 services × 10 endpoints: rendering, and `nft -f`.
//   - requests per second through the cluster IP against straight to the pod IP, with a new
//     connection per request (where the DNAT rules run) and over kept-alive connections.
package proxybench
