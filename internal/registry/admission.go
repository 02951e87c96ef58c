package registry

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
)

// Operation names the kind of write admission sees, with upstream's admission.Operation names.
type Operation string

// The operations admission sees.
const (
	OperationCreate Operation = "CREATE"
	OperationUpdate Operation = "UPDATE"
	OperationDelete Operation = "DELETE"
)

// AdmissionAttributes describe one write to an admission check.
type AdmissionAttributes struct {
	Operation       Operation
	Resource        *Resource
	Subresource     string // "" for the main resource, "status", "approval", ...
	Namespace, Name string
	// Object is what is about to be stored (nil on delete); OldObject is what is stored now
	// (nil on create). Both are read-only to the check.
	Object, OldObject runtime.Object
}

// AdmitFunc may refuse a write with an API error (a Forbidden, usually), the way upstream's
// admission plugins do after authorization: it sees the object being written, which the
// authorizer does not (a node may create only its own Node, update only the status of pods
// bound to it).
type AdmitFunc func(ctx context.Context, a AdmissionAttributes) error

type admissionKey struct{}

// WithAdmission returns ctx carrying the admission check for the writes made with it. The
// apiserver sets it per request, from who made the request; writes without one are admitted.
func WithAdmission(ctx context.Context, admit AdmitFunc) context.Context {
	return context.WithValue(ctx, admissionKey{}, admit)
}

// admit runs the request's admission check, if it has one.
func admit(ctx context.Context, a AdmissionAttributes) error {
	if f, ok := ctx.Value(admissionKey{}).(AdmitFunc); ok && f != nil {
		return f(ctx, a)
	}
	return nil
}
