package registry

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// All returns every resource ordinal serves, in discovery order.
func All() []*Resource {
	all := []*Resource{
		// core/v1
		{Name: "namespaces", Singular: "namespace", Kind: "Namespace", ShortNames: []string{"ns"},
			New: func() runtime.Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} },
			Status: true, Fields: namespaceFields, PrepareForCreate: prepareNamespace, PrepareForUpdate: keepNamespaceFinalizers,
			AdmitDelete: admitNamespaceDeletion, BeginDelete: beginNamespaceDeletion, ReadyToRemove: namespaceReadyToRemove},
		{Name: "pods", Singular: "pod", Kind: "Pod", ShortNames: []string{"po"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} },
			Status: true, Fields: podFields, PrepareForCreate: preparePod, GracefulDelete: podGracefulDelete},
		{Name: "services", Singular: "service", Kind: "Service", ShortNames: []string{"svc"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.Service{} }, NewList: func() runtime.Object { return &corev1.ServiceList{} },
			Status: true, Fields: serviceFields, PrepareForCreate: prepareService, PrepareForUpdate: keepServiceAllocations,
			AfterCreateFailed: releaseServiceIP, AfterDelete: releaseServiceIP},
		{Name: "endpoints", Singular: "endpoints", Kind: "Endpoints", ShortNames: []string{"ep"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.Endpoints{} }, NewList: func() runtime.Object { return &corev1.EndpointsList{} }},
		{Name: "configmaps", Singular: "configmap", Kind: "ConfigMap", ShortNames: []string{"cm"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.ConfigMap{} }, NewList: func() runtime.Object { return &corev1.ConfigMapList{} }},
		{Name: "secrets", Singular: "secret", Kind: "Secret", Namespaced: true,
			New: func() runtime.Object { return &corev1.Secret{} }, NewList: func() runtime.Object { return &corev1.SecretList{} },
			Fields: secretFields, PrepareForCreate: prepareSecret, PrepareForUpdate: prepareSecretUpdate},
		{Name: "serviceaccounts", Singular: "serviceaccount", Kind: "ServiceAccount", ShortNames: []string{"sa"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.ServiceAccount{} }, NewList: func() runtime.Object { return &corev1.ServiceAccountList{} }},
		{Name: "persistentvolumeclaims", Singular: "persistentvolumeclaim", Kind: "PersistentVolumeClaim", ShortNames: []string{"pvc"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, NewList: func() runtime.Object { return &corev1.PersistentVolumeClaimList{} },
			Status: true, PrepareForCreate: prepareClaim},
		{Name: "persistentvolumes", Singular: "persistentvolume", Kind: "PersistentVolume", ShortNames: []string{"pv"},
			New: func() runtime.Object { return &corev1.PersistentVolume{} }, NewList: func() runtime.Object { return &corev1.PersistentVolumeList{} },
			Status: true, PrepareForCreate: preparePersistentVolume, PrepareForStatusUpdate: stampVolumePhaseTransition},
		{Name: "nodes", Singular: "node", Kind: "Node", ShortNames: []string{"no"},
			New: func() runtime.Object { return &corev1.Node{} }, NewList: func() runtime.Object { return &corev1.NodeList{} },
			Status: true, KeepStatusOnCreate: true, Fields: nodeFields},
		{Name: "events", Singular: "event", Kind: "Event", ShortNames: []string{"ev"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.Event{} }, NewList: func() runtime.Object { return &corev1.EventList{} },
			Fields: eventFields},
		{Name: "replicationcontrollers", Singular: "replicationcontroller", Kind: "ReplicationController", ShortNames: []string{"rc"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &corev1.ReplicationController{} }, NewList: func() runtime.Object { return &corev1.ReplicationControllerList{} },
			Status: true, Generation: true, Scale: replicationControllerScale, Fields: replicationControllerFields},
		{Name: "podtemplates", Singular: "podtemplate", Kind: "PodTemplate", Namespaced: true,
			New: func() runtime.Object { return &corev1.PodTemplate{} }, NewList: func() runtime.Object { return &corev1.PodTemplateList{} }},

		// apps/v1
		{Group: "apps", Name: "statefulsets", Singular: "statefulset", Kind: "StatefulSet", ShortNames: []string{"sts"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &appsv1.StatefulSet{} }, NewList: func() runtime.Object { return &appsv1.StatefulSetList{} },
			Status: true, Generation: true, Scale: statefulSetScale},
		{Group: "apps", Name: "deployments", Singular: "deployment", Kind: "Deployment", ShortNames: []string{"deploy"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &appsv1.Deployment{} }, NewList: func() runtime.Object { return &appsv1.DeploymentList{} },
			Status: true, Generation: true, Scale: deploymentScale},
		{Group: "apps", Name: "replicasets", Singular: "replicaset", Kind: "ReplicaSet", ShortNames: []string{"rs"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &appsv1.ReplicaSet{} }, NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} },
			Status: true, Generation: true, Scale: replicaSetScale, Fields: replicaSetFields},
		{Group: "apps", Name: "daemonsets", Singular: "daemonset", Kind: "DaemonSet", ShortNames: []string{"ds"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &appsv1.DaemonSet{} }, NewList: func() runtime.Object { return &appsv1.DaemonSetList{} },
			Status: true, Generation: true, PrepareForCreate: prepareDaemonSet, PrepareForUpdate: bumpDaemonSetTemplateGeneration},
		{Group: "apps", Name: "controllerrevisions", Singular: "controllerrevision", Kind: "ControllerRevision", Namespaced: true,
			New: func() runtime.Object { return &appsv1.ControllerRevision{} }, NewList: func() runtime.Object { return &appsv1.ControllerRevisionList{} }},

		// batch/v1
		{Group: "batch", Name: "jobs", Singular: "job", Kind: "Job", Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &batchv1.Job{} }, NewList: func() runtime.Object { return &batchv1.JobList{} },
			Status: true, Generation: true, Fields: jobFields, PrepareForCreate: prepareJob,
			DefaultPropagation: metav1.DeletePropagationOrphan},
		{Group: "batch", Name: "cronjobs", Singular: "cronjob", Kind: "CronJob", ShortNames: []string{"cj"}, Categories: []string{"all"}, Namespaced: true,
			New: func() runtime.Object { return &batchv1.CronJob{} }, NewList: func() runtime.Object { return &batchv1.CronJobList{} },
			Status: true, Generation: true},

		// storage.k8s.io/v1
		{Group: "storage.k8s.io", Name: "storageclasses", Singular: "storageclass", Kind: "StorageClass", ShortNames: []string{"sc"},
			New: func() runtime.Object { return &storagev1.StorageClass{} }, NewList: func() runtime.Object { return &storagev1.StorageClassList{} }},

		// networking.k8s.io/v1
		{Group: "networking.k8s.io", Name: "ingresses", Singular: "ingress", Kind: "Ingress", ShortNames: []string{"ing"}, Namespaced: true,
			New: func() runtime.Object { return &networkingv1.Ingress{} }, NewList: func() runtime.Object { return &networkingv1.IngressList{} },
			Status: true, Generation: true, PrepareForCreate: prepareIngress},
		{Group: "networking.k8s.io", Name: "ingressclasses", Singular: "ingressclass", Kind: "IngressClass",
			New: func() runtime.Object { return &networkingv1.IngressClass{} }, NewList: func() runtime.Object { return &networkingv1.IngressClassList{} },
			Generation: true},

		// discovery.k8s.io/v1
		{Group: "discovery.k8s.io", Name: "endpointslices", Singular: "endpointslice", Kind: "EndpointSlice", Namespaced: true,
			New: func() runtime.Object { return &discoveryv1.EndpointSlice{} }, NewList: func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
			Generation: true},

		// coordination.k8s.io/v1
		{Group: "coordination.k8s.io", Name: "leases", Singular: "lease", Kind: "Lease", Namespaced: true,
			New: func() runtime.Object { return &coordinationv1.Lease{} }, NewList: func() runtime.Object { return &coordinationv1.LeaseList{} }},

		// certificates.k8s.io/v1
		{Group: "certificates.k8s.io", Name: "certificatesigningrequests", Singular: "certificatesigningrequest", Kind: "CertificateSigningRequest", ShortNames: []string{"csr"},
			New: func() runtime.Object { return &certificatesv1.CertificateSigningRequest{} }, NewList: func() runtime.Object { return &certificatesv1.CertificateSigningRequestList{} },
			Status: true, Fields: certificateSigningRequestFields, PrepareForCreate: prepareCertificateSigningRequest,
			PrepareForUpdate: keepCertificateSigningRequestSpec, PrepareForStatusUpdate: prepareCertificateSigningRequestStatus,
			PrepareForApprovalUpdate: prepareCertificateSigningRequestApproval},

		// events.k8s.io/v1
		{Group: "events.k8s.io", Name: "events", Singular: "event", Kind: "Event", ShortNames: []string{"ev"}, Namespaced: true,
			New: func() runtime.Object { return &eventsv1.Event{} }, NewList: func() runtime.Object { return &eventsv1.EventList{} }},
	}
	for _, r := range all {
		r.Version = "v1"
		r.ListKind = r.Kind + "List"
	}
	return all
}
