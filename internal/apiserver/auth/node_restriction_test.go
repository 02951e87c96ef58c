package auth

import (
	"context"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
	"ordinal.dev/ordinal/internal/registry"
)

func TestNodeRestriction(t *testing.T) {
	resources := map[string]*registry.Resource{}
	for _, r := range registry.All() {
		resources[r.Group+"/"+r.Name] = r
	}
	node := func(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.NodeSpec{Taints: taints}}
	}
	pod := func(nodeName string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: nodeName}}
	}
	lease := func(name string) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-node-lease"}}
	}
	volume := func(nodeName, provisioner string) *corev1.PersistentVolume {
		pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv", Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": provisioner}}}
		if nodeName != "" {
			pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{nodeName}}},
			}}}}
		}
		return pv
	}
	restricted := map[string]string{"node-restriction.kubernetes.io/pool": "gold"}
	taint := corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoSchedule}
	write := func(op registry.Operation, resource, sub, name string, obj, old runtime.Object) registry.AdmissionAttributes {
		return registry.AdmissionAttributes{Operation: op, Resource: resources[resource], Subresource: sub, Name: name, Object: obj, OldObject: old}
	}
	cases := []struct {
		name string
		a    registry.AdmissionAttributes
		want string // "" admitted, else the Forbidden message
	}{
		{"registers itself", write(registry.OperationCreate, "/nodes", "", "n1", node("n1", map[string]string{"kubernetes.io/hostname": "n1"}), nil), ""},
		{"registers another node", write(registry.OperationCreate, "/nodes", "", "n2", node("n2", nil), nil), `nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"`},
		{"registers with a restricted label", write(registry.OperationCreate, "/nodes", "", "n1", node("n1", restricted), nil), `nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/pool`},
		{"updates its labels", write(registry.OperationUpdate, "/nodes", "", "n1", node("n1", map[string]string{"a": "b"}), node("n1", nil)), ""},
		{"keeps a restricted label an admin set", write(registry.OperationUpdate, "/nodes", "", "n1", node("n1", restricted), node("n1", restricted)), ""},
		{"adds a restricted label", write(registry.OperationUpdate, "/nodes", "", "n1", node("n1", restricted), node("n1", nil)), `nodes "n1" is forbidden: node "n1" is not allowed to modify labels: node-restriction.kubernetes.io/pool`},
		{"drops a restricted label", write(registry.OperationUpdate, "/nodes", "", "n1", node("n1", nil), node("n1", restricted)), `nodes "n1" is forbidden: node "n1" is not allowed to modify labels: node-restriction.kubernetes.io/pool`},
		{"removes its taints", write(registry.OperationUpdate, "/nodes", "", "n1", node("n1", nil), node("n1", nil, taint)), `nodes "n1" is forbidden: node "n1" is not allowed to modify taints`},
		{"updates its status", write(registry.OperationUpdate, "/nodes", "status", "n1", node("n1", nil), node("n1", nil)), ""},
		{"updates another node's status", write(registry.OperationUpdate, "/nodes", "status", "n2", node("n2", nil), node("n2", nil)), `nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"`},
		{"deletes itself", write(registry.OperationDelete, "/nodes", "", "n1", nil, node("n1", nil)), `nodes "n1" is forbidden: node "n1" is not allowed to delete node "n1"`},
		{"creates its lease", write(registry.OperationCreate, "coordination.k8s.io/leases", "", "n1", lease("n1"), nil), ""},
		{"creates another node's lease", write(registry.OperationCreate, "coordination.k8s.io/leases", "", "n2", lease("n2"), nil), `leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node`},
		{"updates the status of its pod", write(registry.OperationUpdate, "/pods", "status", "p", pod("n1"), pod("n1")), ""},
		{"updates the status of another node's pod", write(registry.OperationUpdate, "/pods", "status", "p", pod("n2"), pod("n2")), `pods "p" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself`},
		{"updates the status of a pending pod", write(registry.OperationUpdate, "/pods", "status", "p", pod(""), pod("")), `pods "p" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself`},
		{"updates a pod's spec", write(registry.OperationUpdate, "/pods", "", "p", pod("n1"), pod("n1")), `pods "p" is forbidden: node "n1" can only update pod status`},
		{"deletes its pod", write(registry.OperationDelete, "/pods", "", "p", nil, pod("n1")), ""},
		{"deletes another node's pod", write(registry.OperationDelete, "/pods", "", "p", nil, pod("n2")), `pods "p" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself`},
		{"creates a pod", write(registry.OperationCreate, "/pods", "", "p", pod("n1"), nil), `pods "p" is forbidden: node "n1" can not create pods`},
		{"deletes a local-path volume pinned to itself", write(registry.OperationDelete, "/persistentvolumes", "", "pv", nil, volume("n1", "ordinal.dev/local-path")), ""},
		{"updates a local-path volume pinned to itself", write(registry.OperationUpdate, "/persistentvolumes", "", "pv", volume("n1", "ordinal.dev/local-path"), volume("n1", "ordinal.dev/local-path")), ""},
		{"deletes another node's local-path volume", write(registry.OperationDelete, "/persistentvolumes", "", "pv", nil, volume("n2", "ordinal.dev/local-path")), `persistentvolumes "pv" is forbidden: node "n1" can only modify local-path persistentvolumes pinned to itself`},
		{"deletes a shared volume", write(registry.OperationDelete, "/persistentvolumes", "", "pv", nil, volume("", "ordinal.dev/shared-path")), `persistentvolumes "pv" is forbidden: node "n1" can only modify local-path persistentvolumes pinned to itself`},
		{"creates a volume", write(registry.OperationCreate, "/persistentvolumes", "", "pv", volume("n1", "ordinal.dev/local-path"), nil), `persistentvolumes "pv" is forbidden: node "n1" can not create persistentvolumes`},
		{"records an event", write(registry.OperationCreate, "/events", "", "e", &corev1.Event{}, nil), ""},
	}
	admit := NodeRestriction(node1)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := admit(context.Background(), tc.a)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!apierrors.IsForbidden(err) || err.Error() != tc.want):
				t.Fatalf("err = %v\nwant Forbidden %q", err, tc.want)
			}
		})
	}
}

func TestNodeRestrictionLeavesOthersAlone(t *testing.T) {
	for _, u := range []*user.Info{admin, bootstrapper, alice, nameless} {
		if NodeRestriction(u) != nil {
			t.Errorf("%s is restricted like a node", u.Name)
		}
	}
}
