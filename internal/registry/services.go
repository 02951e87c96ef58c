package registry

import (
	"context"
	"errors"
	"log/slog"
	"net"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func serviceFields(obj runtime.Object) fields.Set {
	svc := obj.(*corev1.Service)
	return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
}

// prepareService allocates the cluster IP (unless headless or ExternalName) and the node
// ports a Service needs, and fills in its IP family fields, as upstream's service REST does.
func prepareService(ctx context.Context, r *Registry, obj runtime.Object) error {
	svc := obj.(*corev1.Service)
	svc.Status = corev1.ServiceStatus{}
	owner := svc.Namespace + "/" + svc.Name
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) > 0 {
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
	path := field.NewPath("spec", "clusterIPs")
	switch svc.Spec.ClusterIP {
	case corev1.ClusterIPNone:
	case "":
		ip, err := r.ServiceIPs.Allocate(ctx, owner)
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		svc.Spec.ClusterIP = ip.String()
	default:
		ip := net.ParseIP(svc.Spec.ClusterIP)
		if ip == nil {
			return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, field.ErrorList{
				field.Invalid(path.Index(0), svc.Spec.ClusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
			})
		}
		if err := r.ServiceIPs.AllocateSpecific(ctx, ip, owner); err != nil {
			return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, field.ErrorList{
				field.Invalid(path, []string{svc.Spec.ClusterIP}, "failed to allocate IP "+svc.Spec.ClusterIP+": "+err.Error()),
			})
		}
	}
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if svc.Spec.IPFamilyPolicy == nil {
		p := corev1.IPFamilyPolicySingleStack
		svc.Spec.IPFamilyPolicy = &p
	}
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			var err error
			if p.NodePort == 0 {
				var port int
				port, err = r.NodePorts.Allocate(ctx, owner)
				p.NodePort = int32(port)
			} else {
				err = r.NodePorts.AllocateSpecific(ctx, int(p.NodePort), owner)
			}
			if err != nil {
				releaseServiceIP(ctx, r, svc)
				return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, field.ErrorList{
					field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, err.Error()),
				})
			}
		}
	}
	return nil
}

// keepServiceAllocations carries the allocated cluster IP and node ports over an update that
// does not mention them (a PUT of a manifest without clusterIP), as upstream does.
func keepServiceAllocations(obj, old runtime.Object) {
	svc, prev := obj.(*corev1.Service), old.(*corev1.Service)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if svc.Spec.ClusterIP == "" && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = prev.Spec.ClusterIP, prev.Spec.ClusterIPs
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = prev.Spec.IPFamilies
	}
	if svc.Spec.IPFamilyPolicy == nil {
		svc.Spec.IPFamilyPolicy = prev.Spec.IPFamilyPolicy
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort != 0 {
			continue
		}
		for _, q := range prev.Spec.Ports {
			if q.Port == p.Port && q.Protocol == p.Protocol {
				p.NodePort = q.NodePort
			}
		}
	}
}

// releaseServiceIP frees what prepareService allocated.
func releaseServiceIP(ctx context.Context, r *Registry, obj runtime.Object) {
	svc := obj.(*corev1.Service)
	ctx = context.WithoutCancel(ctx)
	if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		if err := r.ServiceIPs.Release(ctx, ip); err != nil {
			slog.Warn("releasing service IP", "service", svc.Namespace+"/"+svc.Name, "ip", ip, "err", err)
		}
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			if err := r.NodePorts.Release(ctx, int(p.NodePort)); err != nil && !errors.Is(err, context.Canceled) {
				slog.Warn("releasing node port", "service", svc.Namespace+"/"+svc.Name, "port", p.NodePort, "err", err)
			}
		}
	}
}
