package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"
)

// addEventHandlers keeps the cache (bound pods, nodes) and the queue (pending pods of this
// scheduler) up to date, and wakes unschedulable pods on the events that may help them.
func (s *Scheduler) addEventHandlers(pods, nodes, claims, volumes, classes cache.SharedIndexInformer) {
	pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.onPod(nil, obj.(*corev1.Pod)) },
		UpdateFunc: func(old, obj any) { s.onPod(old.(*corev1.Pod), obj.(*corev1.Pod)) },
		DeleteFunc: func(obj any) {
			if pod := podFromTombstone(obj); pod != nil {
				s.onPodDelete(pod)
			}
		},
	})
	nodes.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			s.cache.setNode(obj.(*corev1.Node))
			s.queue.moveAll(nil)
		},
		UpdateFunc: func(old, obj any) {
			s.cache.setNode(obj.(*corev1.Node))
			if nodeSchedulingChanged(old.(*corev1.Node), obj.(*corev1.Node)) {
				s.queue.moveAll(nil)
			}
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if node, ok := obj.(*corev1.Node); ok {
				s.cache.removeNode(node.Name)
			}
		},
	})
	claims.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { s.queue.moveAll(nil) },
		UpdateFunc: func(_, obj any) {
			s.claims.observed(obj.(*corev1.PersistentVolumeClaim), false)
			s.queue.moveAll(nil)
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if claim, ok := obj.(*corev1.PersistentVolumeClaim); ok {
				s.claims.observed(claim, true)
			}
		},
	})
	wake := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.queue.moveAll(nil) },
		UpdateFunc: func(any, any) { s.queue.moveAll(nil) },
	}
	volumes.AddEventHandler(wake)
	classes.AddEventHandler(wake)
}

// onPod follows a pod added (old nil) or changed. A bound pod belongs in the cache while it
// runs; a pending pod of this scheduler in the queue, unless it is being bound.
func (s *Scheduler) onPod(old, pod *corev1.Pod) {
	if pod.Spec.NodeName != "" {
		s.queue.remove(pod.UID)
		s.nominator.remove(pod.UID)
		s.cache.setPod(pod)
		if podFinished(pod) {
			if old == nil || !podFinished(old) {
				s.queue.moveAll(nil)
			}
			return
		}
		switch {
		case old == nil || old.Spec.NodeName == "":
			// A pod newly placed (by us, already assumed, or by someone else) can only help
			// pods that want to be near it.
			s.queue.moveAll(wantsPodAffinity)
		case !equality.Semantic.DeepEqual(old.Labels, pod.Labels):
			s.queue.moveAll(nil)
		}
		return
	}
	if !s.responsibleFor(pod) || pod.DeletionTimestamp != nil || podFinished(pod) {
		s.queue.remove(pod.UID)
		s.nominator.remove(pod.UID)
		return
	}
	if s.cache.isAssumed(pod.UID) {
		// Placed by this scheduler; the bind is under way.
		return
	}
	if len(pod.Spec.SchedulingGates) > 0 {
		// Gated pods wait outside the queue until their gates are removed.
		s.queue.remove(pod.UID)
		return
	}
	if pod.Status.NominatedNodeName != "" || (old != nil && old.Status.NominatedNodeName != "") {
		s.nominator.observe(pod)
	}
	s.queue.add(pod)
}

func (s *Scheduler) onPodDelete(pod *corev1.Pod) {
	s.queue.remove(pod.UID)
	s.nominator.remove(pod.UID)
	s.cache.removePod(pod.UID)
	if pod.Spec.NodeName != "" {
		s.queue.moveAll(nil)
	}
}

func podFromTombstone(obj any) *corev1.Pod {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, _ := obj.(*corev1.Pod)
	return pod
}

func podFinished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func wantsPodAffinity(pi *podInfo) bool { return len(pi.requiredAffinity) > 0 }

// nodeSchedulingChanged: only what the filters read, not heartbeats.
func nodeSchedulingChanged(old, cur *corev1.Node) bool {
	return old.Spec.Unschedulable != cur.Spec.Unschedulable ||
		!equality.Semantic.DeepEqual(old.Labels, cur.Labels) ||
		!equality.Semantic.DeepEqual(old.Spec.Taints, cur.Spec.Taints) ||
		!equality.Semantic.DeepEqual(old.Status.Allocatable, cur.Status.Allocatable)
}
