package garbagecollector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/lru"
)

// absentOwnerCacheSize bounds the memory of owners known to be absent. A UID never comes
// back once gone, so an entry never goes stale; the bound only limits how many repeated
// GETs it saves.
const absentOwnerCacheSize = 1000

// GarbageCollector deletes dependents whose owners are gone and finishes foreground and
// orphan deletions.
type GarbageCollector struct {
	metadata  metadata.Interface
	resources resourceMap
	informers []cache.SharedIndexInformer
	graph     *graph
	// absentOwners remembers owner references found absent by a live GET, keyed by
	// absentOwner, so that many dependents of one deleted owner cost one GET.
	absentOwners *lru.Cache
	queue        workqueue.TypedRateLimitingInterface[types.UID]
}

// absentOwner is the key of the absent-owner cache: the owner as its reference resolves.
type absentOwner struct {
	resource  schema.GroupResource
	namespace string
	name      string
	uid       types.UID
}

// New discovers the resources the server serves and builds a collector that watches every
// one that supports list, watch and delete, through metadata-only informers of client.
// Nothing runs until Run.
func New(client metadata.Interface, disc discovery.DiscoveryInterface) (*GarbageCollector, error) {
	watched, resources, err := discoverResources(disc)
	if err != nil {
		return nil, err
	}
	gc := &GarbageCollector{
		metadata:     client,
		resources:    resources,
		graph:        newGraph(),
		absentOwners: lru.New(absentOwnerCacheSize),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[types.UID](),
			workqueue.TypedRateLimitingQueueConfig[types.UID]{Name: "garbagecollector"}),
	}
	for _, res := range watched {
		informer := metadatainformer.NewFilteredMetadataInformer(client, res.gvr, metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
		if _, err := informer.AddEventHandler(gc.handlerFor(res.gvr)); err != nil {
			return nil, err
		}
		gc.informers = append(gc.informers, informer)
	}
	return gc, nil
}

// handlerFor feeds one resource's events into the graph and queues what they affect.
func (gc *GarbageCollector) handlerFor(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	observe := func(obj any) {
		if m, err := meta.Accessor(obj); err == nil {
			gc.enqueue(gc.graph.observe(gvr, m))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: observe,
		UpdateFunc: func(oldObj, newObj any) {
			// A relist can report an object deleted and re-created under the same name as an
			// update; to the graph those are two objects.
			oldMeta, err1 := meta.Accessor(oldObj)
			newMeta, err2 := meta.Accessor(newObj)
			if err1 == nil && err2 == nil && oldMeta.GetUID() != newMeta.GetUID() {
				gc.enqueue(gc.graph.forget(oldMeta.GetUID()))
			}
			observe(newObj)
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if m, err := meta.Accessor(obj); err == nil {
				gc.enqueue(gc.graph.forget(m.GetUID()))
			}
		},
	}
}

func (gc *GarbageCollector) enqueue(uids []types.UID) {
	for _, uid := range uids {
		gc.queue.Add(uid)
	}
}

// Run watches and collects until ctx ends. Workers start once every informer has listed,
// so that the first decisions see the whole graph: after a restart the state is rebuilt from
// the lists, and an owner that went away meanwhile is found absent by its dependents.
func (gc *GarbageCollector) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	var wg sync.WaitGroup
	synced := make([]cache.InformerSynced, 0, len(gc.informers))
	for _, informer := range gc.informers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			informer.Run(ctx.Done())
		}()
		synced = append(synced, informer.HasSynced)
	}
	if cache.WaitForCacheSync(ctx.Done(), synced...) {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait.UntilWithContext(ctx, gc.worker, time.Second)
			}()
		}
	}
	<-ctx.Done()
	gc.queue.ShutDown()
	wg.Wait()
}

func (gc *GarbageCollector) worker(ctx context.Context) {
	for gc.processNext(ctx) {
	}
}

func (gc *GarbageCollector) processNext(ctx context.Context) bool {
	uid, quit := gc.queue.Get()
	if quit {
		return false
	}
	defer gc.queue.Done(uid)
	if err := gc.sync(ctx, uid); err != nil {
		slog.Warn("garbage collector", "uid", uid, "err", err)
		gc.queue.AddRateLimited(uid)
		return true
	}
	gc.queue.Forget(uid)
	return true
}

// sync looks at one object: as an owner if it is being deleted, else as a dependent.
func (gc *GarbageCollector) sync(ctx context.Context, uid types.UID) error {
	n, ok := gc.graph.get(uid)
	if !ok {
		return nil
	}
	if n.deleting {
		return gc.syncOwner(ctx, n)
	}
	if len(n.owners) == 0 {
		return nil
	}
	return gc.syncDependent(ctx, n)
}

// syncOwner carries out the orphan or foreground policy of an owner being deleted.
func (gc *GarbageCollector) syncOwner(ctx context.Context, n node) error {
	owner, ok := gc.graph.owner(n.id.uid)
	if !ok {
		return nil
	}
	act := PlanOwner(owner)
	var errs []error
	for _, dep := range act.Orphan {
		d, ok := gc.graph.get(dep)
		if !ok {
			continue
		}
		if err := gc.removeOwnerRefs(ctx, d.id, []types.UID{n.id.uid}); err != nil {
			errs = append(errs, fmt.Errorf("orphaning %s: %w", describe(d.id), err))
		}
	}
	if len(errs) > 0 {
		return utilerrors.NewAggregate(errs)
	}
	gc.enqueue(act.AttemptToDelete)
	if act.RemoveFinalizer != "" {
		if err := gc.removeFinalizer(ctx, n.id, act.RemoveFinalizer); err != nil {
			return fmt.Errorf("removing finalizer %s from %s: %w", act.RemoveFinalizer, describe(n.id), err)
		}
	}
	return nil
}

// syncDependent deletes a dependent whose owners are all absent or deleting their
// dependents, or removes the references to such owners while another owner exists.
func (gc *GarbageCollector) syncDependent(ctx context.Context, n node) error {
	dep := Dependent{Deleting: n.deleting, Finalizers: n.finalizers}
	for _, ref := range n.owners {
		status, err := gc.ownerStatus(ctx, n.id, ref)
		if err != nil {
			return fmt.Errorf("%s: %w", describe(n.id), err)
		}
		if status == OwnerUnresolvable {
			slog.Warn("garbage collector: cluster-scoped object refers to a namespaced owner; leaving it alone",
				"object", describe(n.id), "owner", ref.Kind+"/"+ref.Name)
		}
		dep.Owners = append(dep.Owners, OwnerRef{UID: ref.UID, Status: status})
	}
	dep.HasDependents, dep.DependentDeletingDependents = gc.graph.dependentsState(n.id.uid)
	act := PlanDependent(dep)
	if len(act.RemoveOwnerRefs) > 0 {
		if err := gc.removeOwnerRefs(ctx, n.id, act.RemoveOwnerRefs); err != nil {
			return fmt.Errorf("removing owner references from %s: %w", describe(n.id), err)
		}
	}
	if act.UnblockOwnerRefs {
		if err := gc.unblockOwnerRefs(ctx, n.id); err != nil {
			return fmt.Errorf("unblocking owner references of %s: %w", describe(n.id), err)
		}
	}
	if act.Delete {
		slog.Debug("garbage collector: deleting", "object", describe(n.id), "propagation", act.Propagation)
		if err := gc.deleteObject(ctx, n, act.Propagation); err != nil {
			return fmt.Errorf("deleting %s: %w", describe(n.id), err)
		}
	}
	return nil
}

// ownerStatus finds out what ref, an owner reference of the object dep, points at. An owner
// the graph has observed under the reference's name is trusted to exist: if it has just
// gone, its delete event brings dep back here. Absence is only ever concluded from a live GET.
func (gc *GarbageCollector) ownerStatus(ctx context.Context, dep objectID, ref metav1.OwnerReference) (OwnerStatus, error) {
	res, err := gc.resources.lookup(ref.APIVersion, ref.Kind)
	if err != nil {
		return 0, err
	}
	namespace := ""
	if res.namespaced {
		if dep.namespace == "" {
			return OwnerUnresolvable, nil
		}
		namespace = dep.namespace
	}
	if o, ok := gc.graph.get(ref.UID); ok && o.id.resource.GroupResource() == res.gvr.GroupResource() &&
		o.id.namespace == namespace && o.id.name == ref.Name {
		return statusOf(o.deleting, o.finalizers), nil
	}
	key := absentOwner{resource: res.gvr.GroupResource(), namespace: namespace, name: ref.Name, uid: ref.UID}
	if _, absent := gc.absentOwners.Get(key); absent {
		return OwnerAbsent, nil
	}
	live, err := gc.metadata.Resource(res.gvr).Namespace(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && live.UID != ref.UID) {
		gc.absentOwners.Add(key, struct{}{})
		return OwnerAbsent, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up owner %s %s: %w", ref.Kind, ref.Name, err)
	}
	return statusOf(live.DeletionTimestamp != nil, live.Finalizers), nil
}

func statusOf(deleting bool, finalizers []string) OwnerStatus {
	n := node{observed: true, deleting: deleting, finalizers: finalizers}
	if n.deletingDependents() {
		return OwnerDeletingDependents
	}
	return OwnerExists
}

func describe(id objectID) string {
	if id.namespace == "" {
		return id.resource.Resource + "/" + id.name
	}
	return id.resource.Resource + " " + id.namespace + "/" + id.name
}
