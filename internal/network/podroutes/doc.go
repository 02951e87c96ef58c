// Package podroutes connects the pod networks of the nodes: every node routes each other
// node's pod CIDR (spec.podCIDR, a /24 of the cluster CIDR) through that node's InternalIP,
// so that pods reach pods on other nodes directly, without encapsulation or NAT — the
// "host-gw" design, which needs the nodes on one layer-2 network (as the machines of a
// rack, or the network namespaces of the multi-node tests, are).
//
// The routes are in the main table with protocol number 79 (RouteProtocol), which marks
// them as ordinal's: a sync replaces or removes only those, never a route someone else
// made. The same CIDRs go into the nftables set `remote` of the table `inet ordinal` (made
// by the process runtime), whose forward chain otherwise drops pod-range traffic that
// leaves through anything but a pod bridge (the set is made here too if the runtime has not
// made the table yet).
//
// Plan is the pure part (nodes in, desired routes out; diff against the routes found);
// Controller is the loop around it, one sync at a time, triggered by Node events.
package podroutes
