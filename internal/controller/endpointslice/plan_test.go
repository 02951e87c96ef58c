package endpointslice

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// describe renders slices compactly: "name ports: ep ep ...", where an endpoint is
// ip[/hostname][@node/zone]{R,S,T} (ready, serving, terminating).
func describe(slices []*discovery.EndpointSlice) []string {
	var out []string
	for _, s := range slices {
		var ports []string
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("%s=%d/%s", deref(p.Name), *p.Port, *p.Protocol))
		}
		var eps []string
		for _, e := range s.Endpoints {
			d := strings.Join(e.Addresses, ",")
			if e.Hostname != nil {
				d += "/" + *e.Hostname
			}
			if e.NodeName != nil {
				d += "@" + *e.NodeName + "/" + deref(e.Zone)
			}
			c := ""
			if *e.Conditions.Ready {
				c += "R"
			}
			if *e.Conditions.Serving {
				c += "S"
			}
			if *e.Conditions.Terminating {
				c += "T"
			}
			eps = append(eps, d+"{"+c+"}")
		}
		name := s.Name
		if name == "" {
			name = s.GenerateName + "*"
		}
		out = append(out, fmt.Sprintf("%s %s [%s]: %s", name, s.AddressType, strings.Join(ports, " "), strings.Join(eps, " ")))
	}
	return out
}

func TestPlanSlices(t *testing.T) {
	web := svc("web")
	tests := []struct {
		name     string
		svc      *v1.Service
		pods     []*v1.Pod
		existing []*discovery.EndpointSlice
		max      int
		create   []string
		update   []string
		delete   []string
		missing  []string
	}{{
		name: "ready and not-ready pods, named targetPort resolved per pod",
		svc:  web,
		pods: []*v1.Pod{pod("web-1", "10.42.0.11", false), pod("web-0", "10.42.0.10", true, onNode("node-2"))},
		create: []string{
			"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-2/{RS} 10.42.0.11@node-1/zone-a{}",
		},
	}, {
		name: "hostname only when the subdomain is this service",
		svc:  svc("nginx", headless),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true, hostname("web-0", "nginx")), pod("web-1", "10.42.0.11", true, hostname("web-1", "other"))},
		create: []string{
			"nginx-* IPv4 [web=8080/TCP]: 10.42.0.10/web-0@node-1/zone-a{RS} 10.42.0.11@node-1/zone-a{RS}",
		},
	}, {
		name: "terminating pods are serving but not ready",
		svc:  web,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true, terminating), pod("web-1", "10.42.0.11", false, terminating)},
		create: []string{
			"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{ST} 10.42.0.11@node-1/zone-a{T}",
		},
	}, {
		name: "publishNotReadyAddresses makes every endpoint ready",
		svc:  svc("web", publishNotReady),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", false), pod("web-1", "10.42.0.11", true, terminating)},
		create: []string{
			"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{R} 10.42.0.11@node-1/zone-a{RST}",
		},
	}, {
		name:   "terminal pods and pods without an IP are left out; a placeholder remains",
		svc:    web,
		pods:   []*v1.Pod{pod("a", "10.42.0.10", false, phase(v1.PodSucceeded)), pod("b", "10.42.0.11", false, phase(v1.PodFailed)), pod("c", "", false)},
		create: []string{"web-* IPv4 []: "},
	}, {
		name:     "an existing placeholder is kept as it is",
		svc:      web,
		existing: []*discovery.EndpointSlice{named(newSlice(web, []discovery.EndpointPort{}, discovery.AddressTypeIPv4), "web-abc")},
	}, {
		name: "pods whose named port differs land in another slice",
		svc:  web,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true, noNamedPort)},
		create: []string{
			"web-* IPv4 []: 10.42.0.11@node-1/zone-a{RS}",
			"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS}",
		},
	}, {
		name:    "a pod on an unknown node waits for it",
		svc:     web,
		pods:    []*v1.Pod{pod("web-0", "10.42.0.10", true, onNode("ghost")), pod("web-1", "10.42.0.11", true)},
		create:  []string{"web-* IPv4 [web=8080/TCP]: 10.42.0.11@node-1/zone-a{RS}"},
		missing: []string{"ghost"},
	}, {
		name:   "publishNotReadyAddresses publishes a pod on an unknown node anyway",
		svc:    svc("web", publishNotReady),
		pods:   []*v1.Pod{pod("web-0", "10.42.0.10", true, onNode("ghost"))},
		create: []string{"web-* IPv4 [web=8080/TCP]: 10.42.0.10@ghost/{RS}"},
	}, {
		name: "a pod turning ready updates its slice in place",
		svc:  web,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true)},
		existing: []*discovery.EndpointSlice{planned(web, []*v1.Pod{
			pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", false),
		}, "web-abc")},
		update: []string{"web-abc IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS} 10.42.0.11@node-1/zone-a{RS}"},
	}, {
		name: "a deleted pod leaves its slice, which is updated",
		svc:  web,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true)},
		existing: []*discovery.EndpointSlice{planned(web, []*v1.Pod{
			pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true),
		}, "web-abc")},
		update: []string{"web-abc IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS}"},
	}, {
		name: "the last pod gone: the slice becomes the placeholder rather than being recreated",
		svc:  web,
		existing: []*discovery.EndpointSlice{planned(web, []*v1.Pod{
			pod("web-0", "10.42.0.10", true),
		}, "web-abc")},
		update: []string{"web-abc IPv4 []: "},
	}, {
		name: "new endpoints fill an existing slice before a new one is made",
		svc:  web,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true), pod("web-2", "10.42.0.12", true)},
		existing: []*discovery.EndpointSlice{planned(web, []*v1.Pod{
			pod("web-0", "10.42.0.10", true),
		}, "web-abc")},
		update: []string{"web-abc IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS} 10.42.0.11@node-1/zone-a{RS} 10.42.0.12@node-1/zone-a{RS}"},
	}, {
		name: "more endpoints than fit make more slices",
		svc:  web,
		max:  2,
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true), pod("web-2", "10.42.0.12", true)},
		create: []string{
			"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS} 10.42.0.11@node-1/zone-a{RS}",
			"web-* IPv4 [web=8080/TCP]: 10.42.0.12@node-1/zone-a{RS}",
		},
	}, {
		name:     "a slice of an earlier service of the same name is deleted",
		svc:      web,
		pods:     []*v1.Pod{pod("web-0", "10.42.0.10", true)},
		existing: []*discovery.EndpointSlice{planned(svc("web", func(s *v1.Service) { s.UID = "old" }), []*v1.Pod{pod("web-0", "10.42.0.10", true)}, "web-old")},
		create:   []string{"web-* IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS}"},
		delete:   []string{"web-old IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS}"},
	}, {
		name:     "service labels are copied to the slices",
		svc:      svc("web", func(s *v1.Service) { s.Labels = map[string]string{"tier": "front"} }),
		pods:     []*v1.Pod{pod("web-0", "10.42.0.10", true)},
		existing: []*discovery.EndpointSlice{planned(web, []*v1.Pod{pod("web-0", "10.42.0.10", true)}, "web-abc")},
		update:   []string{"web-abc IPv4 [web=8080/TCP]: 10.42.0.10@node-1/zone-a{RS}"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = MaxEndpointsPerSlice
			}
			p := planSlices(tc.svc, tc.pods, zones, tc.existing, max, t0)
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"create", describe(p.create), tc.create}, {"update", describe(p.update), tc.update}, {"delete", describe(p.delete), tc.delete}, {"missing nodes", p.missingNodes, tc.missing}} {
				if diff := cmp.Diff(c.want, c.got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", c.what, diff)
				}
			}
			// Whatever was planned, planning again on the result changes nothing.
			st := newStore(tc.existing...)
			st.apply(p)
			again := planSlices(tc.svc, tc.pods, zones, st.list(), max, t0)
			if len(again.create)+len(again.update)+len(again.delete) > 0 {
				t.Errorf("second plan not empty: create %v update %v delete %v", describe(again.create), describe(again.update), describe(again.delete))
			}
			for _, s := range st.list() {
				checkSliceMeta(t, tc.svc, s)
			}
		})
	}
}

// checkSliceMeta checks the labels, owner and annotations every written slice carries.
func checkSliceMeta(t *testing.T, svc *v1.Service, s *discovery.EndpointSlice) {
	t.Helper()
	if s.Labels[discovery.LabelServiceName] != svc.Name || s.Labels[discovery.LabelManagedBy] != ControllerName {
		t.Errorf("slice %s labels %v", s.Name, s.Labels)
	}
	if _, ok := s.Labels[v1.IsHeadlessService]; ok != (svc.Spec.ClusterIP == v1.ClusterIPNone) {
		t.Errorf("slice %s headless label %v for clusterIP %q", s.Name, ok, svc.Spec.ClusterIP)
	}
	for k, v := range svc.Labels {
		if s.Labels[k] != v {
			t.Errorf("slice %s lacks service label %s=%s", s.Name, k, v)
		}
	}
	if !metav1.IsControlledBy(s, svc) {
		t.Errorf("slice %s owners %v", s.Name, s.OwnerReferences)
	}
}

// named gives a planned slice the name the server would.
func named(s *discovery.EndpointSlice, name string) *discovery.EndpointSlice {
	s.Name = name
	s.UID = "slice-" + s.UID
	return s
}

// planned is the single slice a fresh plan makes for svc and pods, as stored under name.
func planned(svc *v1.Service, pods []*v1.Pod, name string) *discovery.EndpointSlice {
	p := planSlices(svc, pods, zones, nil, MaxEndpointsPerSlice, t0)
	return named(p.create[0], name)
}

func TestPlanSlicesPortsAndTargets(t *testing.T) {
	s := svc("web", func(s *v1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, v1.ServicePort{Port: 53, Protocol: v1.ProtocolUDP, TargetPort: intOrString(5353)})
		s.Spec.Ports[0].AppProtocol = ptr("http")
	})
	p := planSlices(s, []*v1.Pod{pod("web-0", "10.42.0.10", true)}, zones, nil, MaxEndpointsPerSlice, t0)
	if len(p.create) != 1 {
		t.Fatalf("create %v", describe(p.create))
	}
	got := p.create[0]
	wantPorts := []discovery.EndpointPort{
		{Name: ptr("web"), Port: ptr(int32(8080)), Protocol: ptr(v1.ProtocolTCP), AppProtocol: ptr("http")},
		{Name: ptr(""), Port: ptr(int32(5353)), Protocol: ptr(v1.ProtocolUDP)},
	}
	if diff := cmp.Diff(wantPorts, got.Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	ref := got.Endpoints[0].TargetRef
	if ref.Kind != "Pod" || ref.Name != "web-0" || ref.Namespace != "default" || ref.UID != "uid-web-0" {
		t.Errorf("targetRef %+v", ref)
	}
	if got.GenerateName != "web-" || got.Annotations[v1.EndpointsLastChangeTriggerTime] != "2026-01-02T03:04:05Z" {
		t.Errorf("generateName %q annotations %v", got.GenerateName, got.Annotations)
	}
}

func TestPlanSlicesServiceBeingDeletedCreatesNothing(t *testing.T) {
	s := svc("web", func(s *v1.Service) { d := metav1.NewTime(t0); s.DeletionTimestamp = &d })
	p := planSlices(s, []*v1.Pod{pod("web-0", "10.42.0.10", true)}, zones, nil, MaxEndpointsPerSlice, t0)
	if len(p.create) != 0 {
		t.Errorf("created %v for a Service being deleted", describe(p.create))
	}
}

// TestPlanSlicesMovingPodsKeepsEveryEndpointOnce runs a sequence of pod sets through the
// planner with a small slice size and checks after every step that each wanted endpoint is
// in exactly one slice and that no slice overflows.
func TestPlanSlicesMovingPodsKeepsEveryEndpointOnce(t *testing.T) {
	s := svc("web")
	st := newStore()
	steps := [][]int{{0, 1, 2, 3, 4}, {0, 2, 4}, {0, 1, 2, 3, 4, 5, 6, 7}, {7}, {}, {1, 2}}
	for i, step := range steps {
		var pods []*v1.Pod
		for _, n := range step {
			pods = append(pods, pod(fmt.Sprintf("web-%d", n), fmt.Sprintf("10.42.0.%d", 10+n), n%2 == 0))
		}
		st.apply(planSlices(s, pods, zones, st.list(), 3, t0))
		seen := map[string]int{}
		for _, sl := range st.list() {
			if len(sl.Endpoints) > 3 {
				t.Errorf("step %d: slice %s has %d endpoints", i, sl.Name, len(sl.Endpoints))
			}
			for _, e := range sl.Endpoints {
				seen[e.Addresses[0]]++
			}
		}
		if len(seen) != len(step) {
			t.Errorf("step %d: endpoints %v, want %d", i, seen, len(step))
		}
		for ip, n := range seen {
			if n != 1 {
				t.Errorf("step %d: %s in %d slices", i, ip, n)
			}
		}
		if len(step) == 0 && len(st.list()) != 1 {
			t.Errorf("step %d: want only a placeholder, have %v", i, describe(st.list()))
		}
	}
}
