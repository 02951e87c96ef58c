package daemonset

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Event reasons, as upstream.
const (
	reasonFailedDaemonPod    = "FailedDaemonPod"
	reasonSucceededDaemonPod = "SucceededDaemonPod"
	reasonSelectingAll       = "SelectingAll"
	reasonSuccessfulCreate   = "SuccessfulCreate"
	reasonSuccessfulDelete   = "SuccessfulDelete"
	reasonFailedCreate       = "FailedCreate"
	reasonFailedDelete       = "FailedDelete"
)

// syncInput is everything one sync of a DaemonSet decides from.
type syncInput struct {
	DS    *appsv1.DaemonSet
	Nodes []*corev1.Node
	// NodeToPods holds the DaemonSet's pods by target node, without deleted pods that
	// already finished (they only wait for their finalizers or the kubelet).
	NodeToPods map[string][]*corev1.Pod
	// Hash is the current revision's hash.
	Hash string
	Now  time.Time
	// Backoff is the failed-pod back-off of this DaemonSet (at its observed generation) by node.
	Backoff map[string]backoffEntry
}

// syncPlan is what one sync does: pod creations and deletions, events, and when to look again.
type syncPlan struct {
	// Create lists the nodes that get a new daemon pod.
	Create []string
	// Delete lists pods to delete gracefully.
	Delete []*corev1.Pod
	// DeleteNow lists pods bound to nodes that no longer exist: no kubelet will ever confirm
	// their termination, so they are deleted at once (upstream's pod GC does this).
	DeleteNow []*corev1.Pod
	// BackoffNodes are the nodes whose failed pod is deleted now: their back-off grows.
	BackoffNodes []string
	Events       []event
	// RequeueAfter > 0 asks for another sync then (back-off expiry, minReadySeconds).
	RequeueAfter time.Duration
}

type event struct{ Type, Reason, Message string }

func (p *syncPlan) requeue(d time.Duration) {
	if d <= 0 {
		d = time.Millisecond
	}
	if p.RequeueAfter == 0 || d < p.RequeueAfter {
		p.RequeueAfter = d
	}
}

func (p *syncPlan) empty() bool {
	return len(p.Create) == 0 && len(p.Delete) == 0 && len(p.DeleteNow) == 0
}

// plan decides one sync: first make every node run exactly what it should (manage); only
// when that needs nothing, advance a rolling update.
func plan(in syncInput) syncPlan {
	p := manage(in)
	if p.empty() && in.DS.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		ru := rollingUpdate(in)
		p.Create, p.Delete = ru.Create, ru.Delete
		if ru.RequeueAfter > 0 {
			p.requeue(ru.RequeueAfter)
		}
	}
	// Nothing announces that a pod has been ready for minReadySeconds: look again then.
	if m := in.DS.Spec.MinReadySeconds; m > 0 {
		for _, pods := range in.NodeToPods {
			for _, pod := range pods {
				if isPodReady(pod) && !isPodAvailable(pod, m, in.Now) {
					p.requeue(availableAt(pod, m).Sub(in.Now) + time.Second)
				}
			}
		}
	}
	return p
}

// manage creates missing daemon pods and deletes the ones that should not be there:
// on nodes that should not run them, duplicates, finished pods (failed ones under a
// per-node back-off), and pods of nodes that are gone.
func manage(in syncInput) syncPlan {
	var p syncPlan
	known := map[string]bool{}
	surge := allowsSurge(in.DS)
	for _, node := range in.Nodes {
		known[node.Name] = true
		shouldRun, shouldContinueRunning := nodeShouldRunDaemonPod(node, in.DS)
		pods, exists := in.NodeToPods[node.Name]
		exists = exists && len(pods) > 0
		switch {
		case shouldRun && !exists:
			p.Create = append(p.Create, node.Name)
		case shouldContinueRunning:
			var running []*corev1.Pod
			backedOff := false
			for _, pod := range pods {
				switch {
				case pod.DeletionTimestamp != nil:
				case pod.Status.Phase == corev1.PodFailed:
					// The kubelet may keep rejecting the pod: back off per node instead of
					// fighting it in a hot loop.
					if e, ok := in.Backoff[node.Name]; backedOff || (ok && in.Now.Sub(e.LastUpdate) < e.Delay) {
						if ok {
							p.requeue(e.LastUpdate.Add(e.Delay).Sub(in.Now))
						}
						continue
					}
					backedOff = true
					p.BackoffNodes = append(p.BackoffNodes, node.Name)
					p.Events = append(p.Events, event{corev1.EventTypeWarning, reasonFailedDaemonPod,
						fmt.Sprintf("Found failed daemon pod %s/%s on node %s, will try to kill it", pod.Namespace, pod.Name, node.Name)})
					p.Delete = append(p.Delete, pod)
				case pod.Status.Phase == corev1.PodSucceeded:
					p.Events = append(p.Events, event{corev1.EventTypeNormal, reasonSucceededDaemonPod,
						fmt.Sprintf("Found succeeded daemon pod %s/%s on node %s, will try to delete it", pod.Namespace, pod.Name, node.Name)})
					p.Delete = append(p.Delete, pod)
				default:
					running = append(running, pod)
				}
			}
			p.Delete = append(p.Delete, excessPods(in, node.Name, running, shouldRun, surge, &p)...)
		case !shouldContinueRunning && exists:
			for _, pod := range pods {
				if pod.DeletionTimestamp == nil {
					p.Delete = append(p.Delete, pod)
				}
			}
		}
	}
	for _, name := range sortedKeys(in.NodeToPods) {
		if known[name] {
			continue
		}
		for _, pod := range in.NodeToPods[name] {
			switch {
			case pod.Spec.NodeName == "":
				// Never scheduled, and never will be: the node is gone.
				p.Delete = append(p.Delete, pod)
			case pod.DeletionTimestamp == nil || (pod.DeletionGracePeriodSeconds != nil && *pod.DeletionGracePeriodSeconds > 0):
				p.DeleteNow = append(p.DeleteNow, pod)
			}
		}
	}
	return p
}

// excessPods picks what to delete among the running (not deleted, not finished) pods of a
// node. Without surge only the oldest stays. With surge a node may hold one old and one new
// pod while the new one becomes available; then the old one goes.
func excessPods(in syncInput, node string, running []*corev1.Pod, shouldRun, surge bool, p *syncPlan) []*corev1.Pod {
	if len(running) == 0 {
		if surge && shouldRun {
			// Surging: the node needs at least one pod that is not going away.
			p.Create = append(p.Create, node)
		}
		return nil
	}
	sortOldestFirst(running)
	if !surge {
		return running[1:]
	}
	if len(running) == 1 {
		return nil
	}
	var del []*corev1.Pod
	var oldestNew, oldestOld *corev1.Pod
	for _, pod := range running {
		if isPodUpdated(pod, in.Hash) {
			if oldestNew == nil {
				oldestNew = pod
				continue
			}
		} else if oldestOld == nil {
			oldestOld = pod
			continue
		}
		del = append(del, pod)
	}
	if oldestNew != nil && oldestOld != nil {
		switch {
		case !isPodReady(oldestOld):
			del = append(del, oldestOld)
		case isPodAvailable(oldestNew, in.DS.Spec.MinReadySeconds, in.Now):
			del = append(del, oldestOld)
		}
	}
	return del
}

func sortedKeys(m map[string][]*corev1.Pod) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// allowsSurge: the DaemonSet may run an old and a new pod side by side on a node.
func allowsSurge(ds *appsv1.DaemonSet) bool {
	return surgeCount(ds, 1) > 0
}

func surgeCount(ds *appsv1.DaemonSet, desired int) int {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || r == nil || r.MaxSurge == nil {
		return 0
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(r.MaxSurge, desired, true)
	if err != nil {
		return 0
	}
	return n
}

func unavailableCount(ds *appsv1.DaemonSet, desired int) int {
	r := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || r == nil {
		return 0
	}
	v := r.MaxUnavailable
	if v == nil {
		one := intstr.FromInt32(1)
		v = &one
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, desired, true)
	if err != nil {
		return 0
	}
	return n
}
