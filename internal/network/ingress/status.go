package ingress

import (
	"context"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// planStatus decides an Ingress's status.loadBalancer: ours gets the published address;
// one that is not ours loses it only if it lists nothing but our address (so a status
// another controller wrote is never touched). changed is false when no write is needed.
func planStatus(current networkingv1.IngressLoadBalancerStatus, ours bool, published networkingv1.IngressLoadBalancerStatus) (next networkingv1.IngressLoadBalancerStatus, changed bool) {
	if ours {
		return published, !apiequality.Semantic.DeepEqual(current, published)
	}
	if len(current.Ingress) == 0 || len(published.Ingress) == 0 {
		return current, false
	}
	for _, lb := range current.Ingress {
		if lb.IP != published.Ingress[0].IP || lb.Hostname != "" {
			return current, false
		}
	}
	return networkingv1.IngressLoadBalancerStatus{}, true
}

// publishedStatus is what ours get: the proxy's IP and its two ports.
func publishedStatus(ip string, httpPort, httpsPort int32) networkingv1.IngressLoadBalancerStatus {
	var ports []networkingv1.IngressPortStatus
	for _, p := range []int32{httpPort, httpsPort} {
		if p != 0 {
			ports = append(ports, networkingv1.IngressPortStatus{Port: p, Protocol: corev1.ProtocolTCP})
		}
	}
	return networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: ip, Ports: ports}}}
}

// syncStatus writes the status of the Ingress namespace/name when it differs from the plan.
func (c *Controller) syncStatus(ctx context.Context, key string) error {
	published := c.published.Load()
	if published == nil {
		return nil // not listening yet; Start queues every Ingress once it is
	}
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	ing, err := c.ingresses.Ingresses(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.announce(key, nil)
		return nil
	}
	if err != nil {
		return err
	}
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		return err
	}
	ours := isOurs(ing, classes)
	if ours {
		c.announce(key, ing)
	} else {
		c.announce(key, nil)
	}
	next, changed := planStatus(ing.Status.LoadBalancer, ours, *published)
	if !changed {
		return nil
	}
	ing = ing.DeepCopy()
	ing.Status.LoadBalancer = next
	_, err = c.client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (c *Controller) processStatus(ctx context.Context) bool {
	key, quit := c.statusQueue.Get()
	if quit {
		return false
	}
	defer c.statusQueue.Done(key)
	if err := c.syncStatus(ctx, key); err != nil {
		level := slog.LevelWarn
		if apierrors.IsConflict(err) {
			// Our cache was behind a write: the update event queues it again.
			level = slog.LevelDebug
		}
		slog.Log(ctx, level, "ingress: updating status", "ingress", key, "err", err)
		c.statusQueue.AddRateLimited(key)
		return true
	}
	c.statusQueue.Forget(key)
	return true
}

// enqueueAllStatus queues every Ingress: a class change may move many to or from us.
func (c *Controller) enqueueAllStatus() {
	all, _ := c.ingresses.List(labels.Everything())
	for _, ing := range all {
		c.statusQueue.Add(objectKey(ing.Namespace, ing.Name))
	}
}

// announce records a Sync event for each new generation of an Ingress that is ours, as
// ingress-nginx does when it takes an Ingress into its configuration; nil forgets key.
func (c *Controller) announce(key string, ing *networkingv1.Ingress) {
	c.announcedMu.Lock()
	defer c.announcedMu.Unlock()
	if ing == nil {
		delete(c.announced, key)
		return
	}
	if gen, ok := c.announced[key]; ok && gen == ing.Generation {
		return
	}
	c.announced[key] = ing.Generation
	c.recorder.Event(ing, corev1.EventTypeNormal, "Sync", "Scheduled for sync")
}
