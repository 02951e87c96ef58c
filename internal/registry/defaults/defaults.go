// Package defaults fills in the fields that a Kubernetes 1.32 apiserver
// defaults on v1 objects, so that `kubectl get -o yaml` of an object created
// on ordinal shows what it would show on upstream, and so that controllers and
// validation can rely on those fields being set.
//
// It mirrors what upstream's generated SetObjectDefaults_* functions do for
// each kind, including everything reached through embedded pod templates and
// claim templates, with the feature gates that are on by default in 1.32.
// Fields that upstream sets elsewhere are not defaults and are left alone:
// admission (serviceAccountName, a pod's priority and preemptionPolicy, a
// claim's storage class), allocators (cluster IPs, IP families) and registry
// strategies (the Job selector, the namespace finalizer).
//
// Defaulting is idempotent: applying it twice is the same as applying it
// once. That matters because upstream re-applies defaults each time it reads
// an object back from storage, so the storage layer may do the same.
package defaults

import (
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Default fills in upstream's defaults on obj in place. obj is a pointer to a
// k8s.io/api type, or a list of them. Kinds upstream does not default (Event,
// Lease, ServiceAccount, Ingress, ...) and kinds this package does not know
// are left untouched.
func Default(obj runtime.Object) {
	if obj == nil {
		return
	}
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Pointer && v.IsNil() {
		return
	}
	switch o := obj.(type) {
	// core/v1
	case *corev1.Pod:
		DefaultPod(o)
	case *corev1.PodTemplate:
		DefaultPodTemplate(o)
	case *corev1.ReplicationController:
		DefaultReplicationController(o)
	case *corev1.Service:
		DefaultService(o)
	case *corev1.Endpoints:
		DefaultEndpoints(o)
	case *corev1.PersistentVolumeClaim:
		DefaultPersistentVolumeClaim(o)
	case *corev1.PersistentVolume:
		DefaultPersistentVolume(o)
	case *corev1.Namespace:
		DefaultNamespace(o)
	case *corev1.Node:
		DefaultNode(o)
	case *corev1.Secret:
		DefaultSecret(o)
	case *corev1.ConfigMap:
		DefaultConfigMap(o)
	case *corev1.LimitRange:
		DefaultLimitRange(o)
	case *corev1.ResourceQuota:
		DefaultResourceQuota(o)

	// apps/v1
	case *appsv1.Deployment:
		DefaultDeployment(o)
	case *appsv1.ReplicaSet:
		DefaultReplicaSet(o)
	case *appsv1.StatefulSet:
		DefaultStatefulSet(o)
	case *appsv1.DaemonSet:
		DefaultDaemonSet(o)

	// batch/v1
	case *batchv1.Job:
		DefaultJob(o)
	case *batchv1.CronJob:
		DefaultCronJob(o)

	// networking.k8s.io/v1, discovery.k8s.io/v1
	case *networkingv1.NetworkPolicy:
		DefaultNetworkPolicy(o)
	case *networkingv1.IngressClass:
		DefaultIngressClass(o)
	case *discoveryv1.EndpointSlice:
		DefaultEndpointSlice(o)

	// storage.k8s.io/v1
	case *storagev1.StorageClass:
		DefaultStorageClass(o)
	case *storagev1.CSIDriver:
		DefaultCSIDriver(o)
	case *storagev1.VolumeAttachment:
		DefaultVolumeAttachment(o)

	// rbac.authorization.k8s.io/v1
	case *rbacv1.RoleBinding:
		DefaultRoleBinding(o)
	case *rbacv1.ClusterRoleBinding:
		DefaultClusterRoleBinding(o)

	// autoscaling/v1, autoscaling/v2
	case *autoscalingv1.HorizontalPodAutoscaler:
		DefaultHorizontalPodAutoscalerV1(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		DefaultHorizontalPodAutoscaler(o)

	// scheduling.k8s.io/v1
	case *schedulingv1.PriorityClass:
		DefaultPriorityClass(o)

	// admissionregistration.k8s.io/v1
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		DefaultValidatingWebhookConfiguration(o)
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		DefaultMutatingWebhookConfiguration(o)
	case *admissionregistrationv1.ValidatingAdmissionPolicy:
		DefaultValidatingAdmissionPolicy(o)
	case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
		DefaultValidatingAdmissionPolicyBinding(o)

	default:
		// Lists (PodList, StatefulSetList, ...) default each item, as
		// upstream registers a defaulter per list type. EachListItem hands
		// out pointers into the Items slice, so the items change in place.
		if meta.IsListType(obj) {
			_ = meta.EachListItem(obj, func(item runtime.Object) error {
				Default(item)
				return nil
			})
		}
	}
}
