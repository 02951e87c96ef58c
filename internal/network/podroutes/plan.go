package podroutes

import (
	"net"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Route is one node's pod CIDR reached through its address.
type Route struct {
	CIDR string // e.g. 10.42.1.0/24
	Via  string // the node's InternalIP
}

// Desired is the routes node self needs: one per other node with a pod CIDR and an IPv4
// InternalIP, sorted by CIDR. Nodes whose address is self's own (simulated nodes sharing a
// machine) or unparsable are skipped.
func Desired(self string, nodes []*corev1.Node) []Route {
	var selfIP string
	for _, n := range nodes {
		if n.Name == self {
			selfIP = internalIP(n)
		}
	}
	var out []Route
	for _, n := range nodes {
		if n.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		ip := internalIP(n)
		if ip == "" || ip == selfIP {
			continue
		}
		if _, cidr, err := net.ParseCIDR(n.Spec.PodCIDR); err != nil || cidr.IP.To4() == nil {
			continue
		}
		out = append(out, Route{CIDR: n.Spec.PodCIDR, Via: ip})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CIDR < out[j].CIDR })
	return out
}

// internalIP is the node's first IPv4 InternalIP address, or "".
func internalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			if ip := net.ParseIP(a.Address); ip != nil && ip.To4() != nil {
				return ip.String()
			}
		}
	}
	return ""
}

// Changes are what a sync does to go from the routes found to the desired ones.
type Changes struct {
	Replace []Route  // add, or change the gateway of
	Delete  []string // CIDRs of routes of ours no longer wanted
}

// Diff compares the desired routes with those of ours found on the machine.
func Diff(desired, current []Route) Changes {
	have := map[string]string{}
	for _, r := range current {
		have[r.CIDR] = r.Via
	}
	want := map[string]bool{}
	var c Changes
	for _, r := range desired {
		want[r.CIDR] = true
		if have[r.CIDR] != r.Via {
			c.Replace = append(c.Replace, r)
		}
	}
	for _, r := range current {
		if !want[r.CIDR] {
			c.Delete = append(c.Delete, r.CIDR)
		}
	}
	sort.Strings(c.Delete)
	return c
}
