package replicaset

import (
	"context"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// kind is the API kind a Controller manages. The controller works on apps/v1
// ReplicaSets; a v1 ReplicationController is converted to one on the way in and back on
// the way out, as upstream's replication manager does.
type kind struct {
	gvk schema.GroupVersionKind
	// name names the work queue; component is the event source.
	name, component string
	informer        cache.SharedIndexInformer
	// get and list read the informer cache.
	get  func(ns, name string) (*apps.ReplicaSet, error)
	list func(ns string) ([]*apps.ReplicaSet, error)
	// convert turns an informer object into a ReplicaSet.
	convert func(obj any) (*apps.ReplicaSet, bool)
	// getLive reads the object from the API, bypassing the cache.
	getLive func(ctx context.Context, ns, name string) (*apps.ReplicaSet, error)
	// updateStatus writes rs.Status through the status subresource.
	updateStatus func(ctx context.Context, rs *apps.ReplicaSet) (*apps.ReplicaSet, error)
	// object is the API object events are recorded on.
	object func(rs *apps.ReplicaSet) runtime.Object
}

func replicaSetKind(client kubernetes.Interface, informer appsinformers.ReplicaSetInformer) *kind {
	lister := informer.Lister()
	return &kind{
		gvk:       apps.SchemeGroupVersion.WithKind("ReplicaSet"),
		name:      "replicaset",
		component: "replicaset-controller",
		informer:  informer.Informer(),
		get:       func(ns, name string) (*apps.ReplicaSet, error) { return lister.ReplicaSets(ns).Get(name) },
		list: func(ns string) ([]*apps.ReplicaSet, error) {
			return lister.ReplicaSets(ns).List(labels.Everything())
		},
		convert: func(obj any) (*apps.ReplicaSet, bool) {
			rs, ok := obj.(*apps.ReplicaSet)
			return rs, ok
		},
		getLive: func(ctx context.Context, ns, name string) (*apps.ReplicaSet, error) {
			return client.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		},
		updateStatus: func(ctx context.Context, rs *apps.ReplicaSet) (*apps.ReplicaSet, error) {
			return client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
		},
		object: func(rs *apps.ReplicaSet) runtime.Object { return rs },
	}
}

func replicationControllerKind(client kubernetes.Interface, informer coreinformers.ReplicationControllerInformer) *kind {
	lister := informer.Lister()
	return &kind{
		gvk:       v1.SchemeGroupVersion.WithKind("ReplicationController"),
		name:      "replicationmanager",
		component: "replication-controller",
		informer:  informer.Informer(),
		get: func(ns, name string) (*apps.ReplicaSet, error) {
			rc, err := lister.ReplicationControllers(ns).Get(name)
			if err != nil {
				return nil, err
			}
			return replicaSetFromRC(rc), nil
		},
		list: func(ns string) ([]*apps.ReplicaSet, error) {
			rcs, err := lister.ReplicationControllers(ns).List(labels.Everything())
			out := make([]*apps.ReplicaSet, 0, len(rcs))
			for _, rc := range rcs {
				out = append(out, replicaSetFromRC(rc))
			}
			return out, err
		},
		convert: func(obj any) (*apps.ReplicaSet, bool) {
			rc, ok := obj.(*v1.ReplicationController)
			if !ok {
				return nil, false
			}
			return replicaSetFromRC(rc), true
		},
		getLive: func(ctx context.Context, ns, name string) (*apps.ReplicaSet, error) {
			rc, err := client.CoreV1().ReplicationControllers(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return replicaSetFromRC(rc), nil
		},
		updateStatus: func(ctx context.Context, rs *apps.ReplicaSet) (*apps.ReplicaSet, error) {
			rc, err := client.CoreV1().ReplicationControllers(rs.Namespace).UpdateStatus(ctx, rcFromReplicaSet(rs), metav1.UpdateOptions{})
			if err != nil {
				return nil, err
			}
			return replicaSetFromRC(rc), nil
		},
		object: func(rs *apps.ReplicaSet) runtime.Object { return rcFromReplicaSet(rs) },
	}
}

// replicaSetFromRC converts a ReplicationController (its map selector becomes
// matchLabels). The result shares nothing with rc.
func replicaSetFromRC(rc *v1.ReplicationController) *apps.ReplicaSet {
	rc = rc.DeepCopy()
	rs := &apps.ReplicaSet{
		ObjectMeta: rc.ObjectMeta,
		Spec: apps.ReplicaSetSpec{
			Replicas:        rc.Spec.Replicas,
			MinReadySeconds: rc.Spec.MinReadySeconds,
		},
		Status: apps.ReplicaSetStatus{
			Replicas:             rc.Status.Replicas,
			FullyLabeledReplicas: rc.Status.FullyLabeledReplicas,
			ReadyReplicas:        rc.Status.ReadyReplicas,
			AvailableReplicas:    rc.Status.AvailableReplicas,
			ObservedGeneration:   rc.Status.ObservedGeneration,
		},
	}
	if rc.Spec.Selector != nil {
		rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: rc.Spec.Selector}
	}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template
	}
	for _, c := range rc.Status.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, apps.ReplicaSetCondition{
			Type: apps.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rs
}

// rcFromReplicaSet converts back what replicaSetFromRC produced.
func rcFromReplicaSet(rs *apps.ReplicaSet) *v1.ReplicationController {
	rs = rs.DeepCopy()
	rc := &v1.ReplicationController{
		ObjectMeta: rs.ObjectMeta,
		Spec: v1.ReplicationControllerSpec{
			Replicas:        rs.Spec.Replicas,
			MinReadySeconds: rs.Spec.MinReadySeconds,
			Template:        &rs.Spec.Template,
		},
		Status: v1.ReplicationControllerStatus{
			Replicas:             rs.Status.Replicas,
			FullyLabeledReplicas: rs.Status.FullyLabeledReplicas,
			ReadyReplicas:        rs.Status.ReadyReplicas,
			AvailableReplicas:    rs.Status.AvailableReplicas,
			ObservedGeneration:   rs.Status.ObservedGeneration,
		},
	}
	if rs.Spec.Selector != nil {
		rc.Spec.Selector = rs.Spec.Selector.MatchLabels
	}
	for _, c := range rs.Status.Conditions {
		rc.Status.Conditions = append(rc.Status.Conditions, v1.ReplicationControllerCondition{
			Type: v1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return rc
}
