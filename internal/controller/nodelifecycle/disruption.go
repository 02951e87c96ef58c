package nodelifecycle

import (
	corev1 "k8s.io/api/core/v1"
)

// zoneState is how healthy a zone's nodes are, as upstream.
type zoneState string

const (
	stateNormal            zoneState = "Normal"
	statePartialDisruption zoneState = "PartialDisruption"
	stateFullDisruption    zoneState = "FullDisruption"
)

// labelExcludeDisruption keeps a node out of the zone counts.
const labelExcludeDisruption = "node.kubernetes.io/exclude-disruption"

// zoneKey names a node's failure domain from its region and zone labels (stable, else
// beta); nodes without them share the zone "".
func zoneKey(node *corev1.Node) string {
	region := node.Labels[corev1.LabelTopologyRegion]
	if region == "" {
		region = node.Labels[corev1.LabelFailureDomainBetaRegion]
	}
	zone := node.Labels[corev1.LabelTopologyZone]
	if zone == "" {
		zone = node.Labels[corev1.LabelFailureDomainBetaZone]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

// zoneHealth counts one zone's nodes.
type zoneHealth struct {
	ready, notReady int
}

// state classifies the zone: no Ready node is a full disruption; more than two not-Ready
// nodes making up at least 55% of it a partial one.
func (z zoneHealth) state() zoneState {
	switch {
	case z.ready == 0 && z.notReady > 0:
		return stateFullDisruption
	case z.notReady > 2 && float64(z.notReady)/float64(z.notReady+z.ready) >= unhealthyZoneThreshold:
		return statePartialDisruption
	default:
		return stateNormal
	}
}

// disruption is the cluster's verdict for one pass.
type disruption struct {
	zones map[string]zoneState
	// all: every zone is fully disrupted. The likeliest cause is the control plane's own
	// network (or the control plane having been down), not every node failing at once, so
	// upstream stops all evictions; ordinal stops failovers too.
	all bool
	// halted are the zones where no new NoExecute taint is added: partially disrupted and
	// small (upstream sets their eviction rate to 0).
	halted map[string]bool
}

// computeDisruption classifies zones from the nodes' Ready conditions as this pass leaves
// them. Nodes labelled node.kubernetes.io/exclude-disruption do not count.
func computeDisruption(nodes []*corev1.Node, ready map[string]corev1.ConditionStatus) disruption {
	health := map[string]*zoneHealth{}
	for _, n := range nodes {
		if _, excluded := n.Labels[labelExcludeDisruption]; excluded {
			continue
		}
		k := zoneKey(n)
		if health[k] == nil {
			health[k] = &zoneHealth{}
		}
		if ready[n.Name] == corev1.ConditionTrue {
			health[k].ready++
		} else {
			health[k].notReady++
		}
	}
	d := disruption{zones: map[string]zoneState{}, halted: map[string]bool{}, all: len(health) > 0}
	for k, z := range health {
		s := z.state()
		d.zones[k] = s
		if s != stateFullDisruption {
			d.all = false
		}
		if s == statePartialDisruption && z.ready+z.notReady <= largeClusterThreshold {
			d.halted[k] = true
		}
	}
	return d
}
