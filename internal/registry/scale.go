package registry

import (
	"context"
	"encoding/json"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// scaleOf builds the autoscaling/v1 Scale view of a scalable object.
func scaleOf(res *Resource, obj runtime.Object) *autoscalingv1.Scale {
	acc := accessor(obj)
	spec, status, selector := res.Scale.Get(obj)
	return &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: scaleGVK.GroupVersion().String(), Kind: scaleGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: acc.GetName(), Namespace: acc.GetNamespace(), UID: acc.GetUID(),
			ResourceVersion: acc.GetResourceVersion(), CreationTimestamp: acc.GetCreationTimestamp(),
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}
}

// GetScale reads the /scale subresource.
func (r *Registry) GetScale(ctx context.Context, res *Resource, ns, name string) (*autoscalingv1.Scale, error) {
	obj, err := r.Get(ctx, res, ns, name)
	if err != nil {
		return nil, err
	}
	return scaleOf(res, obj), nil
}

// UpdateScale writes spec.replicas through the /scale subresource. A resourceVersion in the
// Scale is a precondition on the scaled object, as upstream.
func (r *Registry) UpdateScale(ctx context.Context, res *Resource, ns, name string, scale *autoscalingv1.Scale, dryRun bool) (*autoscalingv1.Scale, error) {
	return r.writeScale(ctx, res, ns, name, dryRun, func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error) { return scale, nil })
}

// PatchScale patches the /scale subresource.
func (r *Registry) PatchScale(ctx context.Context, res *Resource, ns, name string, pt types.PatchType, patch []byte, dryRun bool) (*autoscalingv1.Scale, error) {
	if err := checkPatchType(pt); err != nil {
		return nil, err
	}
	return r.writeScale(ctx, res, ns, name, dryRun, func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
		original, err := json.Marshal(cur)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		patched, err := applyPatch(pt, original, patch, &autoscalingv1.Scale{})
		if err != nil {
			return nil, err
		}
		out := &autoscalingv1.Scale{}
		if err := json.Unmarshal(patched, out); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	})
}

func (r *Registry) writeScale(ctx context.Context, res *Resource, ns, name string, dryRun bool, change func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error)) (*autoscalingv1.Scale, error) {
	out, err := r.write(ctx, res, ns, name, SubresourceScale, dryRun, func(cur runtime.Object) (runtime.Object, error) {
		scale, err := change(scaleOf(res, cur))
		if err != nil {
			return nil, err
		}
		if scale.Name != "" && scale.Name != name {
			return nil, apierrors.NewBadRequest("the name of the object (" + scale.Name + ") does not match the name on the URL (" + name + ")")
		}
		if scale.ResourceVersion != "" && scale.ResourceVersion != accessor(cur).GetResourceVersion() {
			return nil, apierrors.NewConflict(res.GroupResource(), name, errConflict)
		}
		if scale.Spec.Replicas < 0 {
			return nil, apierrors.NewInvalid(scaleGVK.GroupKind(), name, field.ErrorList{
				field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0"),
			})
		}
		res.Scale.Set(cur, scale.Spec.Replicas)
		return cur, nil
	})
	if err != nil {
		return nil, err
	}
	return scaleOf(res, out), nil
}
