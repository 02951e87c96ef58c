// Package testkubelet plays the scheduler and the kubelet in controller integration
// tests, where no agent runs: it binds new pods to one node, reports them Running (and
// Ready when the test wants), and finishes graceful deletions at once.
package testkubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Kubelet runs pods on Node, as far as the API can tell.
type Kubelet struct {
	client kubernetes.Interface
	Node   string
	lister corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]

	mu        sync.Mutex
	autoReady func(*v1.Pod) bool
}

// Start runs a kubelet until ctx ends. Pods become Ready as soon as they run unless
// SetAutoReady says otherwise.
func Start(ctx context.Context, client kubernetes.Interface, node string) *Kubelet {
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().Pods()
	k := &Kubelet{
		client: client, Node: node, lister: informer.Lister(),
		queue:     workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		autoReady: func(*v1.Pod) bool { return true },
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	_, _ = informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
	}()
	for range 8 {
		go k.worker(ctx)
	}
	return k
}

// SetAutoReady decides which pods become Ready when they start; the others stay
// Running and not ready until MakeReady.
func (k *Kubelet) SetAutoReady(f func(*v1.Pod) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.autoReady = f
}

func (k *Kubelet) worker(ctx context.Context) {
	for {
		key, quit := k.queue.Get()
		if quit {
			return
		}
		// A conflict or a vanished pod comes back as an informer event.
		if err := k.handle(ctx, key); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			k.queue.AddRateLimited(key)
		} else {
			k.queue.Forget(key)
		}
		k.queue.Done(key)
	}
}

func (k *Kubelet) handle(ctx context.Context, key string) error {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	pod, err := k.lister.Pods(ns).Get(name)
	if err != nil {
		return nil
	}
	pods := k.client.CoreV1().Pods(ns)
	switch {
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		return pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	case pod.Spec.NodeName == "":
		return pods.Bind(ctx, &v1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, UID: pod.UID},
			Target:     v1.ObjectReference{Kind: "Node", Name: k.Node},
		}, metav1.CreateOptions{})
	case pod.Status.Phase == "" || pod.Status.Phase == v1.PodPending:
		k.mu.Lock()
		ready := k.autoReady(pod)
		k.mu.Unlock()
		_, err := pods.UpdateStatus(ctx, running(pod, ready), metav1.UpdateOptions{})
		return err
	}
	return nil
}

// MakeReady makes one running, not ready pod matching selector Ready, waiting for one
// to exist, and returns its name.
func (k *Kubelet) MakeReady(ctx context.Context, namespace string, selector labels.Selector) (string, error) {
	var name string
	err := wait.PollUntilContextCancel(ctx, 5*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pods, err := k.lister.Pods(namespace).List(selector)
		if err != nil {
			return false, err
		}
		for _, p := range pods {
			if p.DeletionTimestamp != nil || p.Status.Phase != v1.PodRunning || isReady(p) {
				continue
			}
			// A stale cache entry fails with a conflict: try another pod.
			if _, err := k.client.CoreV1().Pods(namespace).UpdateStatus(ctx, running(p, true), metav1.UpdateOptions{}); err == nil {
				name = p.Name
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("no pod matching %s to make ready: %w", selector, err)
	}
	return name, nil
}

func isReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// running is pod as a kubelet reports it once its containers run.
func running(pod *v1.Pod, ready bool) *v1.Pod {
	p := pod.DeepCopy()
	now := metav1.Now()
	status := v1.ConditionFalse
	if ready {
		status = v1.ConditionTrue
	}
	p.Status.Phase = v1.PodRunning
	p.Status.StartTime = &now
	p.Status.Conditions = []v1.PodCondition{
		{Type: v1.PodScheduled, Status: v1.ConditionTrue, LastTransitionTime: now},
		{Type: v1.PodInitialized, Status: v1.ConditionTrue, LastTransitionTime: now},
		{Type: v1.ContainersReady, Status: status, LastTransitionTime: now},
		{Type: v1.PodReady, Status: status, LastTransitionTime: now},
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, v1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: ready, Started: &ready,
			State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return p
}
