package defaults

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// DefaultReplicationController fills in an RC's defaults. An RC that states
// neither a selector nor labels takes both from its pod template, which is
// what made the oldest manifests (template labels only) work.
//
// As upstream, the selector and labels then share the template's label map;
// nothing in the RC registry changes one without meaning the others.
func DefaultReplicationController(rc *corev1.ReplicationController) {
	var templateLabels map[string]string
	if rc.Spec.Template != nil {
		templateLabels = rc.Spec.Template.Labels
	}
	if templateLabels != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = templateLabels
		}
		if len(rc.Labels) == 0 {
			rc.Labels = templateLabels
		}
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = ptr.To[int32](1)
	}
	if rc.Spec.Template != nil {
		DefaultPodTemplateSpec(rc.Spec.Template)
	}
}

// DefaultPodTemplate fills in a PodTemplate object's defaults.
func DefaultPodTemplate(pt *corev1.PodTemplate) {
	DefaultPodTemplateSpec(&pt.Template)
}

// DefaultPersistentVolumeClaim fills in a claim's defaults: Filesystem volume
// mode and the Pending phase it starts in. The storage class is not a
// default; the DefaultStorageClass admission step fills it in.
func DefaultPersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = corev1.ClaimPending
	}
	defaultPersistentVolumeClaimSpec(&pvc.Spec)
	roundResourceList(pvc.Status.Capacity)
	roundResourceList(pvc.Status.AllocatedResources)
}

// DefaultPersistentVolume fills in a volume's defaults. Retain, not Delete, is
// the reclaim policy of a PersistentVolume created by hand: data an
// administrator provisioned is never deleted unless they say so. (Dynamically
// provisioned volumes copy their class's policy, which defaults to Delete.)
func DefaultPersistentVolume(pv *corev1.PersistentVolume) {
	if pv.Status.Phase == "" {
		pv.Status.Phase = corev1.VolumePending
	}
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	defaultPersistentVolumeSpec(&pv.Spec)
}

// DefaultNamespace labels a named namespace with its own name
// (kubernetes.io/metadata.name), so namespace selectors can pick namespaces
// by name, and starts it Active. The "kubernetes" finalizer is not a default;
// the namespace registry adds it.
func DefaultNamespace(ns *corev1.Namespace) {
	// A namespace created with generateName has no name yet; the registry
	// sets the label once it has one.
	if ns.Name != "" {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// DefaultNode fills in a node's allocatable resources from its capacity when
// the node reports only capacity.
func DefaultNode(node *corev1.Node) {
	if node.Status.Allocatable == nil && node.Status.Capacity != nil {
		node.Status.Allocatable = node.Status.Capacity.DeepCopy()
	}
	roundResourceList(node.Status.Capacity)
	roundResourceList(node.Status.Allocatable)
}

// DefaultSecret makes an untyped secret Opaque.
func DefaultSecret(secret *corev1.Secret) {
	if secret.Type == "" {
		secret.Type = corev1.SecretTypeOpaque
	}
}

// DefaultConfigMap gives a ConfigMap a non-nil data map. It never shows on
// the wire (an empty map is omitted) but code reading the object can index
// it without a nil check, as upstream's can.
func DefaultConfigMap(cm *corev1.ConfigMap) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
}

// DefaultLimitRange fills in container limit ranges the way admission later
// reads them: a default limit from the max, a default request from the
// default limit, or else from the min.
func DefaultLimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type == corev1.LimitTypeContainer {
			if item.Default == nil {
				item.Default = corev1.ResourceList{}
			}
			if item.DefaultRequest == nil {
				item.DefaultRequest = corev1.ResourceList{}
			}
			fillMissing(item.Default, item.Max)
			fillMissing(item.DefaultRequest, item.Default)
			fillMissing(item.DefaultRequest, item.Min)
		}
		roundResourceList(item.Max)
		roundResourceList(item.Min)
		roundResourceList(item.Default)
		roundResourceList(item.DefaultRequest)
		roundResourceList(item.MaxLimitRequestRatio)
	}
}

// fillMissing copies into dst every resource of src that dst lacks.
func fillMissing(dst, src corev1.ResourceList) {
	for name, quantity := range src {
		if _, set := dst[name]; !set {
			dst[name] = quantity.DeepCopy()
		}
	}
}

// DefaultResourceQuota rounds a quota's quantities like any other resource
// list.
func DefaultResourceQuota(rq *corev1.ResourceQuota) {
	roundResourceList(rq.Spec.Hard)
	roundResourceList(rq.Status.Hard)
	roundResourceList(rq.Status.Used)
}
