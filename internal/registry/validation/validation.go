// Package validation checks API objects the way the Kubernetes 1.32
// apiserver does, so that a bad manifest is refused with the same field
// paths and messages kubectl users know, e.g.
//
//	spec.replicas: Invalid value: -1: must be greater than or equal to 0
//
// It works on the versioned types of k8s.io/api, after defaulting. The
// entry points dispatch on the object's Go type; per-kind functions are
// exported for callers that already know the kind.
//
// Division of labour with the registry: the registry checks that
// namespaced objects have a namespace matching the request, that name,
// namespace, uid, creationTimestamp and resourceVersion do not change on
// update, copies status on main-resource updates and spec on status
// updates, and allocates service IPs and node ports (new node ports are
// still range-checked here against the default 30000-32767). Everything
// about the content of an object is checked here.
package validation

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks a new object (create). Kinds this package does not know
// get the generic ObjectMeta checks only.
func Validate(obj runtime.Object) field.ErrorList {
	return dedupe(validate(obj))
}

func validate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		return ValidatePod(o)
	case *corev1.PodTemplate:
		return ValidatePodTemplate(o)
	case *corev1.ReplicationController:
		return ValidateReplicationController(o)
	case *corev1.Service:
		allErrs := ValidateService(o)
		return append(allErrs, ValidateNodePortRange(o, NodePortMin, NodePortMax)...)
	case *corev1.Endpoints:
		return ValidateEndpoints(o)
	case *corev1.ConfigMap:
		return ValidateConfigMap(o)
	case *corev1.Secret:
		return ValidateSecret(o)
	case *corev1.ServiceAccount:
		return ValidateServiceAccount(o)
	case *corev1.Namespace:
		return ValidateNamespace(o)
	case *corev1.Node:
		return ValidateNode(o)
	case *corev1.PersistentVolume:
		return ValidatePersistentVolume(o)
	case *corev1.PersistentVolumeClaim:
		return ValidatePersistentVolumeClaim(o)
	case *corev1.Event:
		return ValidateEvent(o)
	case *appsv1.StatefulSet:
		return ValidateStatefulSet(o)
	case *appsv1.Deployment:
		return ValidateDeployment(o)
	case *appsv1.ReplicaSet:
		return ValidateReplicaSet(o)
	case *appsv1.DaemonSet:
		return ValidateDaemonSet(o)
	case *appsv1.ControllerRevision:
		return ValidateControllerRevision(o)
	case *batchv1.Job:
		return ValidateJob(o)
	case *batchv1.CronJob:
		return ValidateCronJob(o)
	case *networkingv1.Ingress:
		return ValidateIngress(o)
	case *networkingv1.IngressClass:
		return ValidateIngressClass(o)
	case *discoveryv1.EndpointSlice:
		return ValidateEndpointSlice(o)
	case *storagev1.StorageClass:
		return ValidateStorageClass(o)
	case *coordinationv1.Lease:
		return ValidateLease(o)
	case *eventsv1.Event:
		return ValidateEventsV1Event(o)
	case *certificatesv1.CertificateSigningRequest:
		return ValidateCertificateSigningRequest(o)
	}
	return validateGenericMeta(obj)
}

// ValidateUpdate checks obj replacing old through the main resource
// (update or patch), including which spec fields may change.
func ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return dedupe(validateUpdate(obj, old))
}

func validateUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := checkSameType(obj, old); errs != nil {
		return errs
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		oldPod := old.(*corev1.Pod)
		// Upstream re-validates the whole pod on update, then applies the
		// update rules.
		allErrs := withMetaUpdate(&o.ObjectMeta, &oldPod.ObjectMeta, validatePodMetadataAndSpec(o))
		allErrs = append(allErrs, validatePodIPs(&o.Status)...)
		return append(allErrs, validatePodUpdateRules(o, oldPod)...)
	case *corev1.PodTemplate:
		return ValidatePodTemplateUpdate(o, old.(*corev1.PodTemplate))
	case *corev1.ReplicationController:
		return ValidateReplicationControllerUpdate(o, old.(*corev1.ReplicationController))
	case *corev1.Service:
		allErrs := ValidateServiceUpdate(o, old.(*corev1.Service))
		return append(allErrs, validateNewNodePorts(o, old.(*corev1.Service))...)
	case *corev1.Endpoints:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.Endpoints).ObjectMeta, ValidateEndpoints(o))
	case *corev1.ConfigMap:
		return ValidateConfigMapUpdate(o, old.(*corev1.ConfigMap))
	case *corev1.Secret:
		return ValidateSecretUpdate(o, old.(*corev1.Secret))
	case *corev1.ServiceAccount:
		return withMetaUpdate(&o.ObjectMeta, &old.(*corev1.ServiceAccount).ObjectMeta, nil)
	case *corev1.Namespace:
		return ValidateNamespaceUpdate(o, old.(*corev1.Namespace))
	case *corev1.Node:
		return ValidateNodeUpdate(o, old.(*corev1.Node))
	case *corev1.PersistentVolume:
		return ValidatePersistentVolumeUpdate(o, old.(*corev1.PersistentVolume))
	case *corev1.PersistentVolumeClaim:
		return ValidatePersistentVolumeClaimUpdate(o, old.(*corev1.PersistentVolumeClaim))
	case *corev1.Event:
		return ValidateEventUpdate(o, old.(*corev1.Event))
	case *appsv1.StatefulSet:
		return ValidateStatefulSetUpdate(o, old.(*appsv1.StatefulSet))
	case *appsv1.Deployment:
		return ValidateDeploymentUpdate(o, old.(*appsv1.Deployment))
	case *appsv1.ReplicaSet:
		return ValidateReplicaSetUpdate(o, old.(*appsv1.ReplicaSet))
	case *appsv1.DaemonSet:
		return ValidateDaemonSetUpdate(o, old.(*appsv1.DaemonSet))
	case *appsv1.ControllerRevision:
		return ValidateControllerRevisionUpdate(o, old.(*appsv1.ControllerRevision))
	case *batchv1.Job:
		return ValidateJobUpdate(o, old.(*batchv1.Job))
	case *batchv1.CronJob:
		return ValidateCronJobUpdate(o, old.(*batchv1.CronJob))
	case *networkingv1.Ingress:
		return ValidateIngressUpdate(o, old.(*networkingv1.Ingress))
	case *networkingv1.IngressClass:
		return ValidateIngressClassUpdate(o, old.(*networkingv1.IngressClass))
	case *discoveryv1.EndpointSlice:
		return ValidateEndpointSliceUpdate(o, old.(*discoveryv1.EndpointSlice))
	case *storagev1.StorageClass:
		return ValidateStorageClassUpdate(o, old.(*storagev1.StorageClass))
	case *coordinationv1.Lease:
		return withMetaUpdate(&o.ObjectMeta, &old.(*coordinationv1.Lease).ObjectMeta, validateLeaseSpec(&o.Spec, field.NewPath("spec")))
	case *eventsv1.Event:
		return ValidateEventsV1EventUpdate(o, old.(*eventsv1.Event))
	case *certificatesv1.CertificateSigningRequest:
		return ValidateCertificateSigningRequestUpdate(o, old.(*certificatesv1.CertificateSigningRequest))
	}
	return validateGenericMetaUpdate(obj, old)
}

// ValidateStatusUpdate checks a write to the status subresource. The
// registry has already restored the spec from old.
func ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return dedupe(validateStatusUpdate(obj, old))
}

func validateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := checkSameType(obj, old); errs != nil {
		return errs
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return ValidatePodStatusUpdate(o, old.(*corev1.Pod))
	case *corev1.Node:
		return ValidateNodeUpdate(o, old.(*corev1.Node))
	case *corev1.Namespace:
		return ValidateNamespaceStatusUpdate(o, old.(*corev1.Namespace))
	case *corev1.ReplicationController:
		return ValidateReplicationControllerStatusUpdate(o, old.(*corev1.ReplicationController))
	case *corev1.PersistentVolume:
		return ValidatePersistentVolumeStatusUpdate(o, old.(*corev1.PersistentVolume))
	case *corev1.PersistentVolumeClaim:
		return ValidatePersistentVolumeClaimStatusUpdate(o, old.(*corev1.PersistentVolumeClaim))
	case *appsv1.StatefulSet:
		return ValidateStatefulSetStatusUpdate(o, old.(*appsv1.StatefulSet))
	case *appsv1.Deployment:
		return ValidateDeploymentStatusUpdate(o, old.(*appsv1.Deployment))
	case *appsv1.ReplicaSet:
		return ValidateReplicaSetStatusUpdate(o, old.(*appsv1.ReplicaSet))
	case *appsv1.DaemonSet:
		return ValidateDaemonSetStatusUpdate(o, old.(*appsv1.DaemonSet))
	case *batchv1.Job:
		return ValidateJobStatusUpdate(o, old.(*batchv1.Job))
	case *batchv1.CronJob:
		return ValidateCronJobStatusUpdate(o, old.(*batchv1.CronJob))
	case *certificatesv1.CertificateSigningRequest:
		return ValidateCertificateSigningRequestStatusUpdate(o, old.(*certificatesv1.CertificateSigningRequest))
	}
	return validateGenericMetaUpdate(obj, old)
}

// ValidateApprovalUpdate checks a write to the approval subresource
// (certificatesigningrequests/approval), the only kind that has one.
func ValidateApprovalUpdate(obj, old runtime.Object) field.ErrorList {
	if errs := checkSameType(obj, old); errs != nil {
		return errs
	}
	csr, ok := obj.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return field.ErrorList{field.InternalError(field.NewPath(""), fmt.Errorf("%T has no approval subresource", obj))}
	}
	return dedupe(ValidateCertificateSigningRequestApprovalUpdate(csr, old.(*certificatesv1.CertificateSigningRequest)))
}

// dedupe drops repeated identical errors (a rule reached through both the
// create and the update checks), keeping the first occurrence.
func dedupe(errs field.ErrorList) field.ErrorList {
	if len(errs) < 2 {
		return errs
	}
	seen := make(map[string]bool, len(errs))
	out := errs[:0:0]
	for _, e := range errs {
		msg := e.Error()
		if seen[msg] {
			continue
		}
		seen[msg] = true
		out = append(out, e)
	}
	return out
}

func checkSameType(obj, old runtime.Object) field.ErrorList {
	if fmt.Sprintf("%T", obj) != fmt.Sprintf("%T", old) {
		return field.ErrorList{field.InternalError(field.NewPath(""), fmt.Errorf("cannot compare %T with %T", obj, old))}
	}
	return nil
}

// withMetaUpdate replaces the create-time metadata errors in body by the
// update-time metadata checks.
func withMetaUpdate(newMeta, oldMeta *metav1.ObjectMeta, body field.ErrorList) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(newMeta, oldMeta, field.NewPath("metadata"))
	for _, e := range body {
		if strings.HasPrefix(e.Field, "metadata.") {
			continue
		}
		allErrs = append(allErrs, e)
	}
	return allErrs
}

// validateNewNodePorts range-checks node ports that are new in this update;
// ports allocated earlier stay valid if the range was changed since.
func validateNewNodePorts(svc, old *corev1.Service) field.ErrorList {
	existing := map[int32]bool{}
	for _, p := range old.Spec.Ports {
		existing[p.NodePort] = true
	}
	probe := svc.DeepCopy()
	for i := range probe.Spec.Ports {
		if existing[probe.Spec.Ports[i].NodePort] {
			probe.Spec.Ports[i].NodePort = 0
		}
	}
	return ValidateNodePortRange(probe, NodePortMin, NodePortMax)
}

// objectMetaOf copies the validated metadata fields out of any object.
func objectMetaOf(obj runtime.Object) (*metav1.ObjectMeta, error) {
	a, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return &metav1.ObjectMeta{
		Name: a.GetName(), GenerateName: a.GetGenerateName(), Namespace: a.GetNamespace(),
		Generation: a.GetGeneration(), Labels: a.GetLabels(), Annotations: a.GetAnnotations(),
		OwnerReferences: a.GetOwnerReferences(), Finalizers: a.GetFinalizers(),
		ManagedFields: a.GetManagedFields(), DeletionTimestamp: a.GetDeletionTimestamp(),
	}, nil
}

func validateGenericMeta(obj runtime.Object) field.ErrorList {
	m, err := objectMetaOf(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	// Whether an unknown kind is namespaced is the registry's knowledge; a
	// namespace that is present is at least checked for format.
	return validateObjectMeta(m, true, NameIsDNSSubdomain, false, field.NewPath("metadata"))
}

func validateGenericMetaUpdate(obj, old runtime.Object) field.ErrorList {
	m, err := objectMetaOf(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	om, err := objectMetaOf(old)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	return validateObjectMetaUpdate(m, om, false, field.NewPath("metadata"))
}
