package defaults

import (
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestDefaultEndpointSlice(t *testing.T) {
	assertDefaulted[discoveryv1.EndpointSlice](t, `
metadata: {name: web-abc12}
addressType: IPv4
endpoints:
- addresses: [10.42.0.5]
ports:
- port: 80
- {name: dns, port: 53, protocol: UDP}
`, `
metadata: {name: web-abc12}
addressType: IPv4
endpoints:
- addresses: [10.42.0.5]
  conditions: {}
ports:
- {name: "", port: 80, protocol: TCP}
- {name: dns, port: 53, protocol: UDP}
`)

	slice := &discoveryv1.EndpointSlice{Ports: make([]discoveryv1.EndpointPort, 2)}
	Default(slice)
	if slice.Ports[0].Name == slice.Ports[1].Name || slice.Ports[0].Protocol == slice.Ports[1].Protocol {
		t.Error("ports share defaulted pointers; an edit to one would change the other")
	}
}
