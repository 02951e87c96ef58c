package openapi

// allVerbs is what a plain stored resource supports.
var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

func status(group, version, kind string) Subresource {
	return Subresource{Name: "status", Group: group, Version: version, Kind: kind, Verbs: []string{"get", "patch", "update"}}
}

var scale = Subresource{Name: "scale", Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get", "patch", "update"}}

// testResources is roughly the surface ordinal serves.
func testResources() []Resource {
	core := func(res, kind string, ns bool, subs ...Subresource) Resource {
		return Resource{Version: "v1", Resource: res, Kind: kind, ListKind: kind + "List", Namespaced: ns, Verbs: allVerbs, Subresources: subs}
	}
	group := func(g, v, res, kind string, ns bool, subs ...Subresource) Resource {
		return Resource{Group: g, Version: v, Resource: res, Kind: kind, ListKind: kind + "List", Namespaced: ns, Verbs: allVerbs, Subresources: subs}
	}
	return []Resource{
		core("pods", "Pod", true, status("", "v1", "Pod"),
			Subresource{Name: "log", Kind: "Pod", Verbs: []string{"get"}},
			Subresource{Name: "exec", Kind: "PodExecOptions", Verbs: []string{"create", "get"}},
			Subresource{Name: "attach", Kind: "PodAttachOptions", Verbs: []string{"create", "get"}},
			Subresource{Name: "portforward", Kind: "PodPortForwardOptions", Verbs: []string{"create", "get"}},
			Subresource{Name: "eviction", Group: "policy", Version: "v1", Kind: "Eviction", Verbs: []string{"create"}},
			Subresource{Name: "binding", Kind: "Binding", Verbs: []string{"create"}}),
		core("services", "Service", true, status("", "v1", "Service")),
		core("endpoints", "Endpoints", true),
		core("configmaps", "ConfigMap", true),
		core("secrets", "Secret", true),
		core("serviceaccounts", "ServiceAccount", true),
		core("events", "Event", true),
		core("persistentvolumeclaims", "PersistentVolumeClaim", true, status("", "v1", "PersistentVolumeClaim")),
		core("persistentvolumes", "PersistentVolume", false, status("", "v1", "PersistentVolume")),
		core("replicationcontrollers", "ReplicationController", true, status("", "v1", "ReplicationController"), scale),
		core("namespaces", "Namespace", false, status("", "v1", "Namespace")),
		core("nodes", "Node", false, status("", "v1", "Node")),
		group("apps", "v1", "deployments", "Deployment", true, status("apps", "v1", "Deployment"), scale),
		group("apps", "v1", "statefulsets", "StatefulSet", true, status("apps", "v1", "StatefulSet"), scale),
		group("apps", "v1", "replicasets", "ReplicaSet", true, status("apps", "v1", "ReplicaSet"), scale),
		group("apps", "v1", "daemonsets", "DaemonSet", true, status("apps", "v1", "DaemonSet")),
		group("apps", "v1", "controllerrevisions", "ControllerRevision", true),
		group("batch", "v1", "jobs", "Job", true, status("batch", "v1", "Job")),
		group("batch", "v1", "cronjobs", "CronJob", true, status("batch", "v1", "CronJob")),
		group("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, status("autoscaling", "v1", "HorizontalPodAutoscaler")),
		group("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
		group("networking.k8s.io", "v1", "ingresses", "Ingress", true, status("networking.k8s.io", "v1", "Ingress")),
		group("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false),
		group("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true),
		group("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true),
		group("coordination.k8s.io", "v1", "leases", "Lease", true),
		group("events.k8s.io", "v1", "events", "Event", true),
		group("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, status("policy", "v1", "PodDisruptionBudget")),
		group("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
		group("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
		group("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
		group("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
	}
}
