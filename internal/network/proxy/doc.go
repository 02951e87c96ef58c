// Package proxy is the node's Service proxy (kube-proxy's job): it turns Services and
// EndpointSlices into an nftables table of its own, `ip ordinal-proxy`, that DNATs
// ClusterIP (and NodePort) traffic to the service's endpoints.
//
// The table is rendered from scratch by the pure function Render and loaded with
// `nft -f -` as one transaction (create, delete, recreate), so the kernel never sees a
// half-written rule set and no other table is touched. Proxier.Run re-renders whenever
// the informers report a change, at most once per MinSyncPeriod, and deletes the table
// when its context ends. After the first load it loads only what changed (a service's
// chains, map elements), still as one transaction: at 1,000 services × 10 endpoints a
// full load costs `nft -f` most of a second, a partial one a few milliseconds (see
// docs/BENCHMARKS.md). A failed load makes the next one full.
//
// Layout of the table (names follow upstream's nftables kube-proxy where they can):
//
//	chain nat-prerouting / nat-output   dstnat hooks: jump services
//	chain services                      ip daddr . l4proto . dport vmap @service-ips,
//	                                    then NodePorts for local destinations
//	chain svc-<ns>/<name>/<proto>/<port> affinity lookups, then numgen random mod N vmap
//	chain ep-<ns>/<name>/<proto>/<port>/<ip>/<port>  mark for masquerade, dnat
//	chain nat-postrouting               masquerade what was marked
//	chain filter-*                      reject traffic to services without endpoints
package proxy
