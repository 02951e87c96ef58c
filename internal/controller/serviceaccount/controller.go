// Package serviceaccount keeps the objects every namespace starts with, as upstream's
// serviceaccount and root-ca-cert-publisher controllers do: a "default" ServiceAccount (pods
// get serviceAccountName default) and the kube-root-ca.crt ConfigMap holding the cluster CA.
package serviceaccount

import (
	"context"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Names upstream uses.
const (
	DefaultServiceAccount = "default"
	RootCAConfigMap       = "kube-root-ca.crt"
	rootCAKey             = "ca.crt"
)

// Action is what a namespace needs.
type Action struct {
	CreateServiceAccount bool
	CreateConfigMap      bool
	UpdateConfigMap      bool
}

// Plan decides, for an active namespace, what is missing: the default ServiceAccount and a
// kube-root-ca.crt ConfigMap with the current CA. Terminating namespaces get nothing.
func Plan(ns *corev1.Namespace, sa *corev1.ServiceAccount, cm *corev1.ConfigMap, caPEM string) Action {
	if ns == nil || ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return Action{}
	}
	return Action{
		CreateServiceAccount: sa == nil,
		CreateConfigMap:      cm == nil,
		UpdateConfigMap:      cm != nil && cm.Data[rootCAKey] != caPEM,
	}
}

// Controller creates the default ServiceAccount and the root CA ConfigMap in every namespace.
type Controller struct {
	client kubernetes.Interface
	ns     corelisters.NamespaceLister
	sa     corelisters.ServiceAccountLister
	cm     corelisters.ConfigMapLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	caPEM  string
}

// New builds the controller; caPEM is the cluster CA certificate published to namespaces.
func New(client kubernetes.Interface, namespaces coreinformers.NamespaceInformer, serviceAccounts coreinformers.ServiceAccountInformer, configMaps coreinformers.ConfigMapInformer, caPEM []byte) *Controller {
	c := &Controller{
		client: client, ns: namespaces.Lister(), sa: serviceAccounts.Lister(), cm: configMaps.Lister(),
		synced: []cache.InformerSynced{namespaces.Informer().HasSynced, serviceAccounts.Informer().HasSynced, configMaps.Informer().HasSynced},
		queue:  workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "serviceaccount"}),
		caPEM:  string(caPEM),
	}
	namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueNamespace(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueNamespace(obj) },
	})
	// Deleting one of the objects brings it back, as upstream.
	owned := cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if m, ok := obj.(metav1.Object); ok && (m.GetName() == DefaultServiceAccount || m.GetName() == RootCAConfigMap) {
				c.queue.Add(m.GetNamespace())
			}
		},
		UpdateFunc: func(_, obj any) {
			if m, ok := obj.(*corev1.ConfigMap); ok && m.Name == RootCAConfigMap {
				c.queue.Add(m.Namespace)
			}
		},
	}
	serviceAccounts.Informer().AddEventHandler(owned)
	configMaps.Informer().AddEventHandler(owned)
	return c
}

func (c *Controller) enqueueNamespace(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.queue.Add(ns.Name)
	}
}

// Run works until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for c.processNext(ctx) {
			}
		}, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key); err != nil {
		slog.Warn("serviceaccount controller", "namespace", key, "err", err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) sync(ctx context.Context, name string) error {
	ns, err := c.ns.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sa, err := c.sa.ServiceAccounts(name).Get(DefaultServiceAccount)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	cm, err := c.cm.ConfigMaps(name).Get(RootCAConfigMap)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	act := Plan(ns, sa, cm, c.caPEM)
	if act.CreateServiceAccount {
		_, err := c.client.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultServiceAccount}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) && !isTerminating(err) {
			return err
		}
	}
	want := map[string]string{rootCAKey: c.caPEM}
	switch {
	case act.CreateConfigMap:
		_, err := c.client.CoreV1().ConfigMaps(name).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMap, Annotations: map[string]string{"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
			Data:       want,
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) && !isTerminating(err) {
			return err
		}
	case act.UpdateConfigMap:
		cm = cm.DeepCopy()
		cm.Data = want
		if _, err := c.client.CoreV1().ConfigMaps(name).Update(ctx, cm, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// isTerminating reports the refusal to create in a namespace that started terminating after
// the informer last saw it.
func isTerminating(err error) bool {
	return apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}
