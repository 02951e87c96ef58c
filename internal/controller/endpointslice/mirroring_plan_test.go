package endpointslice

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func handMadeEndpoints(subsets ...v1.EndpointSubset) *v1.Endpoints {
	return &v1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default", UID: "uid-ep-db",
			Labels:      map[string]string{"team": "data"},
			Annotations: map[string]string{"note": "external", v1.LastAppliedConfigAnnotation: "{}"}},
		Subsets: subsets,
	}
}

func TestPlanMirroredSlices(t *testing.T) {
	node := "node-1"
	ep := handMadeEndpoints(
		v1.EndpointSubset{
			Addresses:         []v1.EndpointAddress{{IP: "192.0.2.1", Hostname: "db-0", NodeName: &node}, {IP: "not-an-ip"}},
			NotReadyAddresses: []v1.EndpointAddress{{IP: "192.0.2.2"}},
			Ports:             []v1.EndpointPort{{Name: "pg", Port: 5432, Protocol: v1.ProtocolTCP}},
		},
		v1.EndpointSubset{
			Addresses: []v1.EndpointAddress{{IP: "2001:db8::1"}},
			Ports:     []v1.EndpointPort{{Name: "pg", Port: 5432, Protocol: v1.ProtocolTCP}},
		},
	)
	p := planMirroredSlices(ep, nil, MaxEndpointsPerSlice)
	want := []string{
		"db-* IPv4 [pg=5432/TCP]: 192.0.2.1/db-0@node-1/{R} 192.0.2.2{}",
		"db-* IPv6 [pg=5432/TCP]: 2001:db8::1{R}",
	}
	if diff := cmp.Diff(want, describeMirrored(p.create)); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	for _, s := range p.create {
		if s.Labels[discovery.LabelManagedBy] != MirroringControllerName || s.Labels[discovery.LabelServiceName] != "db" || s.Labels["team"] != "data" {
			t.Errorf("labels %v", s.Labels)
		}
		if s.Annotations["note"] != "external" || s.Annotations[v1.LastAppliedConfigAnnotation] != "" {
			t.Errorf("annotations %v", s.Annotations)
		}
		if !metav1.IsControlledBy(s, ep) {
			t.Errorf("owners %v", s.OwnerReferences)
		}
	}

	// Applied and planned again: nothing to do. Then an address goes away: one update.
	st := newStore()
	st.apply(p)
	if again := planMirroredSlices(ep, st.list(), MaxEndpointsPerSlice); len(again.create)+len(again.update)+len(again.delete) != 0 {
		t.Errorf("second plan not empty: %+v", again)
	}
	ep.Subsets = ep.Subsets[:1]
	p = planMirroredSlices(ep, st.list(), MaxEndpointsPerSlice)
	if len(p.create) != 0 || len(p.update) != 0 || len(p.delete) != 1 || p.delete[0].AddressType != discovery.AddressTypeIPv6 {
		t.Errorf("after removing the IPv6 subset: create %v update %v delete %v", describeMirrored(p.create), describeMirrored(p.update), describeMirrored(p.delete))
	}
}

// describeMirrored is describe for slices whose endpoints only carry Ready.
func describeMirrored(slices []*discovery.EndpointSlice) []string {
	c := make([]*discovery.EndpointSlice, len(slices))
	f := false
	for i, s := range slices {
		c[i] = s.DeepCopy()
		for j := range c[i].Endpoints {
			c[i].Endpoints[j].Conditions.Serving = &f
			c[i].Endpoints[j].Conditions.Terminating = &f
		}
	}
	return describe(c)
}
