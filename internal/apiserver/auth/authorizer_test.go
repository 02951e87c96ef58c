package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// fakeObjects serves pods from a slice.
type fakeObjects struct {
	pods []*corev1.Pod
	err  error
}

func (f *fakeObjects) PodsOnNode(_ context.Context, ns, node string) ([]*corev1.Pod, error) {
	var out []*corev1.Pod
	for _, p := range f.pods {
		if p.Namespace == ns && p.Spec.NodeName == node {
			out = append(out, p)
		}
	}
	return out, f.err
}

var (
	admin        = &user.Info{Name: "admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}
	node1        = &user.Info{Name: "system:node:n1", Groups: []string{user.NodesGroup, user.AllAuthenticated}}
	bootstrapper = &user.Info{Name: "system:bootstrap:abcdef", Groups: []string{user.BootstrappersGroup, user.AllAuthenticated}}
	alice        = &user.Info{Name: "alice", Groups: []string{user.AllAuthenticated}}
	nameless     = &user.Info{Name: "system:node:", Groups: []string{user.NodesGroup, user.AllAuthenticated}}
	anonymousU   = &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
)

// res builds resource attributes: "verb group/resource[/subresource] ns/name".
func res(u *user.Info, verb, group, resource, sub, ns, name string) *Attributes {
	return &Attributes{User: u, Verb: verb, ResourceRequest: true, APIGroup: group, APIVersion: "v1", Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

func nonRes(u *user.Info, verb, path string) *Attributes {
	return &Attributes{User: u, Verb: verb, Path: path}
}

func testObjects() *fakeObjects {
	pod := func(name, node string, spec corev1.PodSpec) *corev1.Pod {
		spec.NodeName = node
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: spec}
	}
	return &fakeObjects{
		pods: []*corev1.Pod{
			pod("web", "n1", corev1.PodSpec{
				ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
				Containers: []corev1.Container{{Name: "c",
					Env:     []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-secret"}}}}},
					EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "env-config"}}}},
				}},
				InitContainers: []corev1.Container{{Name: "i", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "init-secret"}}}}}},
				Volumes: []corev1.Volume{
					{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "mounted"}}},
					{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
						{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "projected-config"}}},
						{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "projected-secret"}}},
					}}}},
					{Name: "csi", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d", NodePublishSecretRef: &corev1.LocalObjectReference{Name: "csi-secret"}}}},
					{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
					{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
				},
			}),
			pod("db", "n2", corev1.PodSpec{Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db-secret"}}},
				{Name: "d", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "db-data"}}},
			}}),
		},
	}
}

func TestAuthorize(t *testing.T) {
	noRel := "no relationship found between node 'n1' and this object"
	cases := []struct {
		name    string
		attrs   *Attributes
		allowed bool
		reason  string
	}{
		// system:masters
		{"admin deletes a namespace", res(admin, "delete", "", "namespaces", "", "", "default"), true, ""},
		{"admin reads metrics", nonRes(admin, "get", "/metrics"), true, ""},
		{"admin execs", res(admin, "create", "", "pods", "exec", "default", "web"), true, ""},

		// discovery for everyone authenticated
		{"alice discovers", nonRes(alice, "get", "/apis/apps/v1"), true, ""},
		{"alice reads openapi", nonRes(alice, "get", "/openapi/v3"), true, ""},
		{"alice reads metrics", nonRes(alice, "get", "/metrics"), false, ""},
		{"alice posts to /api", nonRes(alice, "post", "/api"), false, ""},
		{"alice lists pods", res(alice, "list", "", "pods", "", "default", ""), false, ""},

		// anonymous
		{"anonymous reads cluster-info", res(anonymousU, "get", "", "configmaps", "", "kube-public", "cluster-info"), true, ""},
		{"anonymous reads another ConfigMap", res(anonymousU, "get", "", "configmaps", "", "kube-public", "other"), false, ""},
		{"anonymous lists kube-public", res(anonymousU, "list", "", "configmaps", "", "kube-public", ""), false, ""},
		{"anonymous discovers", nonRes(anonymousU, "get", "/api"), false, ""},

		// bootstrappers
		{"bootstrapper creates a CSR", res(bootstrapper, "create", "certificates.k8s.io", "certificatesigningrequests", "", "", ""), true, ""},
		{"bootstrapper watches its CSR", res(bootstrapper, "watch", "certificates.k8s.io", "certificatesigningrequests", "", "", "node-csr-1"), true, ""},
		{"bootstrapper approves", res(bootstrapper, "update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "node-csr-1"), false, ""},
		{"bootstrapper reads a node", res(bootstrapper, "get", "", "nodes", "", "", "n1"), false, ""},
		{"bootstrapper discovers", nonRes(bootstrapper, "get", "/apis"), true, ""},

		// nodes: their own objects
		{"node registers", res(node1, "create", "", "nodes", "", "", ""), true, ""},
		{"node updates its status", res(node1, "update", "", "nodes", "status", "", "n1"), true, ""},
		{"node patches a node (admission keeps it to its own)", res(node1, "patch", "", "nodes", "", "", "n2"), true, ""},
		{"node deletes a node", res(node1, "delete", "", "nodes", "", "", "n1"), false, ""},
		{"node lists nodes", res(node1, "list", "", "nodes", "", "", ""), true, ""},
		{"node gets its lease", res(node1, "get", "coordination.k8s.io", "leases", "", "kube-node-lease", "n1"), true, ""},
		{"node creates a lease", res(node1, "create", "coordination.k8s.io", "leases", "", "kube-node-lease", ""), true, ""},
		{"node updates another node's lease", res(node1, "update", "coordination.k8s.io", "leases", "", "kube-node-lease", "n2"), false, "can only access node lease with the same name as the requesting node"},
		{"node updates a lease elsewhere", res(node1, "update", "coordination.k8s.io", "leases", "", "kube-system", "n1"), false, `can only access leases in the "kube-node-lease" system namespace`},
		{"node lists leases", res(node1, "list", "coordination.k8s.io", "leases", "", "kube-node-lease", ""), false, "can only get, create, update, patch, or delete a node lease"},
		{"node updates pod status", res(node1, "update", "", "pods", "status", "default", "web"), true, ""},
		{"node deletes a pod", res(node1, "delete", "", "pods", "", "default", "web"), true, ""},
		{"node creates a pod", res(node1, "create", "", "pods", "", "default", ""), false, ""},
		{"node updates a pod's spec", res(node1, "update", "", "pods", "", "default", "web"), false, ""},
		{"node binds a pod", res(node1, "create", "", "pods", "binding", "default", "web"), false, ""},
		{"node execs", res(node1, "create", "", "pods", "exec", "default", "web"), false, ""},
		{"node records an event", res(node1, "create", "", "events", "", "default", ""), true, ""},
		{"node patches an events.k8s.io event", res(node1, "patch", "events.k8s.io", "events", "", "default", "e"), true, ""},
		{"node asks for a certificate", res(node1, "create", "certificates.k8s.io", "certificatesigningrequests", "", "", ""), true, ""},
		{"node approves a certificate", res(node1, "update", "certificates.k8s.io", "certificatesigningrequests", "approval", "", "x"), false, ""},
		{"node watches endpointslices", res(node1, "watch", "discovery.k8s.io", "endpointslices", "", "", ""), true, ""},
		{"node lists services", res(node1, "list", "", "services", "", "", ""), true, ""},
		{"node creates a service", res(node1, "create", "", "services", "", "default", ""), false, ""},
		{"node deletes a namespace", res(node1, "delete", "", "namespaces", "", "", "default"), false, ""},
		{"node reads metrics", nonRes(node1, "get", "/metrics"), false, ""},
		{"node discovers", nonRes(node1, "get", "/api/v1"), true, ""},

		// nodes: secrets and config maps their pods use
		{"node gets a mounted secret", res(node1, "get", "", "secrets", "", "default", "mounted"), true, ""},
		{"node gets an env secret", res(node1, "get", "", "secrets", "", "default", "env-secret"), true, ""},
		{"node gets an init container's secret", res(node1, "get", "", "secrets", "", "default", "init-secret"), true, ""},
		{"node gets an image pull secret", res(node1, "get", "", "secrets", "", "default", "pull"), true, ""},
		{"node gets a projected secret", res(node1, "get", "", "secrets", "", "default", "projected-secret"), true, ""},
		{"node gets a CSI secret", res(node1, "get", "", "secrets", "", "default", "csi-secret"), true, ""},
		{"node watches one mounted secret", res(node1, "watch", "", "secrets", "", "default", "mounted"), true, ""},
		{"node gets another node's pod's secret", res(node1, "get", "", "secrets", "", "default", "db-secret"), false, noRel},
		{"node gets a secret of the same name elsewhere", res(node1, "get", "", "secrets", "", "other", "mounted"), false, noRel},
		{"node lists secrets", res(node1, "list", "", "secrets", "", "default", ""), false, "No Object name found"},
		{"node lists secrets everywhere", res(node1, "list", "", "secrets", "", "", ""), false, "can only read namespaced object of this type"},
		{"node updates a secret", res(node1, "update", "", "secrets", "", "default", "mounted"), false, "can only read resources of this type"},
		{"node gets an env config map", res(node1, "get", "", "configmaps", "", "default", "env-config"), true, ""},
		{"node gets a projected config map", res(node1, "get", "", "configmaps", "", "default", "projected-config"), true, ""},
		{"node gets a config map no pod uses", res(node1, "get", "", "configmaps", "", "default", "mounted"), false, noRel},
		{"node gets cluster-info", res(node1, "get", "", "configmaps", "", "kube-public", "cluster-info"), false, noRel},

		// nodes: claims and volumes
		{"node gets its pod's claim", res(node1, "get", "", "persistentvolumeclaims", "", "default", "data"), true, ""},
		{"node gets its pod's ephemeral claim", res(node1, "get", "", "persistentvolumeclaims", "", "default", "web-scratch"), true, ""},
		{"node gets another node's claim", res(node1, "get", "", "persistentvolumeclaims", "", "default", "db-data"), false, noRel},
		{"node lists claims", res(node1, "list", "", "persistentvolumeclaims", "", "default", ""), false, "can only get individual resources of this type"},
		{"node updates its pod's claim status", res(node1, "update", "", "persistentvolumeclaims", "status", "default", "data"), true, ""},
		{"node gets a claim's status", res(node1, "get", "", "persistentvolumeclaims", "status", "default", "data"), false, "can only get/update/patch this type"},
		{"node gets its pod's volume", res(node1, "get", "", "persistentvolumes", "", "", "pv-data"), true, ""},
		{"node gets another node's volume (the reclaimer reads all)", res(node1, "get", "", "persistentvolumes", "", "", "pv-db"), true, ""},
		{"node lists volumes", res(node1, "list", "", "persistentvolumes", "", "", ""), true, ""},
		{"node deletes a volume (admission checks which)", res(node1, "delete", "", "persistentvolumes", "", "", "pv-data"), true, ""},
		{"node creates a volume", res(node1, "create", "", "persistentvolumes", "", "", ""), false, "can only read, update or delete resources of this type"},
		{"node updates a volume's status", res(node1, "update", "", "persistentvolumes", "status", "", "pv-data"), false, "cannot access subresource"},

		// identities that are not quite nodes
		{"nodes group without a node name", res(nameless, "get", "", "nodes", "", "", "n1"), false, `unknown node for user "system:node:"`},
		{"node name without the nodes group", res(&user.Info{Name: "system:node:n1", Groups: []string{user.AllAuthenticated}}, "get", "", "nodes", "", "", "n1"), false, ""},
	}
	z := NewAuthorizer(testObjects())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.attrs.ResourceRequest = tc.attrs.Path == ""
			allowed, reason, err := z.Authorize(context.Background(), tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != tc.allowed || reason != tc.reason {
				t.Fatalf("got %v %q, want %v %q", allowed, reason, tc.allowed, tc.reason)
			}
		})
	}
}

func TestAuthorizeReportsLookupFailures(t *testing.T) {
	z := NewAuthorizer(&fakeObjects{err: errors.New("etcd is down")})
	_, _, err := z.Authorize(context.Background(), res(node1, "get", "", "secrets", "", "default", "s"))
	if err == nil || !strings.Contains(err.Error(), "etcd is down") {
		t.Fatalf("err = %v, want the lookup failure", err)
	}
}

func TestForbiddenMessages(t *testing.T) {
	cases := []struct {
		attrs  *Attributes
		reason string
		want   string
	}{
		{res(node1, "get", "", "secrets", "", "default", "db"), "no relationship found between node 'n1' and this object",
			`secrets "db" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`},
		{res(node1, "list", "", "secrets", "", "default", ""), "",
			`secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default"`},
		{res(alice, "update", "apps", "deployments", "scale", "", "web"), "",
			`deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments/scale" in API group "apps" at the cluster scope`},
		{nonRes(alice, "get", "/metrics<script>"), "",
			`forbidden: User "alice" cannot get path "/metrics&lt;script&gt;"`},
	}
	for _, tc := range cases {
		tc.attrs.ResourceRequest = tc.attrs.Path == ""
		err := Forbidden(tc.attrs, tc.reason)
		if err.Error() != tc.want || err.Status().Code != 403 || err.Status().Reason != metav1.StatusReasonForbidden {
			t.Errorf("got %d %s %q\nwant 403 Forbidden %q", err.Status().Code, err.Status().Reason, err.Error(), tc.want)
		}
	}
}
