package auth

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// The node authorizer's relationships (upstream keeps them as a graph fed by informers; here
// each question reads the pods bound to the node in one namespace): a node may read a Secret,
// ConfigMap or claim that one of its pods uses, and a volume bound to such a claim.

// nodeUses reports whether a pod bound to node in namespace ns satisfies uses.
func (z *Authorizer) nodeUses(ctx context.Context, node, ns string, uses func(*corev1.Pod) bool) (bool, error) {
	pods, err := z.objects.PodsOnNode(ctx, ns, node)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(pods, uses), nil
}

// podUsesSecret: image pull secrets, environment, secret and projected volumes, and the
// secret references of volume plugins, as upstream's VisitPodSecretNames.
func podUsesSecret(pod *corev1.Pod, name string) bool {
	for _, s := range pod.Spec.ImagePullSecrets {
		if s.Name == name {
			return true
		}
	}
	uses := false
	visitContainers(pod, func(c *corev1.Container) {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == name {
				uses = true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == name {
				uses = true
			}
		}
	})
	if uses {
		return true
	}
	for _, v := range pod.Spec.Volumes {
		if slices.Contains(volumeSecretNames(&v.VolumeSource), name) {
			return true
		}
	}
	return false
}

// volumeSecretNames lists the Secrets a volume reads.
func volumeSecretNames(v *corev1.VolumeSource) []string {
	var names []string
	ref := func(r *corev1.LocalObjectReference) {
		if r != nil {
			names = append(names, r.Name)
		}
	}
	switch {
	case v.Secret != nil:
		names = append(names, v.Secret.SecretName)
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				names = append(names, src.Secret.Name)
			}
		}
	case v.CSI != nil:
		ref(v.CSI.NodePublishSecretRef)
	case v.FlexVolume != nil:
		ref(v.FlexVolume.SecretRef)
	case v.CephFS != nil:
		ref(v.CephFS.SecretRef)
	case v.RBD != nil:
		ref(v.RBD.SecretRef)
	case v.ISCSI != nil:
		ref(v.ISCSI.SecretRef)
	case v.ScaleIO != nil:
		ref(v.ScaleIO.SecretRef)
	case v.StorageOS != nil:
		ref(v.StorageOS.SecretRef)
	case v.Cinder != nil:
		ref(v.Cinder.SecretRef)
	case v.AzureFile != nil:
		names = append(names, v.AzureFile.SecretName)
	}
	return names
}

// podUsesConfigMap: environment, configMap and projected volumes.
func podUsesConfigMap(pod *corev1.Pod, name string) bool {
	uses := false
	visitContainers(pod, func(c *corev1.Container) {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil && e.ConfigMapRef.Name == name {
				uses = true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Name == name {
				uses = true
			}
		}
	})
	if uses {
		return true
	}
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == name {
			return true
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil && src.ConfigMap.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// podUsesClaim: a persistentVolumeClaim volume, or the claim of an ephemeral volume, which is
// named <pod>-<volume>.
func podUsesClaim(pod *corev1.Pod, name string) bool {
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name:
			return true
		case v.Ephemeral != nil && pod.Name+"-"+v.Name == name:
			return true
		}
	}
	return false
}

// visitContainers calls f for every init, regular and ephemeral container of pod.
func visitContainers(pod *corev1.Pod, f func(*corev1.Container)) {
	for i := range pod.Spec.InitContainers {
		f(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		f(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.EphemeralContainers {
		f((*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}
