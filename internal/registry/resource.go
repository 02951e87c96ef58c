package registry

import (
	"context"
	"path"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource describes one served resource and its behaviour. The zero value of each hook
// means "no special behaviour".
type Resource struct {
	Group, Version string
	Name           string // plural, e.g. "statefulsets"
	Singular       string
	Kind, ListKind string
	ShortNames     []string
	Categories     []string
	Namespaced     bool

	New     func() runtime.Object
	NewList func() runtime.Object

	// Status: the resource has a status subresource; writes to the main resource keep the
	// stored status and writes to /status keep everything but the status.
	Status bool
	// KeepStatusOnCreate: a create may set the status (nodes, which their agent registers
	// complete with status, as upstream allows).
	KeepStatusOnCreate bool
	// Generation: metadata.generation starts at 1 and grows when the spec changes.
	Generation bool
	// Scale: the resource has a /scale subresource.
	Scale *ScaleAccess
	// Fields returns the resource's field-selectable attributes besides metadata.name and
	// metadata.namespace, which every resource has.
	Fields func(obj runtime.Object) fields.Set
	// DefaultPropagation is the deletion propagation when the client names none.
	DefaultPropagation metav1.DeletionPropagation

	// PrepareForCreate fills in what the server owns on a new object (after defaulting,
	// before validation). It may reject the object with an API error.
	PrepareForCreate func(ctx context.Context, r *Registry, obj runtime.Object) error
	// PrepareForUpdate adjusts an update of the main resource (after the generic copying of
	// server-owned metadata and status).
	PrepareForUpdate func(obj, old runtime.Object)
	// PrepareForStatusUpdate adjusts an update of the status subresource.
	PrepareForStatusUpdate func(obj, old runtime.Object)
	// PrepareForApprovalUpdate, when set, gives the resource an approval subresource
	// (certificatesigningrequests/approval) and adjusts its updates.
	PrepareForApprovalUpdate func(obj, old runtime.Object)
	// AfterCreateFailed undoes what PrepareForCreate reserved when the create did not happen.
	AfterCreateFailed func(ctx context.Context, r *Registry, obj runtime.Object)
	// AfterDelete releases what the object held (e.g. a service's cluster IP).
	AfterDelete func(ctx context.Context, r *Registry, obj runtime.Object)
	// GracefulDelete decides, for a delete, how long the object stays with its
	// deletionTimestamp set before the owner of its lifecycle removes it (pods: until the node
	// agent confirms). ok=false means the object goes at once (subject to finalizers).
	GracefulDelete func(obj runtime.Object, opts *metav1.DeleteOptions) (grace int64, ok bool)
	// AdmitDelete may refuse a delete with an API error (system namespaces cannot go).
	AdmitDelete func(obj runtime.Object) error
	// BeginDelete adjusts an object that is entering deletion (namespaces: phase Terminating).
	BeginDelete func(obj runtime.Object)
	// ReadyToRemove reports whether a deleting object may leave storage; by default when it
	// has no finalizers left.
	ReadyToRemove func(obj runtime.Object) bool
}

// ScaleAccess reads and writes the replica count behind a /scale subresource.
type ScaleAccess struct {
	// Get returns spec replicas, status replicas and the label selector string.
	Get func(obj runtime.Object) (spec, status int32, selector string)
	Set func(obj runtime.Object, replicas int32)
}

// GroupVersion of the resource.
func (r *Resource) GroupVersion() schema.GroupVersion {
	return schema.GroupVersion{Group: r.Group, Version: r.Version}
}

// GroupResource names the resource in errors.
func (r *Resource) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: r.Group, Resource: r.Name}
}

// GroupVersionKind of the resource's objects.
func (r *Resource) GroupVersionKind() schema.GroupVersionKind {
	return r.GroupVersion().WithKind(r.Kind)
}

func (r *Resource) keyPrefix() string {
	if r.Group == "" {
		return "/registry/" + r.Name + "/"
	}
	return "/registry/" + r.Group + "/" + r.Name + "/"
}

// prefix is the key prefix of every object of the resource in namespace ns ("" for all).
func (r *Resource) prefix(ns string) string {
	if !r.Namespaced || ns == "" {
		return r.keyPrefix()
	}
	return r.keyPrefix() + ns + "/"
}

func (r *Resource) key(ns, name string) string {
	if !r.Namespaced {
		return r.keyPrefix() + name
	}
	return r.keyPrefix() + path.Join(ns, name)
}
