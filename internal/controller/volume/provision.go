package volume

import (
	"errors"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// hostnameLabel pins local volumes to their node; every ordinal node carries it.
const hostnameLabel = "kubernetes.io/hostname"

// provisionedVolumeName is upstream's name for a volume provisioned for a claim.
func provisionedVolumeName(claim *corev1.PersistentVolumeClaim) string {
	return "pvc-" + string(claim.UID)
}

// localVolumePath is where the directory of the local-path volume name lives under root
// (a node's <data-dir>/volumes).
func localVolumePath(root, name string) string {
	return filepath.Join(root, name)
}

// newLocalVolume builds the volume the local-path provisioner creates for claim on node: a
// hostPath directory under root, reachable only from that node, pre-bound to the claim so
// that the next sync of the claim binds it. An error says why the claim cannot be provisioned
// (the caller reports it as ProvisioningFailed).
func newLocalVolume(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, node *corev1.Node, root string) (*corev1.PersistentVolume, error) {
	switch {
	case root == "":
		return nil, errors.New("local-path volumes are not enabled on this control plane (no volume directory configured)")
	case node == nil:
		return nil, errors.New("configuration error, no node was specified")
	}
	if err := checkClaimProvisionable(claim); err != nil {
		return nil, err
	}
	hostname := node.Labels[hostnameLabel]
	if hostname == "" {
		hostname = node.Name
	}
	name := provisionedVolumeName(claim)
	pv := provisionedVolume(claim, class, Provisioner, &corev1.HostPathVolumeSource{
		Path: localVolumePath(root, name),
		Type: ptr.To(corev1.HostPathDirectoryOrCreate),
	})
	pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname},
		}}}},
	}}
	return pv, nil
}

// checkClaimProvisionable refuses what ordinal's provisioners cannot make, in the words of
// upstream's provisioners.
func checkClaimProvisionable(claim *corev1.PersistentVolumeClaim) error {
	switch {
	case claim.Spec.Selector != nil:
		return errors.New("claim Selector is not supported")
	case claim.Spec.VolumeMode != nil && *claim.Spec.VolumeMode == corev1.PersistentVolumeBlock:
		return errors.New("block volume mode is not supported")
	case claim.Spec.DataSource != nil || claim.Spec.DataSourceRef != nil:
		return errors.New("volume data sources are not supported")
	}
	return nil
}

// provisionedVolume is what every volume ordinal provisions for claim has: the name
// pvc-<claim uid>, the provisioner's annotation, the class's reclaim policy (Delete when
// unset) and mount options, the claim's size, access modes and volume mode, a hostPath
// source, and a claimRef that pre-binds it to the claim so that the claim's next sync binds
// it. A volume to be deleted with its claim carries the provisioner finalizer until its
// storage is gone.
func provisionedVolume(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, provisioner string, source *corev1.HostPathVolumeSource) *corev1.PersistentVolume {
	policy := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		policy = *class.ReclaimPolicy
	}
	finalizers := []string{VolumeProtectionFinalizer}
	if policy == corev1.PersistentVolumeReclaimDelete {
		finalizers = append(finalizers, ProvisionerFinalizer)
	}
	mode := corev1.PersistentVolumeFilesystem
	if claim.Spec.VolumeMode != nil {
		mode = *claim.Spec.VolumeMode
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        provisionedVolumeName(claim),
			Annotations: map[string]string{AnnProvisionedBy: provisioner},
			Finalizers:  finalizers,
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: storageRequest(claim)},
			AccessModes:            append([]corev1.PersistentVolumeAccessMode(nil), claim.Spec.AccessModes...),
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: source},
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID, ResourceVersion: claim.ResourceVersion,
			},
			PersistentVolumeReclaimPolicy: policy,
			StorageClassName:              class.Name,
			MountOptions:                  append([]string(nil), class.MountOptions...),
			VolumeMode:                    &mode,
		},
	}
}

// LocalVolumeNode is the node a local-path volume lives on: the single value of its required
// kubernetes.io/hostname In [...] affinity; "" when the volume is not pinned that way.
func LocalVolumeNode(pv *corev1.PersistentVolume) string {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return ""
	}
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 1 || len(terms[0].MatchFields) != 0 {
		return ""
	}
	e := terms[0].MatchExpressions[0]
	if e.Key != hostnameLabel || e.Operator != corev1.NodeSelectorOpIn || len(e.Values) != 1 {
		return ""
	}
	return e.Values[0]
}

// IsLocalVolume reports whether pv was provisioned by ordinal's local-path provisioner.
func IsLocalVolume(pv *corev1.PersistentVolume) bool {
	return pv.Annotations[AnnProvisionedBy] == Provisioner
}
