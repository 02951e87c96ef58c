package scheduler

import (
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// schedulerCache is what every node holds: the pods the informers show bound to it, plus the
// pods this scheduler assumed there and has not seen bound yet. Assuming makes the next cycle
// see a decision at once, while the bind is still on its way (upstream's assumed pods).
type schedulerCache struct {
	mu    sync.Mutex
	nodes map[string]*nodeInfo // nodes with a Node object, or with pods bound to their name
	pods  map[types.UID]*cachedPod
	// names are the nodes with a Node object, sorted.
	names []string
}

type cachedPod struct {
	info    *podInfo
	node    string
	assumed bool
}

func newSchedulerCache() *schedulerCache {
	return &schedulerCache{nodes: map[string]*nodeInfo{}, pods: map[types.UID]*cachedPod{}}
}

// assumePod places pi (already carrying spec.nodeName) on its node until the informer shows
// the bound pod or forgetPod takes it back.
func (c *schedulerCache) assumePod(pi *podInfo) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid := pi.pod.UID
	if _, ok := c.pods[uid]; ok {
		return fmt.Errorf("pod %s/%s is already in the cache", pi.pod.Namespace, pi.pod.Name)
	}
	c.place(pi, true)
	return nil
}

// forgetPod drops an assumption whose bind failed. A pod the informer has since shown bound
// stays.
func (c *schedulerCache) forgetPod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp, ok := c.pods[uid]; ok && cp.assumed {
		c.unplace(uid)
	}
}

// setPod records a bound pod as the informer shows it; it replaces an assumed version of the
// same pod (wherever the pod really went). A finished pod holds nothing on its node and is
// dropped, as upstream's scheduler does not see terminal pods.
func (c *schedulerCache) setPod(pod *corev1.Pod) {
	if podFinished(pod) {
		c.removePod(pod.UID)
		return
	}
	pi := newPodInfo(pod)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unplace(pod.UID)
	c.place(pi, false)
}

// removePod forgets a pod that was deleted, finished or is no longer bound.
func (c *schedulerCache) removePod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unplace(uid)
}

func (c *schedulerCache) place(pi *podInfo, assumed bool) {
	name := pi.pod.Spec.NodeName
	n, ok := c.nodes[name]
	if !ok {
		n = &nodeInfo{}
	}
	c.nodes[name] = n.withPod(pi)
	c.pods[pi.pod.UID] = &cachedPod{info: pi, node: name, assumed: assumed}
}

func (c *schedulerCache) unplace(uid types.UID) {
	cp, ok := c.pods[uid]
	if !ok {
		return
	}
	delete(c.pods, uid)
	n, ok := c.nodes[cp.node]
	if !ok {
		return
	}
	n, _ = n.withoutPod(uid)
	if n.node == nil && len(n.pods) == 0 {
		delete(c.nodes, cp.node)
		return
	}
	c.nodes[cp.node] = n
}

// setNode records a Node object, new or changed.
func (c *schedulerCache) setNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[node.Name]
	if !ok {
		n = &nodeInfo{}
	}
	if n.node == nil {
		i, _ := slices.BinarySearch(c.names, node.Name)
		c.names = slices.Insert(c.names, i, node.Name)
	}
	c.nodes[node.Name] = n.withNode(node)
}

// removeNode forgets a Node object; pods still bound to it keep their place until they go.
func (c *schedulerCache) removeNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok || n.node == nil {
		return
	}
	if i, found := slices.BinarySearch(c.names, name); found {
		c.names = slices.Delete(c.names, i, i+1)
	}
	if len(n.pods) == 0 {
		delete(c.nodes, name)
		return
	}
	c.nodes[name] = n.withNode(nil)
}

// isAssumed reports whether the pod is placed by this scheduler and not yet seen bound.
func (c *schedulerCache) isAssumed(uid types.UID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.pods[uid]
	return ok && cp.assumed
}

// nodeInfos returns the existing nodes, by name. The node infos are immutable, so the slice
// is a consistent snapshot however the cache changes afterwards.
func (c *schedulerCache) nodeInfos() []*nodeInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*nodeInfo, len(c.names))
	for i, name := range c.names {
		out[i] = c.nodes[name]
	}
	return out
}
