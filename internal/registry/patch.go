package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// Patch changes ns/name (or its status subresource) by a JSON patch, a JSON merge patch or a
// strategic merge patch. The patch is applied to the stored object, and applied again to the
// fresh object if the object changes concurrently, as upstream does for patches without a
// resourceVersion precondition.
func (r *Registry) Patch(ctx context.Context, res *Resource, ns, name, sub string, pt types.PatchType, patch []byte, fieldValidation string, dryRun bool) (runtime.Object, []string, error) {
	if err := checkPatchType(pt); err != nil {
		return nil, nil, err
	}
	var warnings []string
	out, err := r.write(ctx, res, ns, name, sub, dryRun, func(cur runtime.Object) (runtime.Object, error) {
		original, err := json.Marshal(cur)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		patched, err := applyPatch(pt, original, patch, res.New())
		if err != nil {
			return nil, err
		}
		obj, w, err := r.Decode(res, patched, MediaTypeJSON, fieldValidation)
		if err != nil {
			return nil, err
		}
		warnings = w
		return obj, nil
	})
	return out, warnings, err
}

func checkPatchType(pt types.PatchType) error {
	switch pt {
	case types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType:
		return nil
	}
	return unsupportedPatchType(pt)
}

// applyPatch returns original with patch applied; schema is an empty object of the patched
// type, which carries the merge keys a strategic merge patch needs.
func applyPatch(pt types.PatchType, original, patch []byte, schema runtime.Object) ([]byte, error) {
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		out, err := p.Apply(original)
		if err != nil {
			return nil, unprocessable(err)
		}
		return out, nil
	case types.MergePatchType:
		out, err := jsonpatch.MergePatch(original, patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	case types.StrategicMergePatchType:
		out, err := strategicpatch.StrategicMergePatch(original, patch, schema)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	}
	return nil, unsupportedPatchType(pt)
}

// unprocessable reports a patch that is well-formed but cannot be applied (a failed "test"
// operation, a path that does not exist).
func unprocessable(err error) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("the server rejected our request due to an error in our request: %v", err),
	}}
}

// unsupportedPatchType answers 415 for a patch type the server does not apply (server-side
// apply is not supported yet).
func unsupportedPatchType(pt types.PatchType) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
		Message: fmt.Sprintf("the server does not support patch type %q", pt),
	}}
}
