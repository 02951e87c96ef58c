package deployment

import (
	"log/slog"
	"reflect"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// The informer handlers only enqueue Deployment keys; sync decides.

func (c *Controller) addDeployment(obj any) { c.enqueue(obj.(*apps.Deployment)) }

func (c *Controller) updateDeployment(_, cur any) { c.enqueue(cur.(*apps.Deployment)) }

func (c *Controller) deleteDeployment(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	if d, ok := obj.(*apps.Deployment); ok {
		c.enqueue(d)
	}
}

// resolveControllerRef returns the Deployment ref points to, if it still exists with
// that UID.
func (c *Controller) resolveControllerRef(namespace string, ref *metav1.OwnerReference) *apps.Deployment {
	if ref.Kind != controllerKind.Kind {
		return nil
	}
	d, err := c.dLister.Deployments(namespace).Get(ref.Name)
	if err != nil || d.UID != ref.UID {
		return nil
	}
	return d
}

// deploymentsSelecting returns the Deployments whose selector selects the orphan rs;
// they may want to adopt it.
func (c *Controller) deploymentsSelecting(rs *apps.ReplicaSet) []*apps.Deployment {
	all, err := c.dLister.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil || len(rs.Labels) == 0 {
		return nil
	}
	var out []*apps.Deployment
	for _, d := range all {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(rs.Labels)) {
			continue
		}
		out = append(out, d)
	}
	if len(out) > 1 {
		slog.Info("more than one deployment selects a replica set", "replicaSet", rs.Namespace+"/"+rs.Name, "labels", rs.Labels)
	}
	return out
}

func (c *Controller) addReplicaSet(obj any) {
	rs := obj.(*apps.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		c.deleteReplicaSet(rs)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
		return
	}
	for _, d := range c.deploymentsSelecting(rs) {
		c.enqueue(d)
	}
}

func (c *Controller) updateReplicaSet(old, cur any) {
	oldRS, curRS := old.(*apps.ReplicaSet), cur.(*apps.ReplicaSet)
	if oldRS.ResourceVersion == curRS.ResourceVersion {
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(curRS), metav1.GetControllerOfNoCopy(oldRS)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if d := c.resolveControllerRef(oldRS.Namespace, oldRef); d != nil {
			c.enqueue(d)
		}
	}
	if curRef != nil {
		if d := c.resolveControllerRef(curRS.Namespace, curRef); d != nil {
			c.enqueue(d)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(curRS.Labels, oldRS.Labels) {
		for _, d := range c.deploymentsSelecting(curRS) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) deleteReplicaSet(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	rs, ok := obj.(*apps.ReplicaSet)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
	}
}

// deletePod wakes a Recreate Deployment when its last pod is gone: it waits for no old
// pod to run before scaling up, and a pod's removal changes no ReplicaSet.
func (c *Controller) deletePod(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	d := c.deploymentForPod(pod)
	if d == nil || d.Spec.Strategy.Type != apps.RecreateDeploymentStrategyType {
		return
	}
	rsList, err := c.rsLister.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	var owned []*apps.ReplicaSet
	for _, rs := range rsList {
		if metav1.IsControlledBy(rs, d) {
			owned = append(owned, rs)
		}
	}
	podMap, err := c.getPodMapForDeployment(d, owned)
	if err != nil {
		return
	}
	for _, pods := range podMap {
		if len(pods) > 0 {
			return
		}
	}
	c.enqueue(d)
}

// deploymentForPod follows the pod's controller (a ReplicaSet) to its Deployment.
func (c *Controller) deploymentForPod(pod *v1.Pod) *apps.Deployment {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return nil
	}
	rs, err := c.rsLister.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return nil
	}
	dRef := metav1.GetControllerOfNoCopy(rs)
	if dRef == nil {
		return nil
	}
	return c.resolveControllerRef(rs.Namespace, dRef)
}
