package auth

import "ordinal.dev/ordinal/internal/apiserver/auth/user"

// Attributes are what authorization decides on: who, which verb, and either a resource (with
// group, namespace, name, subresource) or a non-resource path, as upstream's
// authorizer.Attributes.
type Attributes struct {
	User *user.Info
	// Verb is a resource verb (get, list, watch, create, update, patch, delete,
	// deletecollection) or, for a non-resource request, the lower-case HTTP method.
	Verb string

	ResourceRequest bool
	// Path is the URL path of a non-resource request.
	Path string

	APIGroup, APIVersion string
	Namespace            string
	Resource             string
	Subresource          string
	// Name is the object's name; for a list or watch it is taken from a metadata.name field
	// selector, as upstream does, so that reading one object through a watch is authorized
	// like getting it.
	Name string
}

// resourceIs reports whether the request is for group/resource.
func (a *Attributes) resourceIs(group, resource string) bool {
	return a.ResourceRequest && a.APIGroup == group && a.Resource == resource
}
