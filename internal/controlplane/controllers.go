package controlplane

import (
	"context"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"ordinal.dev/ordinal/internal/controller/namespace"
)

// startControllers runs the controllers against the API, as clients like any other.
func (cp *ControlPlane) startControllers(ctx context.Context, client kubernetes.Interface) error {
	md, err := metadata.NewForConfig(cp.RestConfig)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	ns := namespace.New(client, md, factory.Core().V1().Namespaces(), namespace.NamespacedResources(client))
	factory.Start(ctx.Done())
	cp.wg.Add(1)
	go func() {
		defer cp.wg.Done()
		ns.Run(ctx, 2)
	}()
	return nil
}
