package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The server must never panic on input: undefaulted, empty objects of
// every kind go through all three entry points.
func TestZeroValuesDoNotPanic(t *testing.T) {
	objs := []func() runtime.Object{
		func() runtime.Object { return &corev1.Pod{} },
		func() runtime.Object { return &corev1.PodTemplate{} },
		func() runtime.Object { return &corev1.ReplicationController{} },
		func() runtime.Object { return &corev1.Service{} },
		func() runtime.Object { return &corev1.Endpoints{} },
		func() runtime.Object { return &corev1.ConfigMap{} },
		func() runtime.Object { return &corev1.Secret{} },
		func() runtime.Object { return &corev1.ServiceAccount{} },
		func() runtime.Object { return &corev1.Namespace{} },
		func() runtime.Object { return &corev1.Node{} },
		func() runtime.Object { return &corev1.PersistentVolume{} },
		func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
		func() runtime.Object { return &corev1.Event{} },
		func() runtime.Object { return &appsv1.StatefulSet{} },
		func() runtime.Object { return &appsv1.Deployment{} },
		func() runtime.Object { return &appsv1.ReplicaSet{} },
		func() runtime.Object { return &appsv1.DaemonSet{} },
		func() runtime.Object { return &appsv1.ControllerRevision{} },
		func() runtime.Object { return &batchv1.Job{} },
		func() runtime.Object { return &batchv1.CronJob{} },
		func() runtime.Object { return &networkingv1.Ingress{} },
		func() runtime.Object { return &networkingv1.IngressClass{} },
		func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		func() runtime.Object { return &storagev1.StorageClass{} },
		func() runtime.Object { return &coordinationv1.Lease{} },
		func() runtime.Object { return &eventsv1.Event{} },
		func() runtime.Object { return &rbacv1.Role{} },
		// Partially filled objects reach deeper code.
		func() runtime.Object {
			s := validStatefulSet()
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
			s.Spec.Replicas = nil
			return s
		},
		func() runtime.Object {
			d := validDeployment()
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
			return d
		},
		func() runtime.Object {
			d := validDaemonSet()
			d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
			return d
		},
		func() runtime.Object {
			s := validService()
			s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
			return s
		},
	}
	for _, mk := range objs {
		obj := mk()
		name := obj.GetObjectKind().GroupVersionKind().Kind
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T (%s) panicked: %v", obj, name, r)
				}
			}()
			Validate(obj)
			ValidateUpdate(obj, mk())
			ValidateStatusUpdate(obj, mk())
		}()
	}
}

func TestValidRBACObjectPassesGenericChecks(t *testing.T) {
	r := &rbacv1.Role{}
	r.Name, r.Namespace = "reader", "default"
	expectErrors(t, Validate(r))
}
