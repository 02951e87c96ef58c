package endpointslice

import (
	"cmp"
	"maps"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
)

// slicePlan is what one sync does to the EndpointSlices of one Service.
type slicePlan struct {
	create []*discovery.EndpointSlice
	update []*discovery.EndpointSlice
	delete []*discovery.EndpointSlice
	// missingNodes name the nodes of pods that were left out because the node cache does not
	// know them yet; the sync is retried so that they get in.
	missingNodes []string
}

// nodeZones tells a node's topology zone, and whether the node is known at all.
type nodeZones func(node string) (zone string, found bool)

// planSlices decides how the existing slices of svc (those labelled as its and managed by
// this controller, not being deleted) become the slices its pods call for. It keeps
// endpoints where they are, updates slices in place, fills slices up to max before creating
// new ones, reuses slices that would be deleted instead of creating others, and leaves one
// empty placeholder slice when there is nothing to publish. triggerTime goes into the
// last-change-trigger-time annotation of every slice written.
func planSlices(svc *v1.Service, pods []*v1.Pod, nodes nodeZones, existing []*discovery.EndpointSlice, max int, triggerTime time.Time) slicePlan {
	var plan slicePlan
	supported := addressTypesForService(svc)
	byType := map[discovery.AddressType][]*discovery.EndpointSlice{}
	for _, s := range sortedByName(existing) {
		if !slices.Contains(supported, s.AddressType) {
			plan.delete = append(plan.delete, s)
			continue
		}
		byType[s.AddressType] = append(byType[s.AddressType], s)
	}
	for _, at := range supported {
		create, update, del, missing := planAddressType(svc, pods, nodes, byType[at], at, max)
		create, update, del = recycleDeletions(create, update, del, func(s *discovery.EndpointSlice) bool { return ownedBy(s, svc) })
		plan.create = append(plan.create, create...)
		plan.update = append(plan.update, update...)
		plan.delete = append(plan.delete, del...)
		for _, n := range missing {
			if !slices.Contains(plan.missingNodes, n) {
				plan.missingNodes = append(plan.missingNodes, n)
			}
		}
	}
	// Creating slices for a Service being deleted would race the garbage collector.
	if svc.DeletionTimestamp != nil {
		plan.create = nil
	}
	for _, s := range plan.create {
		setTriggerTime(s, triggerTime)
	}
	for _, s := range plan.update {
		setTriggerTime(s, triggerTime)
	}
	return plan
}

// addressTypesForService lists the address types svc's slices have, from its IP families.
// A Service without families (written by an old server) gets the family of its cluster IP,
// or both when headless, so that nothing is deleted before the server fills them in.
func addressTypesForService(svc *v1.Service) []discovery.AddressType {
	var out []discovery.AddressType
	for _, f := range svc.Spec.IPFamilies {
		switch f {
		case v1.IPv4Protocol:
			out = append(out, discovery.AddressTypeIPv4)
		case v1.IPv6Protocol:
			out = append(out, discovery.AddressTypeIPv6)
		}
	}
	if len(out) > 0 {
		return out
	}
	if isServiceIPSet(svc) {
		if len(addressesOfType([]string{svc.Spec.ClusterIP}, discovery.AddressTypeIPv6)) > 0 {
			return []discovery.AddressType{discovery.AddressTypeIPv6}
		}
		return []discovery.AddressType{discovery.AddressTypeIPv4}
	}
	return []discovery.AddressType{discovery.AddressTypeIPv4, discovery.AddressTypeIPv6}
}

// planAddressType plans the slices of one address type.
func planAddressType(svc *v1.Service, pods []*v1.Pod, nodes nodeZones, existing []*discovery.EndpointSlice, at discovery.AddressType, max int) (create, update, del []*discovery.EndpointSlice, missingNodes []string) {
	existingByPorts := map[string][]*discovery.EndpointSlice{}
	for _, s := range existing {
		if ownedBy(s, svc) {
			k := portsKey(s.Ports)
			existingByPorts[k] = append(existingByPorts[k], s)
		} else {
			// Left by an earlier Service of the same name.
			del = append(del, s)
		}
	}

	desired := map[string]*endpointSet{}
	desiredPorts := map[string][]discovery.EndpointPort{}
	for _, pod := range pods {
		if !ShouldPodBeInEndpoints(pod, true) {
			continue
		}
		zone, found := nodes(pod.Spec.NodeName)
		if !found && !svc.Spec.PublishNotReadyAddresses {
			// Upstream leaves such a pod out until its node is known, rather than publish an
			// endpoint without topology; publishNotReadyAddresses asks for it regardless.
			missingNodes = append(missingNodes, pod.Spec.NodeName)
			continue
		}
		ep := podToEndpoint(pod, zone, svc, at)
		if len(ep.Addresses) == 0 {
			continue
		}
		ports := endpointPorts(svc, pod)
		k := portsKey(ports)
		if desired[k] == nil {
			desired[k] = newEndpointSet()
			desiredPorts[k] = ports
		}
		desired[k].insert(ep)
	}

	for _, k := range sortedKeys(desired) {
		g := group{
			existing: existingByPorts[k],
			desired:  desired[k],
			max:      max,
			newSlice: func() *discovery.EndpointSlice { return newSlice(svc, desiredPorts[k], at) },
			labels:   func(s *discovery.EndpointSlice) (map[string]string, bool) { return sliceLabels(s, svc) },
		}
		c, u, d := g.reconcile()
		create, update, del = append(create, c...), append(update, u...), append(del, d...)
	}
	for _, k := range sortedKeys(existingByPorts) {
		if desired[k] == nil {
			del = append(del, existingByPorts[k]...)
		}
	}

	// With nothing to publish, one empty slice says "processed, no endpoints".
	if len(existing) == len(del) && len(create) == 0 {
		placeholder := newSlice(svc, []discovery.EndpointPort{}, at)
		if len(del) == 1 && isSamePlaceholder(del[0], placeholder) {
			del = nil
		} else {
			create = append(create, placeholder)
		}
	}
	return create, update, del, missingNodes
}

// recycleDeletions turns creations into updates of slices that would be deleted, which is
// one write instead of two and keeps slice names stable.
// Only slices of the same owner (not an earlier object of the same name, which the garbage
// collector is deleting) and address type (immutable) are reused.
func recycleDeletions(create, update, del []*discovery.EndpointSlice, owned func(*discovery.EndpointSlice) bool) (c, u, d []*discovery.EndpointSlice) {
	for i := 0; i < len(del) && len(create) > 0; {
		old, s := del[i], create[len(create)-1]
		if old.AddressType != s.AddressType || !owned(old) {
			i++
			continue
		}
		s.Name, s.ResourceVersion, s.UID = old.Name, old.ResourceVersion, old.UID
		s.GenerateName = old.GenerateName
		s.CreationTimestamp = old.CreationTimestamp
		s.Annotations = maps.Clone(old.Annotations)
		create = create[:len(create)-1]
		update = append(update, s)
		del = append(del[:i], del[i+1:]...)
	}
	return create, update, del
}

// group reconciles the slices that share one set of ports.
type group struct {
	existing []*discovery.EndpointSlice // sorted by name
	desired  *endpointSet
	max      int
	newSlice func() *discovery.EndpointSlice
	// labels returns the labels a kept slice must have and whether its own differ.
	labels func(*discovery.EndpointSlice) (map[string]string, bool)
	// annotations, when set, does the same for annotations (the mirroring controller).
	annotations func(*discovery.EndpointSlice) (map[string]string, bool)
}

// reconcile follows upstream's three steps: drop unwanted endpoints from existing slices and
// refresh changed ones; fill the slices being updated anyway; then put what is left into
// the unchanged slice that it fills best, or into new slices.
func (g group) reconcile() (create, update, del []*discovery.EndpointSlice) {
	var unchanged, toUpdate []*discovery.EndpointSlice
	for _, s := range g.existing {
		kept := make([]discovery.Endpoint, 0, len(s.Endpoints))
		changed := false
		for i := range s.Endpoints {
			want := g.desired.take(&s.Endpoints[i])
			if want == nil {
				continue
			}
			kept = append(kept, *want)
			if !endpointsEqualBeyondKey(want, &s.Endpoints[i]) {
				changed = true
			}
		}
		labels, labelsChanged := g.labels(s)
		var annotations map[string]string
		annotationsChanged := false
		if g.annotations != nil {
			annotations, annotationsChanged = g.annotations(s)
		}
		switch {
		case len(kept) == 0 && len(s.Endpoints) > 0:
			del = append(del, s)
		case changed || len(kept) != len(s.Endpoints) || labelsChanged || annotationsChanged:
			c := s.DeepCopy()
			c.Endpoints = kept
			c.Labels = labels
			if g.annotations != nil {
				c.Annotations = annotations
			}
			toUpdate = append(toUpdate, c)
		default:
			unchanged = append(unchanged, s)
		}
	}

	// Fill the slices written anyway, fullest first.
	slices.SortStableFunc(toUpdate, func(a, b *discovery.EndpointSlice) int { return cmp.Compare(len(b.Endpoints), len(a.Endpoints)) })
	for _, s := range toUpdate {
		for g.desired.len() > 0 && len(s.Endpoints) < g.max {
			s.Endpoints = append(s.Endpoints, g.desired.pop())
		}
	}

	for g.desired.len() > 0 {
		var fill *discovery.EndpointSlice
		if g.desired.len() < g.max {
			if i := sliceToFill(unchanged, g.desired.len(), g.max); i >= 0 {
				fill = unchanged[i].DeepCopy()
				unchanged = append(unchanged[:i], unchanged[i+1:]...)
			}
		}
		if fill == nil {
			fill = g.newSlice()
		}
		for g.desired.len() > 0 && len(fill.Endpoints) < g.max {
			fill.Endpoints = append(fill.Endpoints, g.desired.pop())
		}
		if fill.Name != "" {
			toUpdate = append(toUpdate, fill)
		} else {
			create = append(create, fill)
		}
	}
	slices.SortFunc(toUpdate, func(a, b *discovery.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
	return create, toUpdate, del
}

// sliceToFill picks the slice that n more endpoints would bring closest to full without
// overflowing it; -1 if none has room.
func sliceToFill(candidates []*discovery.EndpointSlice, n, max int) int {
	best, bestGap := -1, max
	for i, s := range candidates {
		gap := max - (n + len(s.Endpoints))
		if gap >= 0 && gap < bestGap {
			best, bestGap = i, gap
			if gap == 0 {
				break
			}
		}
	}
	return best
}

func sortedByName(in []*discovery.EndpointSlice) []*discovery.EndpointSlice {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b *discovery.EndpointSlice) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
