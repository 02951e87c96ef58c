package controlplane

import (
	"context"
	"slices"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"ordinal.dev/ordinal/internal/controller/garbagecollector"
	"ordinal.dev/ordinal/internal/controller/namespace"
	volumectl "ordinal.dev/ordinal/internal/controller/volume"
)

// startControllers runs the controllers against the API, as clients like any other.
func (cp *ControlPlane) startControllers(ctx context.Context, client kubernetes.Interface) error {
	md, err := metadata.NewForConfig(cp.RestConfig)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	ns := namespace.New(client, md, factory.Core().V1().Namespaces(), namespace.NamespacedResources(client))
	gc, err := garbagecollector.New(md, client.Discovery())
	if err != nil {
		return err
	}
	volumes := volumectl.New(client, factory, volumectl.Options{LocalPathRoot: cp.VolumeDir})
	factory.Start(ctx.Done())
	cp.run(func() { volumes.Run(ctx) })
	cp.run(func() { ns.Run(ctx, 2) })
	cp.run(func() { gc.Run(ctx, 5) })
	return nil
}

// run starts fn in a goroutine that Stop waits for.
func (cp *ControlPlane) run(fn func()) {
	cp.wg.Add(1)
	go func() {
		defer cp.wg.Done()
		fn()
	}()
}

func (cp *ControlPlane) enabled(controller string) bool {
	return !slices.Contains(cp.opts.DisableControllers, controller)
}
