package defaults

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// DefaultRoleBinding points a role reference without an API group at RBAC's
// own group and gives user and group subjects that group too.
func DefaultRoleBinding(rb *rbacv1.RoleBinding) {
	defaultRoleRef(&rb.RoleRef)
	defaultSubjects(rb.Subjects)
}

// DefaultClusterRoleBinding is DefaultRoleBinding for cluster bindings.
func DefaultClusterRoleBinding(crb *rbacv1.ClusterRoleBinding) {
	defaultRoleRef(&crb.RoleRef)
	defaultSubjects(crb.Subjects)
}

func defaultRoleRef(ref *rbacv1.RoleRef) {
	if ref.APIGroup == "" {
		ref.APIGroup = rbacv1.GroupName
	}
}

// defaultSubjects gives User and Group subjects the RBAC group. Service
// accounts stay in the core group, whose name is the empty string.
func defaultSubjects(subjects []rbacv1.Subject) {
	for i := range subjects {
		s := &subjects[i]
		if s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}
