package namespace

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// waitInterval is how soon a namespace whose content is still going away is looked at again.
const waitInterval = time.Second

// Controller empties and finalizes deleted namespaces.
type Controller struct {
	client    kubernetes.Interface
	metadata  metadata.Interface
	lister    corelisters.NamespaceLister
	synced    cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
	resources func() ([]schema.GroupVersionResource, error)
}

// New builds the controller. resources lists the namespaced resources that can be deleted
// (from discovery).
func New(client kubernetes.Interface, md metadata.Interface, informer coreinformers.NamespaceInformer, resources func() ([]schema.GroupVersionResource, error)) *Controller {
	c := &Controller{
		client: client, metadata: md, lister: informer.Lister(), synced: informer.Informer().HasSynced,
		queue:     workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"}),
		resources: resources,
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			c.queue.Add(key)
		}
	}
	informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	return c
}

// Run processes namespaces until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	wait, err := c.sync(ctx, key)
	switch {
	case err != nil:
		slog.Warn("namespace controller", "namespace", key, "err", err)
		c.queue.AddRateLimited(key)
	case wait:
		c.queue.Forget(key)
		c.queue.AddAfter(key, waitInterval)
	default:
		c.queue.Forget(key)
	}
	return true
}

// sync runs one step for a namespace and reports whether to come back for it.
func (c *Controller) sync(ctx context.Context, name string) (bool, error) {
	ns, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ns.DeletionTimestamp == nil {
		return false, nil
	}
	gvrs, err := c.resources()
	if err != nil {
		return false, err
	}
	remaining := make(map[schema.GroupVersionResource]int, len(gvrs))
	for _, gvr := range gvrs {
		list, err := c.metadata.Resource(gvr).Namespace(name).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, fmt.Errorf("listing %s in %s: %w", gvr.Resource, name, err)
		}
		remaining[gvr] = len(list.Items)
	}
	act := Plan(ns, remaining)
	background := metav1.DeletePropagationBackground
	for _, gvr := range act.DeleteCollection {
		err := c.metadata.Resource(gvr).Namespace(name).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &background}, metav1.ListOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("deleting %s in %s: %w", gvr.Resource, name, err)
		}
	}
	if act.Finalize {
		ns = ns.DeepCopy()
		ns.Spec.Finalizers = withoutKubernetesFinalizer(ns.Spec.Finalizers)
		if _, err := c.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("finalizing namespace %s: %w", name, err)
		}
	}
	return act.Wait, nil
}

// NamespacedResources returns the namespaced resources that support list and
// deletecollection, from discovery.
func NamespacedResources(client kubernetes.Interface) func() ([]schema.GroupVersionResource, error) {
	return func() ([]schema.GroupVersionResource, error) {
		lists, err := client.Discovery().ServerPreferredNamespacedResources()
		if err != nil {
			return nil, err
		}
		var out []schema.GroupVersionResource
		for _, list := range lists {
			gv, err := schema.ParseGroupVersion(list.GroupVersion)
			if err != nil {
				continue
			}
			for _, r := range list.APIResources {
				if hasVerbs(r.Verbs, "list", "deletecollection") {
					out = append(out, gv.WithResource(r.Name))
				}
			}
		}
		return out, nil
	}
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(verbs, w) {
			return false
		}
	}
	return true
}
