package auth

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// nodeRules are what every node may do on resources whose access is not divided per node:
// upstream's system:node rules, plus the reads of kube-proxy's and CoreDNS's roles, because
// an ordinal agent is also the node's service proxy and DNS server. Upstream 1.32 (with the
// AuthorizeNodeWithSelectors gate, beta) narrows a kubelet's reads of Nodes and Pods to its
// own; ordinal's agent needs every Node's pod CIDR and every Pod's address, so nodes keep the
// broad reads upstream has with that gate off.
var nodeRules = []rule{
	{verbs: readVerbs, groups: coreGroup, resources: []string{"services", "endpoints", "namespaces", "nodes", "pods"}},
	{verbs: readVerbs, groups: []string{"discovery.k8s.io"}, resources: []string{"endpointslices"}},
	{verbs: readVerbs, groups: []string{"storage.k8s.io"}, resources: []string{"storageclasses"}},
	// Registering and reporting. NodeRestriction admission keeps each node to its own Node.
	{verbs: []string{"create", "update", "patch"}, groups: coreGroup, resources: []string{"nodes"}},
	{verbs: []string{"update", "patch"}, groups: coreGroup, resources: []string{"nodes/status"}},
	// Pod status and the final delete of pods the node ran; NodeRestriction admission keeps
	// both to pods bound to the node. Creating pods (mirror pods) is not supported.
	{verbs: []string{"update", "patch"}, groups: coreGroup, resources: []string{"pods/status"}},
	{verbs: []string{"delete"}, groups: coreGroup, resources: []string{"pods"}},
	{verbs: []string{"create", "update", "patch"}, groups: []string{"", "events.k8s.io"}, resources: []string{"events"}},
	// Client certificate renewal.
	{verbs: []string{"create", "get", "list", "watch"}, groups: []string{"certificates.k8s.io"}, resources: []string{"certificatesigningrequests"}},
}

// authorizeNode decides on a request of node, as upstream's Node authorizer: Secrets,
// ConfigMaps, claims and volumes only when a pod bound to the node uses them, the node's own
// Lease, and nodeRules for the rest.
func (z *Authorizer) authorizeNode(ctx context.Context, node string, a *Attributes) (bool, string, error) {
	switch {
	case a.resourceIs("", "secrets"):
		return z.authorizeReadNamespaced(ctx, node, a, podUsesSecret)
	case a.resourceIs("", "configmaps"):
		return z.authorizeReadNamespaced(ctx, node, a, podUsesConfigMap)
	case a.resourceIs("", "persistentvolumeclaims"):
		if a.Subresource == "status" {
			// Volume expansion reports the new size through the claim's status.
			if a.Verb != "update" && a.Verb != "patch" {
				return false, "can only get/update/patch this type", nil
			}
			return z.related(ctx, node, a, podUsesClaim)
		}
		if reason := getOnly(a); reason != "" {
			return false, reason, nil
		}
		return z.related(ctx, node, a, podUsesClaim)
	case a.resourceIs("", "persistentvolumes"):
		// Beyond upstream: the node's volume reclaimer watches every volume and removes the
		// local-path volumes pinned to the node once released (NodeRestriction admission
		// limits the writes to those). Volumes hold paths and sizes, no secrets.
		switch {
		case a.Subresource != "":
			return false, "cannot access subresource", nil
		case a.Verb == "get" || a.Verb == "list" || a.Verb == "watch" || a.Verb == "update" || a.Verb == "delete":
			return true, "", nil
		}
		return false, "can only read, update or delete resources of this type", nil
	case a.resourceIs("coordination.k8s.io", "leases"):
		return authorizeLease(node, a)
	}
	return anyRuleAllows(nodeRules, a), "", nil
}

// authorizeReadNamespaced: get, or list and watch of one object named by a metadata.name
// field selector (a kubelet watches each Secret it mounts that way); never a whole list.
func (z *Authorizer) authorizeReadNamespaced(ctx context.Context, node string, a *Attributes, uses func(*corev1.Pod, string) bool) (bool, string, error) {
	switch {
	case a.Verb != "get" && a.Verb != "list" && a.Verb != "watch":
		return false, "can only read resources of this type", nil
	case a.Subresource != "":
		return false, "cannot read subresource", nil
	case a.Namespace == "":
		return false, "can only read namespaced object of this type", nil
	}
	return z.related(ctx, node, a, uses)
}

func getOnly(a *Attributes) string {
	switch {
	case a.Verb != "get":
		return "can only get individual resources of this type"
	case a.Subresource != "":
		return "cannot get subresource"
	}
	return ""
}

// related allows the request when a pod bound to node in the request's namespace uses the
// named object.
func (z *Authorizer) related(ctx context.Context, node string, a *Attributes, uses func(*corev1.Pod, string) bool) (bool, string, error) {
	if a.Name == "" {
		return false, "No Object name found", nil
	}
	ok, err := z.nodeUses(ctx, node, a.Namespace, func(p *corev1.Pod) bool { return uses(p, a.Name) })
	if err != nil || !ok {
		return false, noRelationship(node), err
	}
	return true, "", nil
}

// authorizeLease: a node reads and writes its own Lease in kube-node-lease (the name of a new
// one is checked by NodeRestriction admission).
func authorizeLease(node string, a *Attributes) (bool, string, error) {
	switch a.Verb {
	case "get", "create", "update", "patch", "delete":
	default:
		return false, "can only get, create, update, patch, or delete a node lease", nil
	}
	if a.Namespace != corev1.NamespaceNodeLease {
		return false, fmt.Sprintf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease), nil
	}
	if a.Verb != "create" && a.Name != node {
		return false, "can only access node lease with the same name as the requesting node", nil
	}
	return true, "", nil
}

func noRelationship(node string) string {
	return fmt.Sprintf("no relationship found between node '%s' and this object", node)
}
