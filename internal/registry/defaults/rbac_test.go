package defaults

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestDefaultRoleBinding(t *testing.T) {
	assertDefaulted[rbacv1.RoleBinding](t, `
metadata: {name: read-pods}
roleRef: {kind: Role, name: pod-reader}
subjects:
- {kind: User, name: jane}
- {kind: Group, name: devs}
- {kind: ServiceAccount, name: default, namespace: default}
- {kind: User, name: bob, apiGroup: example.com}
`, `
metadata: {name: read-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
- {kind: ServiceAccount, name: default, namespace: default}
- {kind: User, name: bob, apiGroup: example.com}
`)
}

func TestDefaultClusterRoleBinding(t *testing.T) {
	assertDefaulted[rbacv1.ClusterRoleBinding](t, `
metadata: {name: admins}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: admins}
`, `
metadata: {name: admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: admins}
`)
}
