package replicaset

import (
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"
)

// BurstReplicas caps the pods one sync creates or deletes, as upstream's burstReplicas:
// a large scale change is spread over several syncs so one owner cannot flood the API.
const BurstReplicas = 500

// replicaPlan is what one sync does to an owner's pods.
type replicaPlan struct {
	// create is the number of pods to create from the template.
	create int
	// delete lists the pods to delete.
	delete []*v1.Pod
}

// planReplicas compares the active pods an owner controls with its spec.replicas and
// decides which pods to create or delete, at most burst of them. related are the pods of
// the owner's siblings (the ReplicaSets of the same Deployment, the owner included); a
// pod sharing its node with many of them goes first, to keep replicas spread.
func planReplicas(replicas int32, active, related []*v1.Pod, burst int, now time.Time) replicaPlan {
	diff := len(active) - int(replicas)
	switch {
	case diff < 0:
		return replicaPlan{create: min(-diff, burst)}
	case diff > 0:
		return replicaPlan{delete: podsToDelete(active, related, min(diff, burst), now)}
	}
	return replicaPlan{}
}

// podsToDelete picks the first n pods in upstream's scale-down order. The ranking is only
// computed when there is a choice to make.
func podsToDelete(active, related []*v1.Pod, n int, now time.Time) []*v1.Pod {
	pods := append([]*v1.Pod(nil), active...)
	if n < len(pods) {
		sort.Sort(rankByRelatedPodsOnSameNode(pods, related, now))
	}
	return pods[:n]
}

// rankByRelatedPodsOnSameNode ranks each pod by the number of active related pods on its
// node.
func rankByRelatedPodsOnSameNode(pods, related []*v1.Pod, now time.Time) activePodsWithRanks {
	onNode := map[string]int{}
	for _, p := range related {
		if IsPodActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	rank := make([]int, len(pods))
	for i, p := range pods {
		rank[i] = onNode[p.Spec.NodeName]
	}
	return activePodsWithRanks{pods: pods, rank: rank, now: now}
}
