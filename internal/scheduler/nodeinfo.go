package scheduler

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podInfo is a pod with what the plugins need from it worked out once, when the cache or the
// queue first sees it. It is never changed afterwards.
type podInfo struct {
	pod      *corev1.Pod
	requests resources // what NodeResourcesFit checks
	nonZero  resources // requests with upstream's defaults for missing cpu/memory (scoring)
	priority int32

	requiredAffinity      []affinityTerm
	requiredAntiAffinity  []affinityTerm
	preferredAffinity     []weightedAffinityTerm
	preferredAntiAffinity []weightedAffinityTerm

	// controller is the UID of the pod's controlling owner; pods of one owner are spread.
	controller types.UID
	// claims are the names of the PersistentVolumeClaims the pod uses (its namespace).
	claims []string
	// hostPorts are the ports the pod takes on its node.
	hostPorts []hostPort
}

func newPodInfo(pod *corev1.Pod) *podInfo {
	pi := &podInfo{
		pod:      pod,
		requests: podRequests(pod, false),
		nonZero:  podRequests(pod, true),
		priority: podPriority(pod),
	}
	if a := pod.Spec.Affinity; a != nil {
		if pa := a.PodAffinity; pa != nil {
			pi.requiredAffinity = newAffinityTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution)
			pi.preferredAffinity = newWeightedAffinityTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
		if paa := a.PodAntiAffinity; paa != nil {
			pi.requiredAntiAffinity = newAffinityTerms(pod, paa.RequiredDuringSchedulingIgnoredDuringExecution)
			pi.preferredAntiAffinity = newWeightedAffinityTerms(pod, paa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		pi.controller = ref.UID
	}
	for i := range pod.Spec.Volumes {
		if name, ok := claimName(pod, &pod.Spec.Volumes[i]); ok {
			pi.claims = append(pi.claims, name)
		}
	}
	pi.hostPorts = podHostPorts(pod)
	return pi
}

// hasAffinity reports whether the pod carries any pod affinity or anti-affinity term, which
// existing pods' terms are checked against incoming pods for.
func (pi *podInfo) hasAffinity() bool {
	return len(pi.requiredAffinity)+len(pi.requiredAntiAffinity)+len(pi.preferredAffinity)+len(pi.preferredAntiAffinity) > 0
}

func podPriority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// claimName is the claim a volume uses: its persistentVolumeClaim, or for a generic ephemeral
// volume the claim the ephemeral volume controller creates, named <pod>-<volume>.
func claimName(pod *corev1.Pod, v *corev1.Volume) (string, bool) {
	switch {
	case v.PersistentVolumeClaim != nil:
		return v.PersistentVolumeClaim.ClaimName, true
	case v.Ephemeral != nil:
		return pod.Name + "-" + v.Name, true
	}
	return "", false
}

// nodeInfo is one node and what is placed on it. It is immutable: changes return a new
// nodeInfo, so a snapshot can share it with the cache while the cache moves on.
type nodeInfo struct {
	// node is nil while pods are bound to a node the cache has not seen (yet).
	node *corev1.Node

	pods []*podInfo
	// podsWithAffinity and podsWithRequiredAntiAffinity are the subsets of pods the inter-pod
	// affinity plugin walks for every incoming pod.
	podsWithAffinity             []*podInfo
	podsWithRequiredAntiAffinity []*podInfo

	requested        resources
	nonZeroRequested resources
	allocatable      resources
	allowedPods      int
}

func (n *nodeInfo) name() string {
	if n.node == nil {
		return ""
	}
	return n.node.Name
}

// withNode returns n for a new version of the Node object.
func (n *nodeInfo) withNode(node *corev1.Node) *nodeInfo {
	c := *n
	c.node = node
	c.allocatable, c.allowedPods = resources{}, 0
	if node != nil {
		c.allocatable = resourcesFromList(node.Status.Allocatable)
		if q, ok := node.Status.Allocatable[corev1.ResourcePods]; ok {
			c.allowedPods = int(q.Value())
		}
	}
	return &c
}

// withPod returns n with pi placed on it.
func (n *nodeInfo) withPod(pi *podInfo) *nodeInfo {
	c := *n
	c.pods = append(slices.Clip(n.pods), pi)
	if pi.hasAffinity() {
		c.podsWithAffinity = append(slices.Clip(n.podsWithAffinity), pi)
	}
	if len(pi.requiredAntiAffinity) > 0 {
		c.podsWithRequiredAntiAffinity = append(slices.Clip(n.podsWithRequiredAntiAffinity), pi)
	}
	c.requested = n.requested.clone()
	c.requested.add(pi.requests)
	c.nonZeroRequested = n.nonZeroRequested.clone()
	c.nonZeroRequested.add(pi.nonZero)
	return &c
}

// withoutPod returns n without the pod with uid, and whether it was there.
func (n *nodeInfo) withoutPod(uid types.UID) (*nodeInfo, bool) {
	i := slices.IndexFunc(n.pods, func(p *podInfo) bool { return p.pod.UID == uid })
	if i < 0 {
		return n, false
	}
	pi := n.pods[i]
	c := *n
	c.pods = slices.Delete(slices.Clone(n.pods), i, i+1)
	notIt := func(p *podInfo) bool { return p.pod.UID != uid }
	if pi.hasAffinity() {
		c.podsWithAffinity = filterPods(n.podsWithAffinity, notIt)
	}
	if len(pi.requiredAntiAffinity) > 0 {
		c.podsWithRequiredAntiAffinity = filterPods(n.podsWithRequiredAntiAffinity, notIt)
	}
	c.requested = n.requested.clone()
	c.requested.sub(pi.requests)
	c.nonZeroRequested = n.nonZeroRequested.clone()
	c.nonZeroRequested.sub(pi.nonZero)
	return &c, true
}

func filterPods(pods []*podInfo, keep func(*podInfo) bool) []*podInfo {
	var out []*podInfo
	for _, p := range pods {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}
