package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// clusterSnapshot is the cluster as one scheduling cycle sees it. Nothing in it changes while the
// cycle runs: node infos are immutable and the storage objects come from the informers'
// caches, read only.
type clusterSnapshot struct {
	// nodes are the existing nodes, ordered by name (the order ties are sampled in).
	nodes  []*nodeInfo
	byName map[string]*nodeInfo
	// storage answers the volume plugins' questions.
	storage storageLister
	// nominated are pending pods that preemption nominated to a node, with their node.
	nominated []nominatedPod
}

type nominatedPod struct {
	pod  *podInfo
	node string
}

// storageLister is what the volume plugins and namespace selectors read. The scheduler
// implements it over informer listers; tests over maps. ok is false when the object does
// not exist.
type storageLister interface {
	Claim(namespace, name string) (*corev1.PersistentVolumeClaim, bool)
	Volume(name string) (*corev1.PersistentVolume, bool)
	// Volumes lists every PersistentVolume (read only).
	Volumes() []*corev1.PersistentVolume
	Class(name string) (*storagev1.StorageClass, bool)
	NamespaceLabels(name string) (labels.Set, bool)
}

func newSnapshot(nodes []*nodeInfo, storage storageLister, nominated []nominatedPod) *clusterSnapshot {
	s := &clusterSnapshot{nodes: nodes, byName: make(map[string]*nodeInfo, len(nodes)), storage: storage, nominated: nominated}
	for _, n := range nodes {
		s.byName[n.name()] = n
	}
	return s
}

// withNode returns a snapshot in which n replaces the node of the same name (preemption's
// "what if these pods were gone").
func (s *clusterSnapshot) withNode(n *nodeInfo) *clusterSnapshot {
	nodes := make([]*nodeInfo, len(s.nodes))
	for i, old := range s.nodes {
		if old.name() == n.name() {
			nodes[i] = n
		} else {
			nodes[i] = old
		}
	}
	return newSnapshot(nodes, s.storage, s.nominated)
}
