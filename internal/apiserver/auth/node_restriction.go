package auth

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
	volumectl "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/registry"
)

// nodeRestrictionLabelPrefix marks labels that only an administrator may put on a Node, so
// that workloads can be kept to nodes whose identity was vouched for.
const nodeRestrictionLabelPrefix = "node-restriction.kubernetes.io/"

// NodeRestriction returns the admission check for the writes of u, as upstream's
// NodeRestriction plugin: a node may create and change only its own Node (without setting
// node-restriction labels or changing its taints) and Lease, and update the status of and
// delete only the pods bound to it. Users other than nodes are not restricted (nil).
func NodeRestriction(u *user.Info) registry.AdmitFunc {
	node, ok := u.NodeName()
	if !ok {
		return nil
	}
	return func(_ context.Context, a registry.AdmissionAttributes) error {
		var err error
		switch res := a.Resource; {
		case res.Group == "" && res.Name == "nodes":
			err = admitNode(node, a)
		case res.Group == "coordination.k8s.io" && res.Name == "leases" && a.Operation == registry.OperationCreate:
			if a.Object.(*coordinationv1.Lease).Name != node {
				err = fmt.Errorf("can only access node lease with the same name as the requesting node")
			}
		case res.Group == "" && res.Name == "pods":
			err = admitPod(node, a)
		case res.Group == "" && res.Name == "persistentvolumes":
			err = admitVolume(node, a)
		}
		if err != nil {
			return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, err)
		}
		return nil
	}
}

func admitNode(node string, a registry.AdmissionAttributes) error {
	switch a.Operation {
	case registry.OperationCreate:
		obj := a.Object.(*corev1.Node)
		if obj.Name != node {
			return fmt.Errorf("node %q is not allowed to modify node %q", node, obj.Name)
		}
		if forbidden := restrictedLabels(obj.Labels, nil); len(forbidden) > 0 {
			return fmt.Errorf("node %q is not allowed to set the following labels: %s", node, strings.Join(forbidden, ", "))
		}
	case registry.OperationUpdate:
		if a.Name != node {
			return fmt.Errorf("node %q is not allowed to modify node %q", node, a.Name)
		}
		obj, old := a.Object.(*corev1.Node), a.OldObject.(*corev1.Node)
		if forbidden := restrictedLabels(obj.Labels, old.Labels); len(forbidden) > 0 {
			return fmt.Errorf("node %q is not allowed to modify labels: %s", node, strings.Join(forbidden, ", "))
		}
		if !apiequality.Semantic.DeepEqual(obj.Spec.Taints, old.Spec.Taints) {
			return fmt.Errorf("node %q is not allowed to modify taints", node)
		}
	case registry.OperationDelete:
		return fmt.Errorf("node %q is not allowed to delete node %q", node, a.Name)
	}
	return nil
}

// restrictedLabels lists, sorted, the node-restriction labels that labels adds, removes or
// changes compared with old.
func restrictedLabels(labels, old map[string]string) []string {
	changed := map[string]bool{}
	for _, m := range []map[string]string{labels, old} {
		for k := range m {
			if !strings.HasPrefix(k, nodeRestrictionLabelPrefix) {
				continue
			}
			v, ok := labels[k]
			was, had := old[k]
			if ok != had || v != was {
				changed[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(changed))
}

func admitPod(node string, a registry.AdmissionAttributes) error {
	switch {
	case a.Operation == registry.OperationCreate:
		return fmt.Errorf("node %q can not create pods", node)
	case a.Operation == registry.OperationUpdate && a.Subresource == registry.SubresourceStatus:
		if a.OldObject.(*corev1.Pod).Spec.NodeName != node {
			return fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", node)
		}
	case a.Operation == registry.OperationUpdate:
		return fmt.Errorf("node %q can only update pod status", node)
	case a.Operation == registry.OperationDelete:
		if a.OldObject.(*corev1.Pod).Spec.NodeName != node {
			return fmt.Errorf("node %q can only delete pods with spec.nodeName set to itself", node)
		}
	}
	return nil
}

// admitVolume lets a node change (finalizers, as the reclaimer does) and delete only the
// local-path volumes pinned to itself, once their storage is gone from its disk.
func admitVolume(node string, a registry.AdmissionAttributes) error {
	if a.Operation == registry.OperationCreate {
		return fmt.Errorf("node %q can not create persistentvolumes", node)
	}
	pv, ok := a.OldObject.(*corev1.PersistentVolume)
	if !ok || !volumectl.IsLocalVolume(pv) || volumectl.LocalVolumeNode(pv) != node {
		return fmt.Errorf("node %q can only modify local-path persistentvolumes pinned to itself", node)
	}
	return nil
}
