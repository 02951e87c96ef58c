package auth

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"ordinal.dev/ordinal/internal/registry"
)

// RegistryObjects answers authentication's and authorization's lookups from the registry
// directly, so that every apiserver sharing the store decides on current objects without
// informers of its own.
type RegistryObjects struct {
	reg *registry.Registry
}

var _ Objects = RegistryObjects{}

// NewRegistryObjects reads through reg.
func NewRegistryObjects(reg *registry.Registry) RegistryObjects { return RegistryObjects{reg: reg} }

func (o RegistryObjects) get(ctx context.Context, resource, ns, name string) (runtime.Object, error) {
	res, ok := o.reg.Lookup("", "v1", resource)
	if !ok {
		return nil, fmt.Errorf("the registry serves no %s", resource)
	}
	return o.reg.Get(ctx, res, ns, name)
}

// Secret reads a Secret (a SecretGetter for bootstrap tokens).
func (o RegistryObjects) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	obj, err := o.get(ctx, "secrets", ns, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Secret), nil
}

// PodsOnNode lists the pods in ns whose spec.nodeName is node.
func (o RegistryObjects) PodsOnNode(ctx context.Context, ns, node string) ([]*corev1.Pod, error) {
	res, ok := o.reg.Lookup("", "v1", "pods")
	if !ok {
		return nil, fmt.Errorf("the registry serves no pods")
	}
	sel := registry.Selection{Labels: labels.Everything(), Fields: fields.OneTermEqualSelector("spec.nodeName", node)}
	list, err := o.reg.List(ctx, res, ns, registry.ListOptions{Selection: sel})
	if err != nil {
		return nil, err
	}
	items := list.(*corev1.PodList).Items
	pods := make([]*corev1.Pod, len(items))
	for i := range items {
		pods[i] = &items[i]
	}
	return pods, nil
}
