package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/controller/certificates"
	"ordinal.dev/ordinal/internal/controller/cronjob"
	"ordinal.dev/ordinal/internal/controller/daemonset"
	"ordinal.dev/ordinal/internal/controller/deployment"
	"ordinal.dev/ordinal/internal/controller/endpoints"
	"ordinal.dev/ordinal/internal/controller/endpointslice"
	"ordinal.dev/ordinal/internal/controller/garbagecollector"
	"ordinal.dev/ordinal/internal/controller/job"
	"ordinal.dev/ordinal/internal/controller/namespace"
	"ordinal.dev/ordinal/internal/controller/nodeipam"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle"
	"ordinal.dev/ordinal/internal/controller/replicaset"
	"ordinal.dev/ordinal/internal/controller/serviceaccount"
	"ordinal.dev/ordinal/internal/controller/statefulset"
	volumectl "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/network/dns"
	"ordinal.dev/ordinal/internal/network/ingress"
	"ordinal.dev/ordinal/internal/scheduler"
)

// startControllers starts the controllers and the scheduler against the API, as clients
// like any other, each in a goroutine started by run; they stop when ctx ends. With leader
// election only the leading server runs them (see leader.go).
func (cp *ControlPlane) startControllers(ctx context.Context, client kubernetes.Interface, run func(func())) error {
	md, err := metadata.NewForConfig(cp.RestConfig)
	if err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	var runs []func()
	if cp.enabled("namespace") {
		ns := namespace.New(client, md, factory.Core().V1().Namespaces(), namespace.NamespacedResources(client))
		runs = append(runs, func() { ns.Run(ctx, 2) })
	}
	if cp.enabled("serviceaccount") {
		// Only the kube-root-ca.crt ConfigMaps: caching every ConfigMap of the cluster for
		// this one name would cost memory in proportion to all of them.
		rootCA := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", serviceaccount.RootCAConfigMap).String()
		}))
		sa := serviceaccount.New(client, factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts(), rootCA.Core().V1().ConfigMaps(), cp.caPEM)
		rootCA.Start(ctx.Done())
		runs = append(runs, func() { sa.Run(ctx, 2) })
	}
	if cp.enabled("garbagecollector") {
		gc, err := garbagecollector.New(md, client.Discovery())
		if err != nil {
			return err
		}
		runs = append(runs, func() { gc.Run(ctx, 5) })
	}
	if cp.enabled("replicaset") {
		rsc, err := replicaset.New(client, factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
		if err != nil {
			return err
		}
		rcm, err := replicaset.NewReplicationManager(client, factory.Core().V1().ReplicationControllers(), factory.Core().V1().Pods())
		if err != nil {
			return err
		}
		runs = append(runs, func() { rsc.Run(ctx, 5) }, func() { rcm.Run(ctx, 5) })
	}
	if cp.enabled("deployment") {
		dc, err := deployment.New(client, factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
		if err != nil {
			return err
		}
		runs = append(runs, func() { dc.Run(ctx, 5) })
	}
	if cp.enabled("statefulset") {
		ssc := statefulset.New(client, factory.Apps().V1().StatefulSets(), factory.Core().V1().Pods(),
			factory.Core().V1().PersistentVolumeClaims(), factory.Apps().V1().ControllerRevisions())
		runs = append(runs, func() { ssc.Run(ctx, 5) })
	}
	if cp.enabled("endpointslice") {
		esc, err := endpointslice.New(client, factory)
		if err != nil {
			return err
		}
		runs = append(runs, func() { esc.Run(ctx, 5) })
	}
	if cp.enabled("endpointslicemirroring") {
		mirror, err := endpointslice.NewMirroring(client, factory)
		if err != nil {
			return err
		}
		runs = append(runs, func() { mirror.Run(ctx, 5) })
	}
	if cp.enabled("endpoints") {
		epc, err := endpoints.New(client, factory)
		if err != nil {
			return err
		}
		runs = append(runs, func() { epc.Run(ctx, 5) })
	}
	if cp.enabled("daemonset") {
		dsc := daemonset.New(client, factory.Apps().V1().DaemonSets(), factory.Apps().V1().ControllerRevisions(),
			factory.Core().V1().Pods(), factory.Core().V1().Nodes(), daemonset.Options{})
		runs = append(runs, func() { dsc.Run(ctx, 2) })
	}
	if cp.enabled("job") {
		jc := job.New(client, factory.Batch().V1().Jobs(), factory.Core().V1().Pods(), job.Options{})
		runs = append(runs, func() { jc.Run(ctx, 5) })
	}
	if cp.enabled("cronjob") {
		cjc := cronjob.New(client, factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), cronjob.Options{})
		runs = append(runs, func() { cjc.Run(ctx, 5) })
	}
	if cp.enabled("scheduler") {
		sched := scheduler.New(client, factory, scheduler.Options{})
		runs = append(runs, func() { sched.Run(ctx) })
	}
	if cp.enabled("nodeipam") {
		ipam, err := nodeipam.New(client, factory.Core().V1().Nodes(), nodeipam.Options{ClusterCIDR: cp.opts.ClusterCIDR})
		if err != nil {
			return err
		}
		runs = append(runs, func() { ipam.Run(ctx) })
	}
	if cp.enabled("volume") {
		volumes := volumectl.New(client, factory, volumectl.Options{LocalPathRoot: cp.VolumeDir, SharedVolumeDirs: sharedDirs(cp.opts.SharedVolumeDir)})
		runs = append(runs, func() { volumes.Run(ctx) })
	}
	if cp.enabled("nodelifecycle") {
		nlc := nodelifecycle.New(client, factory, cp.opts.NodeLifecycle)
		runs = append(runs, func() { nlc.Run(ctx) })
	}
	if cp.enabled("certificates") {
		ca, err := auth.ParseCertificatePEM(cp.caPEM)
		if err != nil {
			return fmt.Errorf("the cluster CA: %w", err)
		}
		csrc := certificates.New(client, factory.Certificates().V1().CertificateSigningRequests(), &certificates.Signer{CA: ca, Key: cp.caKey})
		runs = append(runs, func() { csrc.Run(ctx, 2) })
	}
	// The constructors above register their informers (and indexers, which must be added
	// before an informer runs); start them all once every controller is known.
	factory.Start(ctx.Done())
	for _, fn := range runs {
		run(fn)
	}
	return nil
}

// startServing starts what every server runs whether it leads or not, because it serves
// traffic on this machine: the cluster DNS server and the ingress controller.
func (cp *ControlPlane) startServing(ctx context.Context, client kubernetes.Interface) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	var runs []func()
	if len(cp.opts.DNSListen) > 0 {
		srv, err := dns.New(factory, dns.Options{NameserverIPs: []string{cp.opts.ClusterDNS}})
		if err != nil {
			return err
		}
		runs = append(runs, func() {
			if err := srv.Serve(ctx, cp.opts.DNSListen...); err != nil && ctx.Err() == nil {
				slog.Error("cluster DNS stopped", "err", err)
			}
		})
	}
	var ic *ingress.Controller
	if cp.enabled("ingress") && cp.opts.IngressHTTPAddr != "" {
		var err error
		ic, err = ingress.New(client, factory, ingress.Options{HTTPAddr: cp.opts.IngressHTTPAddr, HTTPSAddr: cp.opts.IngressHTTPSAddr})
		if err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	if ic != nil {
		// Open the ports now so that a busy port fails start-up with a clear error.
		if err := ic.Start(ctx); err != nil {
			return fmt.Errorf("ingress: %w", err)
		}
		runs = append(runs, ic.Wait)
	}
	for _, fn := range runs {
		cp.run(fn)
	}
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

// enabled reports whether a built-in controller runs (Options.DisableControllers).
func (cp *ControlPlane) enabled(controller string) bool {
	return !slices.Contains(cp.opts.DisableControllers, controller)
}

// sharedDirs is the shared volume directory as the volume controller takes it.
func sharedDirs(dir string) []string {
	if dir == "" {
		return nil
	}
	return []string{dir}
}
