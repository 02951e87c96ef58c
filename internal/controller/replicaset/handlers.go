package replicaset

import (
	"log/slog"
	"reflect"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// The informer handlers only enqueue owner keys and settle expectations; all decisions
// are made in sync.

func (c *Controller) addOwner(obj any) {
	if rs, ok := c.kind.convert(obj); ok {
		c.enqueue(rs)
	}
}

func (c *Controller) updateOwner(old, cur any) {
	oldRS, ok1 := c.kind.convert(old)
	curRS, ok2 := c.kind.convert(cur)
	if !ok1 || !ok2 {
		return
	}
	if oldRS.UID != curRS.UID {
		// Deleted and recreated under the same name between two events.
		c.deleteOwner(cache.DeletedFinalStateUnknown{Key: oldRS.Namespace + "/" + oldRS.Name, Obj: old})
	}
	c.enqueue(curRS)
}

func (c *Controller) deleteOwner(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	rs, ok := c.kind.convert(obj)
	if !ok {
		return
	}
	c.expectations.forget(rs.Namespace + "/" + rs.Name)
	c.enqueue(rs)
}

// resolveControllerRef returns the owner ref points to, if it is one of ours and still
// the same object (same UID).
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *apps.ReplicaSet {
	if ref.Kind != c.kind.gvk.Kind {
		return nil
	}
	rs, err := c.kind.get(namespace, ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// ownersSelecting returns the owners whose selector selects the orphan pod: they may
// want to adopt it.
func (c *Controller) ownersSelecting(pod *v1.Pod) []*apps.ReplicaSet {
	all, err := c.kind.list(pod.Namespace)
	if err != nil {
		return nil
	}
	var out []*apps.ReplicaSet
	for _, rs := range all {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		out = append(out, rs)
	}
	if len(out) > 1 {
		slog.Info("more than one "+c.kind.gvk.Kind+" selects a pod", "pod", pod.Namespace+"/"+pod.Name, "labels", pod.Labels)
	}
	return out
}

func (c *Controller) addPod(obj any) {
	pod := obj.(*v1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time already terminating (e.g. after a restart).
		c.deletePod(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		rs := c.resolveControllerRef(pod.Namespace, ref)
		if rs == nil {
			return
		}
		c.expectations.creationObserved(rs.Namespace + "/" + rs.Name)
		c.enqueue(rs)
		return
	}
	for _, rs := range c.ownersSelecting(pod) {
		c.enqueue(rs)
	}
}

func (c *Controller) updatePod(old, cur any) {
	oldPod, curPod := old.(*v1.Pod), cur.(*v1.Pod)
	if oldPod.ResourceVersion == curPod.ResourceVersion {
		return
	}
	labelChanged := !reflect.DeepEqual(oldPod.Labels, curPod.Labels)
	if curPod.DeletionTimestamp != nil {
		// A graceful deletion starts: the owner replaces the pod now rather than when the
		// node agent finally removes it.
		c.deletePod(curPod)
		if labelChanged {
			c.deletePod(oldPod)
		}
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(curPod), metav1.GetControllerOfNoCopy(oldPod)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if rs := c.resolveControllerRef(oldPod.Namespace, oldRef); rs != nil {
			c.enqueue(rs)
		}
	}
	if curRef != nil {
		rs := c.resolveControllerRef(curPod.Namespace, curRef)
		if rs == nil {
			return
		}
		c.enqueue(rs)
		// No event fires when a pod becomes available, so look again once it should be
		// (a second later, against clock skew in AddAfter).
		if !IsPodReady(oldPod) && IsPodReady(curPod) && rs.Spec.MinReadySeconds > 0 {
			c.enqueueAfter(rs, time.Duration(rs.Spec.MinReadySeconds)*time.Second+time.Second)
		}
		return
	}
	if labelChanged || refChanged {
		for _, rs := range c.ownersSelecting(curPod) {
			c.enqueue(rs)
		}
	}
}

func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		return
	}
	rs := c.resolveControllerRef(pod.Namespace, ref)
	if rs == nil {
		return
	}
	c.expectations.deletionObserved(rs.Namespace+"/"+rs.Name, podKey(pod))
	c.enqueue(rs)
}
