package replicaset

import (
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// podControllerUIDIndex indexes pods by the UID of their controller, and orphans under
// orphanPodIndexKey(namespace), so a sync reads only the pods it may claim instead of
// the whole namespace.
const podControllerUIDIndex = "replicaset.ordinal.dev/pod-controller-uid"

// orphanPodIndexKey cannot collide with a UID: UIDs have no "/".
func orphanPodIndexKey(namespace string) string { return "orphan/" + namespace }

func podControllerUIDIndexFunc(obj any) ([]string, error) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return []string{orphanPodIndexKey(pod.Namespace)}, nil
}

// addPodControllerUIDIndex adds the index to the pod informer unless a controller
// sharing the informer already did. It must run before the informer starts.
func addPodControllerUIDIndex(informer cache.SharedIndexInformer) error {
	if _, ok := informer.GetIndexer().GetIndexers()[podControllerUIDIndex]; ok {
		return nil
	}
	return informer.AddIndexers(cache.Indexers{podControllerUIDIndex: podControllerUIDIndexFunc})
}

// podsByOwner returns the pods in the owner's namespace controlled by uid and, when
// withOrphans, the orphans of that namespace.
func podsByOwner(indexer cache.Indexer, namespace, uid string, withOrphans bool) ([]*v1.Pod, error) {
	keys := []string{uid}
	if withOrphans {
		keys = append(keys, orphanPodIndexKey(namespace))
	}
	var out []*v1.Pod
	for _, key := range keys {
		objs, err := indexer.ByIndex(podControllerUIDIndex, key)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			if pod, ok := obj.(*v1.Pod); ok && pod.Namespace == namespace {
				out = append(out, pod)
			}
		}
	}
	return out, nil
}
