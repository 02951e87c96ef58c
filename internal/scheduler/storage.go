package scheduler

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
)

// informerStorage is storageLister over the informers' caches, with the selected-node
// annotations this scheduler is writing shown as already there, so that two pods sharing a
// claim cannot be sent to different nodes while the first write is in flight.
type informerStorage struct {
	claims     corelisters.PersistentVolumeClaimLister
	volumes    corelisters.PersistentVolumeLister
	classes    storagelisters.StorageClassLister
	namespaces corelisters.NamespaceLister
	assumed    *assumedClaims
}

func (s *informerStorage) Claim(namespace, name string) (*corev1.PersistentVolumeClaim, bool) {
	claim, err := s.claims.PersistentVolumeClaims(namespace).Get(name)
	if err != nil {
		return nil, false
	}
	if node, ok := s.assumed.get(namespace, name); ok && claim.Annotations[AnnSelectedNode] != node {
		claim = claim.DeepCopy()
		if claim.Annotations == nil {
			claim.Annotations = map[string]string{}
		}
		claim.Annotations[AnnSelectedNode] = node
	}
	return claim, true
}

func (s *informerStorage) Volume(name string) (*corev1.PersistentVolume, bool) {
	pv, err := s.volumes.Get(name)
	return pv, err == nil
}

func (s *informerStorage) Volumes() []*corev1.PersistentVolume {
	pvs, _ := s.volumes.List(labels.Everything())
	return pvs
}

func (s *informerStorage) Class(name string) (*storagev1.StorageClass, bool) {
	class, err := s.classes.Get(name)
	return class, err == nil
}

func (s *informerStorage) NamespaceLabels(name string) (labels.Set, bool) {
	ns, err := s.namespaces.Get(name)
	if err != nil {
		return nil, false
	}
	return ns.Labels, true
}

// assumedClaims are the selected-node annotations decided but not yet seen in the informer.
type assumedClaims struct {
	mu    sync.Mutex
	nodes map[string]string // namespace/name -> node
}

func newAssumedClaims() *assumedClaims { return &assumedClaims{nodes: map[string]string{}} }

func claimKey(namespace, name string) string { return namespace + "/" + name }

func (a *assumedClaims) get(namespace, name string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	node, ok := a.nodes[claimKey(namespace, name)]
	return node, ok
}

func (a *assumedClaims) assume(claims []*corev1.PersistentVolumeClaim, node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range claims {
		a.nodes[claimKey(c.Namespace, c.Name)] = node
	}
}

func (a *assumedClaims) forget(claims []*corev1.PersistentVolumeClaim) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range claims {
		delete(a.nodes, claimKey(c.Namespace, c.Name))
	}
}

// observed drops the assumption once the informer shows the claim with its annotation (or
// bound, or gone).
func (a *assumedClaims) observed(claim *corev1.PersistentVolumeClaim, deleted bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := claimKey(claim.Namespace, claim.Name)
	if node, ok := a.nodes[key]; ok && (deleted || claim.Annotations[AnnSelectedNode] == node || claim.Spec.VolumeName != "") {
		delete(a.nodes, key)
	}
}
