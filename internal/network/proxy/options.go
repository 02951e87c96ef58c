package proxy

import "time"

// Options configures a Proxier.
type Options struct {
	// NodeName is this node's name: endpoints on it are the only ones used for services
	// with internalTrafficPolicy Local.
	NodeName string
	// BridgeCIDR is the node's pod CIDR on the bridge (e.g. "10.42.0.0/24"). Traffic from
	// it to an endpoint in it is masqueraded, because the reply would otherwise go
	// straight over the bridge and bypass the host's conntrack (we do not rely on
	// br_netfilter). Empty: only hairpin traffic (a pod reaching itself) is masqueraded.
	BridgeCIDR string
	// MinSyncPeriod is the least time between two rule loads (default 100 ms).
	MinSyncPeriod time.Duration
	// Table is the name of the table in family ip (default TableName); tests use their own
	// so that they never disturb a running node.
	Table string
	// Nft is the nft binary (default "nft", found on PATH).
	Nft string
	// Unproxied names services ("namespace/name") whose traffic is left alone: their
	// address is served on the node itself (kube-dns, where the cluster DNS server listens
	// on the service IP), so they are neither proxied nor rejected.
	Unproxied []string
}

func (o Options) withDefaults() Options {
	if o.MinSyncPeriod <= 0 {
		o.MinSyncPeriod = 100 * time.Millisecond
	}
	if o.Table == "" {
		o.Table = TableName
	}
	if o.Nft == "" {
		o.Nft = "nft"
	}
	return o
}
