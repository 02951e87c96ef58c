package volume

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	volumectl "ordinal.dev/ordinal/internal/controller/volume"
)

// reasonVolumeFailedDelete is upstream's event for a volume whose storage could not be removed.
const reasonVolumeFailedDelete = "VolumeFailedDelete"

// Reclaimer removes the storage of released local-path volumes pinned to one node, then
// their objects.
type Reclaimer struct {
	client      kubernetes.Interface
	node        string
	root        string
	factory     informers.SharedInformerFactory
	volumes     corelisters.PersistentVolumeLister
	synced      cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
}

// NewReclaimer builds the reclaimer of node nodeName, whose local-path volumes live under
// root (its <data-dir>/volumes). It watches PersistentVolumes through its own informer.
func NewReclaimer(client kubernetes.Interface, nodeName, root string) *Reclaimer {
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().PersistentVolumes()
	broadcaster := record.NewBroadcaster()
	r := &Reclaimer{
		client:  client,
		node:    nodeName,
		root:    root,
		factory: factory,
		volumes: informer.Lister(),
		synced:  informer.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "reclaim-" + nodeName}),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: volumectl.Provisioner, Host: nodeName}),
	}
	enqueue := func(obj any) {
		pv, ok := obj.(*corev1.PersistentVolume)
		if ok && volumectl.IsLocalVolume(pv) && volumectl.LocalVolumeNode(pv) == nodeName {
			r.queue.Add(pv.Name)
		}
	}
	informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	return r
}

// Run reclaims volumes until ctx ends.
func (r *Reclaimer) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer r.queue.ShutDown()
	r.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: r.client.CoreV1().Events("")})
	defer r.broadcaster.Shutdown()
	r.factory.Start(ctx.Done())
	defer r.factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), r.synced) {
		return
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for r.processNext(ctx) {
		}
	}, time.Second)
	<-ctx.Done()
}

func (r *Reclaimer) processNext(ctx context.Context) bool {
	name, quit := r.queue.Get()
	if quit {
		return false
	}
	defer r.queue.Done(name)
	if err := r.sync(ctx, name); err != nil {
		level := slog.LevelWarn
		if apierrors.IsConflict(err) {
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "volume reclaimer", "node", r.node, "volume", name, "err", err)
		r.queue.AddRateLimited(name)
		return true
	}
	r.queue.Forget(name)
	return true
}

// sync carries out planReclaim for one volume. Before removing data it re-reads the volume
// and its claim from the API, so a stale cache can never cost a volume still in use.
func (r *Reclaimer) sync(ctx context.Context, name string) error {
	cached, err := r.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if act := planReclaim(cached, r.node); act == (reclaimAction{}) {
		return nil
	}
	pv, err := r.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	act := planReclaim(pv, r.node)
	if act.removeDir {
		if err := r.checkClaimLetGo(ctx, pv); err != nil {
			return err
		}
		if err := removeVolumeDir(r.root, pv); err != nil {
			return r.failed(ctx, pv, err)
		}
	}
	if act.deleteVolume {
		uid := pv.UID
		err := r.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting volume %s: %w", pv.Name, err)
		}
		// The object now waits on its finalizers; the update brings it back here.
		return nil
	}
	if act.dropFinalizer {
		pv = pv.DeepCopy()
		kept := pv.Finalizers[:0]
		for _, f := range pv.Finalizers {
			if f != volumectl.ProvisionerFinalizer {
				kept = append(kept, f)
			}
		}
		pv.Finalizers = kept
		_, err := r.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("removing the finalizer of volume %s: %w", pv.Name, err)
		}
	}
	return nil
}

// checkClaimLetGo reads the volume's claim from the API; an error means it may still hold
// the volume.
func (r *Reclaimer) checkClaimLetGo(ctx context.Context, pv *corev1.PersistentVolume) error {
	ref := pv.Spec.ClaimRef
	if ref == nil {
		return nil
	}
	claim, err := r.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !volumectl.ClaimLetGo(pv, claim) {
		// Retried with back-off: whoever marked the volume released may yet be right.
		return fmt.Errorf("volume %s is released but claim %s/%s still holds it: keeping its data", pv.Name, ref.Namespace, ref.Name)
	}
	return nil
}

// failed reports a directory that could not be removed, as upstream's deleter does: a
// Warning event and phase Failed with the reason; the volume is retried with back-off.
func (r *Reclaimer) failed(ctx context.Context, pv *corev1.PersistentVolume, cause error) error {
	message := cause.Error()
	r.recorder.Event(pv, corev1.EventTypeWarning, reasonVolumeFailedDelete, message)
	if pv.Status.Phase != corev1.VolumeFailed || pv.Status.Message != message {
		pv = pv.DeepCopy()
		if pv.Status.Phase != corev1.VolumeFailed {
			now := metav1.Now()
			pv.Status.LastPhaseTransitionTime = &now
		}
		pv.Status.Phase, pv.Status.Message = corev1.VolumeFailed, message
		if _, err := r.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			slog.Warn("volume reclaimer: cannot mark volume Failed", "volume", pv.Name, "err", err)
		}
	}
	return fmt.Errorf("removing the directory of volume %s: %w", pv.Name, cause)
}
