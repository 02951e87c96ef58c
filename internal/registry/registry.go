package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"ordinal.dev/ordinal/internal/storage"
)

// Registry serves the verbs of every resource on top of the store.
type Registry struct {
	store     *storage.Store
	resources []*Resource
	byGVR     map[schema.GroupVersionResource]*Resource
	byGVK     map[schema.GroupVersionKind]*Resource
	decoders  *decoders
	// Now is the clock; tests replace it.
	Now func() time.Time
	// ServiceIPs allocates cluster IPs and NodePorts allocates node ports for Services.
	ServiceIPs *IPAllocator
	NodePorts  *PortAllocator
}

// Node ports come from upstream's default range, 30000-32767.
const (
	nodePortBase = 30000
	nodePortSize = 2768
)

// New builds a registry of the given resources on store; service cluster IPs come from
// serviceCIDR.
func New(store *storage.Store, resources []*Resource, serviceCIDR *net.IPNet) *Registry {
	r := &Registry{
		store:      store,
		resources:  resources,
		byGVR:      map[schema.GroupVersionResource]*Resource{},
		byGVK:      map[schema.GroupVersionKind]*Resource{},
		decoders:   newDecoders(scheme.Scheme),
		Now:        time.Now,
		ServiceIPs: NewIPAllocator(store, serviceCIDR),
		NodePorts:  NewPortAllocator(store, nodePortBase, nodePortSize),
	}
	for _, res := range resources {
		r.byGVR[res.GroupVersion().WithResource(res.Name)] = res
		r.byGVK[res.GroupVersionKind()] = res
	}
	return r
}

// Resources lists the served resources in a stable order.
func (r *Registry) Resources() []*Resource { return r.resources }

// Lookup finds a served resource.
func (r *Registry) Lookup(group, version, resource string) (*Resource, bool) {
	res, ok := r.byGVR[schema.GroupVersionResource{Group: group, Version: version, Resource: resource}]
	return res, ok
}

// Store is the storage underneath.
func (r *Registry) Store() *storage.Store { return r.store }

// setKind stamps obj with its resource's apiVersion and kind, which storage does not keep on
// decoded objects.
func setKind(res *Resource, obj runtime.Object) {
	obj.GetObjectKind().SetGroupVersionKind(res.GroupVersionKind())
}

// apiError turns a storage error into the Status a client expects.
func apiError(res *Resource, name string, err error) error {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	gr := res.GroupResource()
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return apierrors.NewNotFound(gr, name)
	case errors.Is(err, storage.ErrAlreadyExists):
		return apierrors.NewAlreadyExists(gr, name)
	case errors.Is(err, storage.ErrConflict):
		return apierrors.NewConflict(gr, name, errors.New(registryConflictMsg))
	case errors.Is(err, storage.ErrExpired):
		return apierrors.NewResourceExpired("The resourceVersion for the provided list is too old.")
	case errors.Is(err, storage.ErrBadContinue):
		return apierrors.NewBadRequest(err.Error())
	case errors.Is(err, storage.ErrTooLargeRevision):
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusGatewayTimeout, Reason: metav1.StatusReasonTimeout,
			Message: "Too large resource version",
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeResourceVersionTooLarge, Message: "Too large resource version"}}, RetryAfterSeconds: 1},
		}}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError(fmt.Sprintf("request for %s %q did not finish in time", gr, name), 1)
	}
	return apierrors.NewInternalError(err)
}

const registryConflictMsg = "the object has been modified; please apply your changes to the latest version and try again"

var errConflict = errors.New(registryConflictMsg)

func accessor(obj runtime.Object) metav1.Object {
	acc, err := meta.Accessor(obj)
	if err != nil {
		// Every served type has ObjectMeta; anything else is a programming error.
		panic(fmt.Sprintf("registry: %T has no ObjectMeta: %v", obj, err))
	}
	return acc
}
