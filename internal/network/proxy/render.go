package proxy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// TableName is the default nftables table (family ip) the proxy owns; nothing else is
// touched.
const TableName = "ordinal-proxy"

// masqueradeMark is the packet mark bit that asks nat-postrouting to masquerade (the bit
// upstream's kube-proxy uses).
const masqueradeMark = "0x00004000"

// Render returns the nft script that replaces the proxy's table with the rules for the
// given services and slices. The script adds the table (a no-op if it exists), deletes
// it and defines it again, so `nft -f` loads it in one atomic transaction. Output is
// deterministic: the same objects give the same text.
func Render(services []*v1.Service, slices []*discovery.EndpointSlice, opts Options) string {
	sps := servicePorts(proxied(services, opts.Unproxied), slices, opts.NodeName)
	var bridge netip.Prefix
	if p, err := netip.ParsePrefix(opts.BridgeCIDR); err == nil && p.Addr().Is4() {
		bridge = p.Masked()
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	opts = opts.withDefaults()
	w("table ip %s", opts.Table)
	w("delete table ip %s", opts.Table)
	w("table ip %s {", opts.Table)

	// Dispatch maps: one element per cluster IP and port, so lookup cost does not grow
	// with the number of services.
	var svcIPs, noEndpoints, nodePorts, noEndpointNodePorts []string
	for _, sp := range sps {
		proto := protoName(sp.Port.Protocol)
		for _, ip := range sp.ClusterIPs {
			key := fmt.Sprintf("%s . %s . %d", ip, proto, sp.Port.Port)
			if len(sp.Endpoints) == 0 {
				noEndpoints = append(noEndpoints, key+" : goto reject-chain")
			} else {
				svcIPs = append(svcIPs, key+" : goto "+sp.chain())
			}
		}
		if sp.Port.NodePort != 0 {
			key := fmt.Sprintf("%s . %d", proto, sp.Port.NodePort)
			if len(sp.Endpoints) == 0 {
				noEndpointNodePorts = append(noEndpointNodePorts, key+" : goto reject-chain")
			} else {
				nodePorts = append(nodePorts, key+" : goto "+sp.chain())
			}
		}
	}
	verdictMap(w, "service-ips", "ipv4_addr . inet_proto . inet_service", svcIPs)
	verdictMap(w, "no-endpoint-services", "ipv4_addr . inet_proto . inet_service", noEndpoints)
	verdictMap(w, "service-nodeports", "inet_proto . inet_service", nodePorts)
	verdictMap(w, "no-endpoint-nodeports", "inet_proto . inet_service", noEndpointNodePorts)

	// Affinity sets hold the sources that last went to an endpoint; entries expire after
	// the service's timeout. They are recreated empty on every load, so a rule change
	// forgets affinities (upstream keeps them; existing connections are unaffected).
	for _, sp := range sps {
		if sp.Affinity == 0 {
			continue
		}
		for _, e := range sp.Endpoints {
			w("\tset %s {", sp.affinitySet(e))
			w("\t\ttype ipv4_addr")
			w("\t\tflags dynamic,timeout")
			w("\t\ttimeout %ds", sp.Affinity)
			w("\t}")
		}
	}

	// Hooks. Traffic from pods arrives on prerouting, traffic from host processes on
	// output; both are DNATed before routing.
	w("\tchain nat-prerouting {")
	w("\t\ttype nat hook prerouting priority dstnat; policy accept;")
	w("\t\tjump services")
	w("\t}")
	w("\tchain nat-output {")
	w("\t\ttype nat hook output priority -100; policy accept;")
	w("\t\tjump services")
	w("\t}")
	w("\tchain nat-postrouting {")
	w("\t\ttype nat hook postrouting priority srcnat; policy accept;")
	w("\t\tmeta mark & %s == %s meta mark set meta mark ^ %s masquerade", masqueradeMark, masqueradeMark, masqueradeMark)
	w("\t}")
	w("\tchain mark-for-masquerade {")
	w("\t\tmeta mark set meta mark | %s", masqueradeMark)
	w("\t}")
	// Services without endpoints are refused, as upstream does, rather than left to time
	// out; reject only works in filter chains.
	w("\tchain reject-chain {")
	w("\t\treject")
	w("\t}")
	for _, hook := range []string{"input", "forward", "output"} {
		w("\tchain filter-%s {", hook)
		w("\t\ttype filter hook %s priority filter - 10; policy accept;", hook)
		w("\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services")
		if hook != "forward" {
			w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports")
		}
		w("\t}")
	}

	w("\tchain services {")
	w("\t\tip daddr . meta l4proto . th dport vmap @service-ips")
	// NodePorts answer on every local address but loopback (DNAT of 127/8 to a pod would
	// need route_localnet). Traffic reaching a NodePort is masqueraded, as upstream does for
	// externalTrafficPolicy Cluster, so replies come back through this node.
	w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport @service-nodeports jump mark-for-masquerade")
	w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports")
	w("\t}")

	for _, sp := range sps {
		if len(sp.Endpoints) == 0 {
			continue
		}
		w("\tchain %s {", sp.chain())
		if sp.Affinity != 0 {
			for _, e := range sp.Endpoints {
				w("\t\tip saddr @%s goto %s", sp.affinitySet(e), sp.endpointChain(e))
			}
		}
		if len(sp.Endpoints) == 1 {
			w("\t\tgoto %s", sp.endpointChain(sp.Endpoints[0]))
		} else {
			elems := make([]string, len(sp.Endpoints))
			for i, e := range sp.Endpoints {
				elems[i] = fmt.Sprintf("%d : goto %s", i, sp.endpointChain(e))
			}
			w("\t\tnumgen random mod %d vmap { %s }", len(sp.Endpoints), strings.Join(elems, ", "))
		}
		w("\t}")
		for _, e := range sp.Endpoints {
			w("\tchain %s {", sp.endpointChain(e))
			// Hairpin: a pod reaching itself through its service must see another source,
			// or its reply would skip the reverse NAT.
			if bridge.IsValid() && bridge.Contains(e.IP) {
				w("\t\tip saddr %s jump mark-for-masquerade", bridge)
			} else {
				w("\t\tip saddr %s jump mark-for-masquerade", e.IP)
			}
			if sp.Affinity != 0 {
				w("\t\tupdate @%s { ip saddr }", sp.affinitySet(e))
			}
			w("\t\tmeta l4proto %s dnat to %s", protoName(sp.Port.Protocol), e)
			w("\t}")
		}
	}
	w("}")
	return b.String()
}

func verdictMap(w func(string, ...any), name, keyType string, elems []string) {
	w("\tmap %s {", name)
	w("\t\ttype %s : verdict", keyType)
	if len(elems) > 0 {
		w("\t\telements = {")
		for _, e := range elems {
			w("\t\t\t%s,", e)
		}
		w("\t\t}")
	}
	w("\t}")
}

// DeleteScript is the nft script that removes the table, whether or not it exists.
func DeleteScript(table string) string {
	return fmt.Sprintf("table ip %s\ndelete table ip %s\n", table, table)
}

// proxied drops the services named in unproxied.
func proxied(services []*v1.Service, unproxied []string) []*v1.Service {
	if len(unproxied) == 0 {
		return services
	}
	out := make([]*v1.Service, 0, len(services))
	for _, svc := range services {
		if !slices.Contains(unproxied, svc.Namespace+"/"+svc.Name) {
			out = append(out, svc)
		}
	}
	return out
}
