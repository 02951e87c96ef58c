package volume

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestNewLocalVolume(t *testing.T) {
	claim := newPVC("www-web-0", "2Gi", pvcClass("local-path"), pvcModes(rwo, corev1.ReadWriteOncePod))
	claim.ResourceVersion = "42"
	class := DefaultStorageClass()
	class.MountOptions = []string{"noatime"}
	got, err := newLocalVolume(claim, class, newNode("node-a"), "/var/lib/ordinal/volumes")
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "pvc-uid-www-web-0",
			Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": "ordinal.dev/local-path"},
			Finalizers:  []string{"kubernetes.io/pv-protection", "external-provisioner.volume.kubernetes.io/finalizer"},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{rwo, corev1.ReadWriteOncePod},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: "/var/lib/ordinal/volumes/pvc-uid-www-web-0", Type: ptr.To(corev1.HostPathDirectoryOrCreate),
			}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: "default",
				Name: "www-web-0", UID: "uid-www-web-0", ResourceVersion: "42"},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              "local-path",
			MountOptions:                  []string{"noatime"},
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"node-a"}}},
			}}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("volume (-want +got):\n%s", diff)
	}
	if LocalVolumeNode(got) != "node-a" || !IsLocalVolume(got) {
		t.Errorf("LocalVolumeNode = %q, IsLocalVolume = %v", LocalVolumeNode(got), IsLocalVolume(got))
	}
}

func TestNewLocalVolumeRetain(t *testing.T) {
	class := DefaultStorageClass()
	class.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain)
	node := newNode("ordinal-sim-1")
	node.Labels[hostnameLabel] = "sim-1.example"
	got, err := newLocalVolume(newPVC("data", "1Gi", pvcClass("local-path")), class, node, "/v")
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("policy %v", got.Spec.PersistentVolumeReclaimPolicy)
	}
	// Retained volumes outlive their object on purpose: no provisioner finalizer.
	if diff := cmp.Diff([]string{VolumeProtectionFinalizer}, got.Finalizers); diff != "" {
		t.Errorf("finalizers (-want +got):\n%s", diff)
	}
	if LocalVolumeNode(got) != "sim-1.example" {
		t.Errorf("pinned to %q, want the node's hostname label", LocalVolumeNode(got))
	}
}

func TestNewLocalVolumeRefuses(t *testing.T) {
	class := DefaultStorageClass()
	node := newNode("node-a")
	tests := []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		node  *corev1.Node
		root  string
		want  string
	}{
		{"no root", newPVC("c", "1Gi"), node, "", "local-path volumes are not enabled on this control plane (no volume directory configured)"},
		{"no node", newPVC("c", "1Gi"), nil, "/v", "configuration error, no node was specified"},
		{"a selector", newPVC("c", "1Gi", pvcSelector("a", "b")), node, "/v", "claim Selector is not supported"},
		{"block mode", newPVC("c", "1Gi", pvcBlock), node, "/v", "block volume mode is not supported"},
		{"a data source", newPVC("c", "1Gi", func(c *corev1.PersistentVolumeClaim) {
			c.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "PersistentVolumeClaim", Name: "src"}
		}), node, "/v", "volume data sources are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newLocalVolume(tt.claim, class, tt.node, tt.root)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLocalVolumeNode(t *testing.T) {
	tests := []struct {
		name string
		pv   *corev1.PersistentVolume
		want string
	}{
		{"pinned", newPV("v", "1Gi", pvOnNode("a")), "a"},
		{"no affinity", newPV("v", "1Gi"), ""},
		{"two nodes", newPV("v", "1Gi", pvOnNode("a"), func(pv *corev1.PersistentVolume) {
			pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values = []string{"a", "b"}
		}), ""},
		{"another key", newPV("v", "1Gi", pvOnNode("a"), func(pv *corev1.PersistentVolume) {
			pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Key = "zone"
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LocalVolumeNode(tt.pv); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
