package scheduler

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// nominator remembers the pending pods preemption nominated to a node (status
// nominatedNodeName), so that lower-priority pods do not take the room made for them.
type nominator struct {
	mu   sync.Mutex
	pods map[types.UID]nominatedPod
}

func newNominator() *nominator { return &nominator{pods: map[types.UID]nominatedPod{}} }

// set records (or with node "" forgets) the nomination of a pending pod.
func (n *nominator) set(pi *podInfo, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if node == "" {
		delete(n.pods, pi.pod.UID)
		return
	}
	n.pods[pi.pod.UID] = nominatedPod{pod: pi, node: node}
}

// observe follows a pending pod as the informer shows it.
func (n *nominator) observe(pod *corev1.Pod) {
	if pod.Status.NominatedNodeName == "" {
		n.remove(pod.UID)
		return
	}
	n.set(newPodInfo(pod), pod.Status.NominatedNodeName)
}

func (n *nominator) remove(uid types.UID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.pods, uid)
}

func (n *nominator) list() []nominatedPod {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.pods) == 0 {
		return nil
	}
	out := make([]nominatedPod, 0, len(n.pods))
	for _, np := range n.pods {
		out = append(out, np)
	}
	return out
}
