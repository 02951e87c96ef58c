package volume

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Builders for table tests: a volume or claim with sensible defaults, changed by options.

type pvOption func(*corev1.PersistentVolume)

func newPV(name, size string, opts ...pvOption) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("pv-uid-" + name), Finalizers: []string{VolumeProtectionFinalizer}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/" + name}},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable},
	}
	for _, o := range opts {
		o(pv)
	}
	return pv
}

func pvModes(m ...corev1.PersistentVolumeAccessMode) pvOption {
	return func(pv *corev1.PersistentVolume) { pv.Spec.AccessModes = m }
}
func pvClass(c string) pvOption {
	return func(pv *corev1.PersistentVolume) { pv.Spec.StorageClassName = c }
}
func pvPhase(p corev1.PersistentVolumePhase) pvOption {
	return func(pv *corev1.PersistentVolume) { pv.Status.Phase = p }
}
func pvLabels(kv ...string) pvOption {
	return func(pv *corev1.PersistentVolume) {
		pv.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			pv.Labels[kv[i]] = kv[i+1]
		}
	}
}
func pvBlock(pv *corev1.PersistentVolume) { pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock) }
func pvDeleting(pv *corev1.PersistentVolume) {
	pv.DeletionTimestamp = &metav1.Time{Time: time.Unix(100, 0)}
}
func pvClaim(namespace, name, uid string) pvOption {
	return func(pv *corev1.PersistentVolume) {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: namespace, Name: name, UID: types.UID(uid)}
	}
}
func pvOnNode(node string) pvOption {
	return func(pv *corev1.PersistentVolume) {
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: hostnameLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
		}}}}
	}
}
func pvAnnotation(k, v string) pvOption {
	return func(pv *corev1.PersistentVolume) { metav1.SetMetaDataAnnotation(&pv.ObjectMeta, k, v) }
}
func pvPolicy(p corev1.PersistentVolumeReclaimPolicy) pvOption {
	return func(pv *corev1.PersistentVolume) { pv.Spec.PersistentVolumeReclaimPolicy = p }
}
func pvFinalizers(f ...string) pvOption {
	return func(pv *corev1.PersistentVolume) { pv.Finalizers = f }
}

type pvcOption func(*corev1.PersistentVolumeClaim)

// newPVC builds claim "default/<name>" with UID "uid-<name>", class "" (none) unless changed.
func newPVC(name, size string, opts ...pvcOption) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name), Finalizers: []string{ClaimProtectionFinalizer}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			StorageClassName: ptr.To(""),
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func pvcModes(m ...corev1.PersistentVolumeAccessMode) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.AccessModes = m }
}
func pvcClass(class string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To(class) }
}
func pvcNoClass(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = nil }
func pvcSelector(kv ...string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) {
		c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{}}
		for i := 0; i+1 < len(kv); i += 2 {
			c.Spec.Selector.MatchLabels[kv[i]] = kv[i+1]
		}
	}
}
func pvcBlock(c *corev1.PersistentVolumeClaim) {
	c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
}
func pvcVolume(name string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = name }
}
func pvcAnnotation(k, v string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { metav1.SetMetaDataAnnotation(&c.ObjectMeta, k, v) }
}
func pvcPhase(p corev1.PersistentVolumeClaimPhase) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { c.Status.Phase = p }
}
func pvcDeleting(c *corev1.PersistentVolumeClaim) {
	c.DeletionTimestamp = &metav1.Time{Time: time.Unix(100, 0)}
}
func pvcFinalizers(f ...string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) { c.Finalizers = f }
}

// bound marks a claim as bound to volume by the controller.
func bound(volume string) pvcOption {
	return func(c *corev1.PersistentVolumeClaim) {
		c.Spec.VolumeName = volume
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, AnnBindCompleted, "yes")
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, AnnBoundByController, "yes")
		c.Status.Phase = corev1.ClaimBound
	}
}

func newClass(name, provisioner string, mode storagev1.VolumeBindingMode) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(mode),
	}
}

func newNode(name string, kv ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{hostnameLabel: name}}}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Labels[kv[i]] = kv[i+1]
	}
	return n
}

func volumes(pvs ...*corev1.PersistentVolume) []*corev1.PersistentVolume { return pvs }
