package printers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

var serviceSpecDoc = corev1.ServiceSpec{}.SwaggerDoc()

var serviceColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Type", "string", serviceSpecDoc["type"]),
	column("Cluster-IP", "string", serviceSpecDoc["clusterIP"]),
	column("External-IP", "string", serviceSpecDoc["externalIPs"]),
	column("Port(s)", "string", serviceSpecDoc["ports"]),
	ageColumn(),
	wideColumn("Selector", "string", serviceSpecDoc["selector"]),
}

func printService(svc *corev1.Service, now time.Time) (metav1.TableRow, error) {
	clusterIP := none
	if len(svc.Spec.ClusterIPs) > 0 {
		clusterIP = svc.Spec.ClusterIPs[0] // "None" for a headless service
	}
	return newRow(svc,
		svc.Name,
		string(svc.Spec.Type),
		clusterIP,
		serviceExternalIP(svc),
		orNone(servicePorts(svc.Spec.Ports)),
		age(svc.CreationTimestamp, now),
		labels.FormatLabels(svc.Spec.Selector),
	), nil
}

// serviceExternalIP is what the service is reachable at from outside:
// its externalIPs, a load balancer's addresses ("<pending>" until it has
// some), or the DNS name of an ExternalName service.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return none
	case corev1.ServiceTypeLoadBalancer:
		ips := loadBalancerAddresses(svc.Status.LoadBalancer.Ingress)
		ips = append(ips, svc.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return unknown
}

// loadBalancerAddresses are the sorted, distinct IPs (or hostnames, for
// entries without an IP) of a load balancer. kubectl's server-side table is
// always built "wide", so the list is never clipped.
func loadBalancerAddresses(ingress []corev1.LoadBalancerIngress) []string {
	set := map[string]bool{}
	for _, in := range ingress {
		switch {
		case in.IP != "":
			set[in.IP] = true
		case in.Hostname != "":
			set[in.Hostname] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// servicePorts is "80/TCP,443:30443/TCP": port, node port when allocated, protocol.
func servicePorts(ports []corev1.ServicePort) string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort > 0 {
			out[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		}
	}
	return strings.Join(out, ",")
}
