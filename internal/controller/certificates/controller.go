package certificates

import (
	"context"
	"log/slog"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	certificatesinformers "k8s.io/client-go/informers/certificates/v1"
	"k8s.io/client-go/kubernetes"
	certificateslisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// fieldManager names the controller's writes.
const fieldManager = "certificate-controller"

// Controller approves and issues CertificateSigningRequests.
type Controller struct {
	client kubernetes.Interface
	csrs   certificateslisters.CertificateSigningRequestLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
	signer *Signer
	now    func() time.Time
}

// New builds the controller. signer is the cluster CA that issues approved requests (nil:
// approve only, for a process that does not hold the CA key).
func New(client kubernetes.Interface, csrs certificatesinformers.CertificateSigningRequestInformer, signer *Signer) *Controller {
	c := &Controller{
		client: client, csrs: csrs.Lister(), synced: csrs.Informer().HasSynced, signer: signer, now: time.Now,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "certificates"}),
	}
	enqueue := func(obj any) {
		if csr, ok := obj.(*certificatesv1.CertificateSigningRequest); ok {
			c.queue.Add(csr.Name)
		}
	}
	csrs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	})
	return c
}

// Run works until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
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
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	if err := c.sync(ctx, name); err != nil {
		slog.Warn("certificates controller", "csr", name, "err", err)
		c.queue.AddRateLimited(name)
		return true
	}
	c.queue.Forget(name)
	return true
}

// sync takes the next step for one request. The write's own update event brings the request
// back for the step after (approved, then issued).
func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	act, err := Plan(csr, c.signer, c.now())
	if err != nil {
		return err
	}
	csrs := c.client.CertificatesV1().CertificateSigningRequests()
	opts := metav1.UpdateOptions{FieldManager: fieldManager}
	switch {
	case act.Approve != nil:
		csr = csr.DeepCopy()
		csr.Status.Conditions = append(csr.Status.Conditions, *act.Approve)
		_, err = csrs.UpdateApproval(ctx, csr.Name, csr, opts)
	case act.Fail != nil:
		csr = csr.DeepCopy()
		csr.Status.Conditions = append(csr.Status.Conditions, *act.Fail)
		_, err = csrs.UpdateStatus(ctx, csr, opts)
	case act.Certificate != nil:
		csr = csr.DeepCopy()
		csr.Status.Certificate = act.Certificate
		_, err = csrs.UpdateStatus(ctx, csr, opts)
	}
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		// Deleted, or changed since the lister saw it: the informer brings the news.
		return nil
	}
	return err
}
