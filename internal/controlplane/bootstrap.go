package controlplane

import (
	"context"
	"net"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	volumectl "ordinal.dev/ordinal/internal/controller/volume"
	"ordinal.dev/ordinal/internal/network/ingress"
	"ordinal.dev/ordinal/internal/registry"
)

// systemNamespaces exist in every cluster from the start.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// bootstrap creates the objects a new cluster has; existing ones are left as they are, so it
// is safe on every start.
func bootstrap(ctx context.Context, reg *registry.Registry, clusterDNS, sharedVolumeDir string, caPEM []byte, server string) error {
	for _, name := range systemNamespaces {
		if err := ensure(ctx, reg, "", "namespaces", "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
			return err
		}
	}
	// The default StorageClass is created once; a user who later unmarks it as default
	// keeps that choice across restarts.
	if err := ensure(ctx, reg, "storage.k8s.io", "storageclasses", "", volumectl.DefaultStorageClass()); err != nil {
		return err
	}
	if err := ensure(ctx, reg, "networking.k8s.io", "ingressclasses", "", ingress.DefaultIngressClass()); err != nil {
		return err
	}
	// The class the seeds name for volumes every node can use (NFS-client provisioners').
	if sharedVolumeDir != "" {
		if err := ensure(ctx, reg, "storage.k8s.io", "storageclasses", "", volumectl.SharedPathStorageClass("nfs-client", sharedVolumeDir)); err != nil {
			return err
		}
	}
	// kube-dns names the cluster DNS server, which pods' resolv.conf points at. It has no
	// selector: the server runs inside ordinal, not in pods.
	if err := ensure(ctx, reg, "", "services", metav1.NamespaceSystem, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Labels: map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "kubernetes.io/cluster-service": "true"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: clusterDNS,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)},
			},
		},
	}); err != nil {
		return err
	}
	// kube-public/cluster-info is what a joining agent reads, without credentials, to find
	// the CA it checks against its --ca-cert-hash.
	info, err := auth.ClusterInfoConfigMap(caPEM, server)
	if err != nil {
		return err
	}
	if err := ensure(ctx, reg, "", "configmaps", metav1.NamespacePublic, info); err != nil {
		return err
	}
	// The "kubernetes" Service names the apiserver inside the cluster, at the first address
	// of the service range, as upstream.
	first := firstServiceIP(reg.ServiceIPs.CIDR())
	return ensure(ctx, reg, "", "services", metav1.NamespaceDefault, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			ClusterIP: first,
			Ports:     []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(6443)}},
		},
	})
}

func ensure(ctx context.Context, reg *registry.Registry, group, resource, ns string, obj runtime.Object) error {
	res, _ := reg.Lookup(group, "v1", resource)
	_, err := reg.Get(ctx, res, ns, obj.(metav1.Object).GetName())
	if !apierrors.IsNotFound(err) {
		return err
	}
	_, err = reg.Create(ctx, res, ns, obj, false)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

func firstServiceIP(cidr *net.IPNet) string {
	ip := make(net.IP, 4)
	copy(ip, cidr.IP.To4())
	ip[3]++
	return ip.String()
}
