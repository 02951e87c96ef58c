package endpoints

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// repackSubsets regroups one-address subsets into the form the API wants, as upstream's
// RepackSubsets: every distinct set of (address, readiness) gets one subset listing all the
// ports it offers. The result is sorted, so equal inputs give equal objects.
func repackSubsets(in []v1.EndpointSubset) []v1.EndpointSubset {
	type member struct {
		addr  v1.EndpointAddress
		ready bool
	}
	noPorts := v1.EndpointPort{Port: -1} // sentinel: addresses with no ports are kept
	addrsByPort := map[v1.EndpointPort]map[string]member{}
	var portOrder []v1.EndpointPort
	add := func(port v1.EndpointPort, a v1.EndpointAddress, ready bool) {
		if addrsByPort[port] == nil {
			addrsByPort[port] = map[string]member{}
			portOrder = append(portOrder, port)
		}
		addrsByPort[port][addressKey(a)] = member{a, ready}
	}
	for _, s := range in {
		ports := s.Ports
		if len(ports) == 0 {
			ports = []v1.EndpointPort{noPorts}
		}
		for _, p := range ports {
			for _, a := range s.Addresses {
				add(p, a, true)
			}
			for _, a := range s.NotReadyAddresses {
				add(p, a, false)
			}
		}
	}
	// Ports offered by exactly the same members share a subset.
	type bucket struct {
		members map[string]member
		ports   []v1.EndpointPort
	}
	buckets := map[string]*bucket{}
	var bucketOrder []string
	for _, port := range portOrder {
		members := addrsByPort[port]
		keys := make([]string, 0, len(members))
		for k, m := range members {
			keys = append(keys, k+"/"+strconv.FormatBool(m.ready))
		}
		slices.Sort(keys)
		k := strings.Join(keys, ",")
		if buckets[k] == nil {
			buckets[k] = &bucket{members: members}
			bucketOrder = append(bucketOrder, k)
		}
		if port != noPorts {
			buckets[k].ports = append(buckets[k].ports, port)
		}
	}
	out := make([]v1.EndpointSubset, 0, len(buckets))
	for _, k := range bucketOrder {
		b := buckets[k]
		var s v1.EndpointSubset
		for _, m := range b.members {
			if m.ready {
				s.Addresses = append(s.Addresses, m.addr)
			} else {
				s.NotReadyAddresses = append(s.NotReadyAddresses, m.addr)
			}
		}
		slices.SortFunc(s.Addresses, compareAddresses)
		slices.SortFunc(s.NotReadyAddresses, compareAddresses)
		s.Ports = b.ports
		slices.SortFunc(s.Ports, func(x, y v1.EndpointPort) int {
			return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Protocol, y.Protocol))
		})
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y v1.EndpointSubset) int { return cmp.Compare(subsetKey(x), subsetKey(y)) })
	return out
}

func addressKey(a v1.EndpointAddress) string {
	if a.TargetRef != nil {
		return a.IP + "/" + string(a.TargetRef.UID)
	}
	return a.IP
}

func compareAddresses(a, b v1.EndpointAddress) int {
	return cmp.Compare(addressKey(a), addressKey(b))
}

// subsetKey orders subsets by their first port, then first address.
func subsetKey(s v1.EndpointSubset) string {
	var b strings.Builder
	for _, p := range s.Ports {
		b.WriteString(p.Name + ":" + strconv.Itoa(int(p.Port)) + "/" + string(p.Protocol) + ";")
	}
	b.WriteByte('|')
	for _, a := range append(slices.Clone(s.Addresses), s.NotReadyAddresses...) {
		b.WriteString(addressKey(a) + ";")
	}
	return b.String()
}

// truncate keeps at most max addresses, ready ones first, taking from every subset in
// proportion to its size, as upstream; it reports whether anything was dropped.
func truncate(subsets []v1.EndpointSubset, max int) ([]v1.EndpointSubset, bool) {
	ready, notReady := 0, 0
	for _, s := range subsets {
		ready += len(s.Addresses)
		notReady += len(s.NotReadyAddresses)
	}
	if ready+notReady <= max {
		return subsets, false
	}
	var out []v1.EndpointSubset
	keep := func(s v1.EndpointSubset) {
		// An empty subset is invalid; drop it.
		if len(s.Addresses)+len(s.NotReadyAddresses) > 0 {
			out = append(out, s)
		}
	}
	if ready >= max {
		left := max
		for _, s := range subsets {
			n := min(left, ceilShare(len(s.Addresses), max, ready))
			keep(v1.EndpointSubset{Addresses: s.Addresses[:n], Ports: s.Ports})
			left -= n
		}
		return out, true
	}
	budget := max - ready
	left := budget
	for _, s := range subsets {
		n := min(left, ceilShare(len(s.NotReadyAddresses), budget, notReady))
		keep(v1.EndpointSubset{Addresses: s.Addresses, NotReadyAddresses: s.NotReadyAddresses[:n], Ports: s.Ports})
		left -= n
	}
	return out, true
}

// ceilShare is part's proportional share of budget out of total, rounded up.
func ceilShare(part, budget, total int) int {
	if total == 0 {
		return 0
	}
	return min(part, (part*budget+total-1)/total)
}
