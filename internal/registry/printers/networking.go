package printers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var ingressColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
	column("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
	column("Address", "string", "Address is a list containing ingress points for the load-balancer"),
	column("Ports", "string", "Ports of TLS configurations that open"),
	ageColumn(),
}

func printIngress(ing *networkingv1.Ingress, now time.Time) (metav1.TableRow, error) {
	class := none
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	}
	// Ingress serves HTTP on 80, and HTTPS on 443 once any TLS is configured.
	ports := "80"
	if len(ing.Spec.TLS) > 0 {
		ports = "80, 443"
	}
	return newRow(ing,
		ing.Name,
		class,
		ingressHosts(ing.Spec.Rules),
		strings.Join(ingressAddresses(ing.Status.LoadBalancer.Ingress), ","),
		ports,
		age(ing.CreationTimestamp, now),
	), nil
}

// ingressHosts lists the first three hosts named by the rules ("*" when none
// names one). Once three are listed, any further rule, with or without a host,
// makes it "+ N more...", where N counts rules, not hosts: upstream's
// arithmetic, kept so the cell reads the same.
func ingressHosts(rules []networkingv1.IngressRule) string {
	const max = 3
	var hosts []string
	more := false
	for _, r := range rules {
		if len(hosts) == max {
			more = true
			break
		}
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	out := strings.Join(hosts, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", out, len(rules)-max)
	}
	return out
}

// ingressAddresses are the sorted, distinct IPs (or hostnames) the load
// balancer reports; never clipped, since server tables are built wide.
func ingressAddresses(ingress []networkingv1.IngressLoadBalancerIngress) []string {
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

var ingressClassColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("Controller", "string", "Controller that is responsible for handling this class"),
	column("Parameters", "string", "A reference to a resource with additional parameters"),
	ageColumn(),
}

func printIngressClass(ic *networkingv1.IngressClass, now time.Time) (metav1.TableRow, error) {
	// Parameters read "Kind.group/name", like a kubectl resource reference.
	params := none
	if p := ic.Spec.Parameters; p != nil {
		params = p.Kind
		if p.APIGroup != nil {
			params += "." + *p.APIGroup
		}
		params += "/" + p.Name
	}
	return newRow(ic, ic.Name, ic.Spec.Controller, params, age(ic.CreationTimestamp, now)), nil
}
