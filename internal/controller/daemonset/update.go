package daemonset

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// updateBudget is the rolling update arithmetic of a DaemonSet: percentages are of the
// nodes that should run a pod and round up; both zero means maxUnavailable 1.
type updateBudget struct {
	Desired, MaxSurge, MaxUnavailable int
}

func budget(in syncInput) updateBudget {
	var b updateBudget
	for _, node := range in.Nodes {
		if shouldRun, _ := nodeShouldRunDaemonPod(node, in.DS); shouldRun {
			b.Desired++
		}
	}
	b.MaxUnavailable = unavailableCount(in.DS, b.Desired)
	b.MaxSurge = surgeCount(in.DS, b.Desired)
	if b.Desired > 0 && b.MaxUnavailable == 0 && b.MaxSurge == 0 {
		b.MaxUnavailable = 1
	}
	return b
}

// rollingUpdate picks the old pods to delete (maxSurge 0) or the nodes that get a new pod
// next to their old one (maxSurge > 0), within the budget. Creating replacements after a
// deletion is left to manage, on the next sync.
func rollingUpdate(in syncInput) syncPlan {
	var p syncPlan
	b := budget(in)
	nodes := map[string]*corev1.Node{}
	for _, n := range in.Nodes {
		nodes[n.Name] = n
	}
	// Every node that should run a pod takes part, with or without pods.
	names := map[string]bool{}
	for name := range in.NodeToPods {
		names[name] = true
	}
	for _, n := range in.Nodes {
		if shouldRun, _ := nodeShouldRunDaemonPod(n, in.DS); shouldRun {
			names[n.Name] = true
		}
	}
	order := make([]string, 0, len(names))
	for n := range names {
		order = append(order, n)
	}
	sort.Strings(order)
	shouldRunOn := func(name string) bool {
		n, ok := nodes[name]
		if !ok {
			return false
		}
		shouldRun, _ := nodeShouldRunDaemonPod(n, in.DS)
		return shouldRun
	}
	available := func(pod *corev1.Pod) bool { return isPodAvailable(pod, in.DS.Spec.MinReadySeconds, in.Now) }

	if b.MaxSurge == 0 {
		// Deleted pods do not count as unavailable, so that updates progress while nodes
		// are down; an unavailable old pod is replaced at once, outside the budget.
		numUnavailable := 0
		var replacements, candidates []*corev1.Pod
		for _, name := range order {
			newPod, oldPod, ok := findUpdatedPodsOnNode(in.NodeToPods[name], in.Hash)
			switch {
			case !ok:
				// Duplicates: manage cleans the node up first.
				numUnavailable++
			case oldPod == nil && newPod == nil, oldPod != nil && newPod != nil:
				numUnavailable++
			case newPod != nil:
				if !available(newPod) {
					numUnavailable++
				}
			case !available(oldPod):
				replacements = append(replacements, oldPod)
				numUnavailable++
			case numUnavailable < b.MaxUnavailable:
				candidates = append(candidates, oldPod)
			}
		}
		room := min(max(b.MaxUnavailable-numUnavailable, 0), len(candidates))
		p.Delete = append(replacements, candidates[:room]...)
		return p
	}

	// Surging: a new pod goes next to each old one, immediately where the old one is not
	// available, otherwise for at most maxSurge nodes at a time; an old pod goes once the new
	// one is available.
	var numSurge, numAvailable int
	var allowedNew, candidateNew []string
	var shouldNotRun []*corev1.Pod
	for _, name := range order {
		newPod, oldPod, ok := findUpdatedPodsOnNode(in.NodeToPods[name], in.Hash)
		if !ok {
			numSurge++
			continue
		}
		switch {
		case oldPod != nil && available(oldPod):
			numAvailable++
		case oldPod == nil && newPod != nil && available(newPod):
			numAvailable++
		}
		switch {
		case oldPod == nil:
			// manage creates the pod the node lacks.
		case newPod == nil:
			switch {
			case !available(oldPod):
				if !shouldRunOn(name) {
					p.Delete = append(p.Delete, oldPod)
					continue
				}
				allowedNew = append(allowedNew, name)
			default:
				if !shouldRunOn(name) {
					shouldNotRun = append(shouldNotRun, oldPod)
					continue
				}
				if numSurge >= b.MaxSurge {
					continue
				}
				candidateNew = append(candidateNew, name)
			}
		default:
			if !available(newPod) {
				numSurge++
				continue
			}
			p.Delete = append(p.Delete, oldPod)
		}
	}
	// Pods on nodes that no longer qualify go only while enough others are available, so a
	// move of the scheduling constraints never leaves the application without pods.
	if n := min(numAvailable-b.Desired, len(shouldNotRun)); n > 0 {
		p.Delete = append(p.Delete, shouldNotRun[:n]...)
	}
	room := min(max(b.MaxSurge-numSurge, 0), len(candidateNew))
	p.Create = append(allowedNew, candidateNew[:room]...)
	return p
}

// findUpdatedPodsOnNode returns the node's one new and one old pod, ignoring deleted pods;
// ok is false when there are more of either (manage prunes them first).
func findUpdatedPodsOnNode(pods []*corev1.Pod, hash string) (newPod, oldPod *corev1.Pod, ok bool) {
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if isPodUpdated(pod, hash) {
			if newPod != nil {
				return nil, nil, false
			}
			newPod = pod
		} else {
			if oldPod != nil {
				return nil, nil, false
			}
			oldPod = pod
		}
	}
	return newPod, oldPod, true
}
