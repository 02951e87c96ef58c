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
	return build(services, slices, opts).script(opts.withDefaults().Table)
}

// ruleset is what the table holds besides its fixed chains: the dispatch maps, the
// affinity sets and the service and endpoint chains, each in a stable order. It is kept in
// pieces so that a sync can replace only the pieces that changed (partialScript).
type ruleset struct {
	maps   []nftMap
	sets   []nftSet
	chains []nftChain
}

// nftMap is a verdict map; its elements map a key to a verdict ("goto <chain>").
type nftMap struct {
	name, keyType string
	elems         []element
}

type element struct{ key, verdict string }

// nftSet is a ClientIP affinity set: the sources that last went to one endpoint, each
// forgotten after timeout seconds.
type nftSet struct {
	name    string
	timeout int32
}

// nftChain is a regular (non-base) chain and its rules, in order.
type nftChain struct {
	name  string
	rules []string
}

// The four dispatch maps, in the order the table defines them (ruleset.maps follows it).
const (
	mapServiceIPs          = "service-ips"
	mapNoEndpointServices  = "no-endpoint-services"
	mapServiceNodePorts    = "service-nodeports"
	mapNoEndpointNodePorts = "no-endpoint-nodeports"
)

// Indexes of the maps in ruleset.maps.
const (
	iServiceIPs = iota
	iNoEndpointServices
	iServiceNodePorts
	iNoEndpointNodePorts
)

// build computes the ruleset for the given services and slices.
func build(services []*v1.Service, slices []*discovery.EndpointSlice, opts Options) *ruleset {
	sps := servicePorts(proxied(services, opts.Unproxied), slices, opts.NodeName)
	var bridge netip.Prefix
	if p, err := netip.ParsePrefix(opts.BridgeCIDR); err == nil && p.Addr().Is4() {
		bridge = p.Masked()
	}

	// Dispatch maps: one element per cluster IP and port, so lookup cost does not grow
	// with the number of services.
	const addrKey, portKey = "ipv4_addr . inet_proto . inet_service", "inet_proto . inet_service"
	rs := &ruleset{maps: []nftMap{
		{name: mapServiceIPs, keyType: addrKey},
		{name: mapNoEndpointServices, keyType: addrKey},
		{name: mapServiceNodePorts, keyType: portKey},
		{name: mapNoEndpointNodePorts, keyType: portKey},
	}}
	add := func(m int, key, verdict string) {
		rs.maps[m].elems = append(rs.maps[m].elems, element{key, verdict})
	}
	for _, sp := range sps {
		proto := protoName(sp.Port.Protocol)
		verdict, ipMap, portMap := "goto "+sp.chain(), iServiceIPs, iServiceNodePorts
		if len(sp.Endpoints) == 0 {
			verdict, ipMap, portMap = "goto reject-chain", iNoEndpointServices, iNoEndpointNodePorts
		}
		for _, ip := range sp.ClusterIPs {
			add(ipMap, fmt.Sprintf("%s . %s . %d", ip, proto, sp.Port.Port), verdict)
		}
		if sp.Port.NodePort != 0 {
			add(portMap, fmt.Sprintf("%s . %d", proto, sp.Port.NodePort), verdict)
		}
	}

	// Affinity sets hold the sources that last went to an endpoint; entries expire after
	// the service's timeout. A partial load keeps the sets of endpoints that stay, so
	// affinities outlive other changes (as upstream's do); a full load (at start, after a
	// failed load, or for a changed timeout) recreates them empty.
	for _, sp := range sps {
		if sp.Affinity == 0 {
			continue
		}
		for _, e := range sp.Endpoints {
			rs.sets = append(rs.sets, nftSet{name: sp.affinitySet(e), timeout: sp.Affinity})
		}
	}

	for _, sp := range sps {
		if len(sp.Endpoints) == 0 {
			continue
		}
		var rules []string
		if sp.Affinity != 0 {
			for _, e := range sp.Endpoints {
				rules = append(rules, fmt.Sprintf("ip saddr @%s goto %s", sp.affinitySet(e), sp.endpointChain(e)))
			}
		}
		if len(sp.Endpoints) == 1 {
			rules = append(rules, "goto "+sp.endpointChain(sp.Endpoints[0]))
		} else {
			elems := make([]string, len(sp.Endpoints))
			for i, e := range sp.Endpoints {
				elems[i] = fmt.Sprintf("%d : goto %s", i, sp.endpointChain(e))
			}
			rules = append(rules, fmt.Sprintf("numgen random mod %d vmap { %s }", len(sp.Endpoints), strings.Join(elems, ", ")))
		}
		rs.chains = append(rs.chains, nftChain{name: sp.chain(), rules: rules})
		for _, e := range sp.Endpoints {
			// Hairpin: a pod reaching itself through its service must see another source,
			// or its reply would skip the reverse NAT.
			src := e.IP.String()
			if bridge.IsValid() && bridge.Contains(e.IP) {
				src = bridge.String()
			}
			rules := []string{fmt.Sprintf("ip saddr %s jump mark-for-masquerade", src)}
			if sp.Affinity != 0 {
				rules = append(rules, fmt.Sprintf("update @%s { ip saddr }", sp.affinitySet(e)))
			}
			rules = append(rules, fmt.Sprintf("meta l4proto %s dnat to %s", protoName(sp.Port.Protocol), e))
			rs.chains = append(rs.chains, nftChain{name: sp.endpointChain(e), rules: rules})
		}
	}
	return rs
}

// script is the full script for the ruleset: the table deleted and defined again, fixed
// chains included. A full load forgets the affinity sets' entries (a partial one keeps the
// sets it does not touch).
func (rs *ruleset) script(table string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("table ip %s", table)
	w("delete table ip %s", table)
	w("table ip %s {", table)
	for _, m := range rs.maps {
		w("\tmap %s {", m.name)
		w("\t\ttype %s : verdict", m.keyType)
		if len(m.elems) > 0 {
			w("\t\telements = {")
			for _, e := range m.elems {
				w("\t\t\t%s : %s,", e.key, e.verdict)
			}
			w("\t\t}")
		}
		w("\t}")
	}
	for _, s := range rs.sets {
		w("\tset %s {", s.name)
		w("\t\ttype ipv4_addr")
		w("\t\tflags dynamic,timeout")
		w("\t\ttimeout %ds", s.timeout)
		w("\t}")
	}
	b.WriteString(fixedChains)
	for _, c := range rs.chains {
		w("\tchain %s {", c.name)
		for _, r := range c.rules {
			w("\t\t%s", r)
		}
		w("\t}")
	}
	w("}")
	return b.String()
}

// fixedChains are the chains every table has, whatever the services.
//
// Hooks: traffic from pods arrives on prerouting, traffic from host processes on output;
// both are DNATed before routing. Services without endpoints are refused, as upstream does,
// rather than left to time out; reject only works in filter chains. NodePorts answer on every
// local address but loopback (DNAT of 127/8 to a pod would need route_localnet); traffic
// reaching a NodePort is masqueraded, as upstream does for externalTrafficPolicy Cluster, so
// replies come back through this node.
var fixedChains = func() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
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
	w("\tchain reject-chain {")
	w("\t\treject")
	w("\t}")
	for _, hook := range []string{"input", "forward", "output"} {
		w("\tchain filter-%s {", hook)
		w("\t\ttype filter hook %s priority filter - 10; policy accept;", hook)
		w("\t\tip daddr . meta l4proto . th dport vmap @%s", mapNoEndpointServices)
		if hook != "forward" {
			w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @%s", mapNoEndpointNodePorts)
		}
		w("\t}")
	}
	w("\tchain services {")
	w("\t\tip daddr . meta l4proto . th dport vmap @%s", mapServiceIPs)
	w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport @%s jump mark-for-masquerade", mapServiceNodePorts)
	w("\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @%s", mapServiceNodePorts)
	w("\t}")
	return b.String()
}()

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
