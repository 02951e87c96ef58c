package printers

import (
	"strconv"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Upstream describes these columns with the v1beta1 docs; we keep its text.
var endpointSliceDoc = discoveryv1beta1.EndpointSlice{}.SwaggerDoc()

var endpointSliceColumns = []metav1.TableColumnDefinition{
	nameColumn(),
	column("AddressType", "string", endpointSliceDoc["addressType"]),
	column("Ports", "string", endpointSliceDoc["ports"]),
	column("Endpoints", "string", endpointSliceDoc["endpoints"]),
	ageColumn(),
}

func printEndpointSlice(s *discoveryv1.EndpointSlice, now time.Time) (metav1.TableRow, error) {
	return newRow(s,
		s.Name,
		string(s.AddressType),
		firstThree(endpointSlicePorts(s.Ports)),
		firstThree(endpointSliceAddresses(s.Endpoints)),
		age(s.CreationTimestamp, now),
	), nil
}

// endpointSlicePorts are the slice's port numbers; a port without a number
// shows its name, and one with neither shows "*".
func endpointSlicePorts(ports []discoveryv1.EndpointPort) []string {
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		switch {
		case p.Port != nil:
			out = append(out, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			out = append(out, *p.Name)
		default:
			out = append(out, "*")
		}
	}
	return out
}

// endpointSliceAddresses are all addresses of all endpoints, ready or not.
func endpointSliceAddresses(endpoints []discoveryv1.Endpoint) []string {
	var out []string
	for _, e := range endpoints {
		out = append(out, e.Addresses...)
	}
	return out
}
