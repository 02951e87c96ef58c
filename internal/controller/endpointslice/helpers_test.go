package endpointslice

import (
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func svc(name string, mods ...func(*v1.Service)) *v1.Service {
	s := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), CreationTimestamp: metav1.NewTime(t0)},
		Spec: v1.ServiceSpec{
			ClusterIP:  "10.43.0.20",
			IPFamilies: []v1.IPFamily{v1.IPv4Protocol},
			Selector:   map[string]string{"app": name},
			Ports:      []v1.ServicePort{{Name: "web", Port: 80, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromString("http")}},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

func headless(s *v1.Service) { s.Spec.ClusterIP = v1.ClusterIPNone }

func publishNotReady(s *v1.Service) { s.Spec.PublishNotReadyAddresses = true }

func pod(name, ip string, ready bool, mods ...func(*v1.Pod)) *v1.Pod {
	status := v1.ConditionFalse
	if ready {
		status = v1.ConditionTrue
	}
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec: v1.PodSpec{
			NodeName: "node-1",
			Containers: []v1.Container{{Name: "c", Ports: []v1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: v1.ProtocolTCP},
			}}},
		},
		Status: v1.PodStatus{
			Phase:      v1.PodRunning,
			PodIP:      ip,
			PodIPs:     []v1.PodIP{{IP: ip}},
			Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(t0)}},
		},
	}
	if ip == "" {
		p.Status.PodIPs = nil
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func hostname(h, sub string) func(*v1.Pod) {
	return func(p *v1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = h, sub }
}

func terminating(p *v1.Pod) { d := metav1.NewTime(t0); p.DeletionTimestamp = &d }

func phase(ph v1.PodPhase) func(*v1.Pod) { return func(p *v1.Pod) { p.Status.Phase = ph } }

func onNode(n string) func(*v1.Pod) { return func(p *v1.Pod) { p.Spec.NodeName = n } }

func noNamedPort(p *v1.Pod) { p.Spec.Containers[0].Ports = nil }

// zones knows node-1 (zone a) and node-2 (no zone).
func zones(node string) (string, bool) {
	switch node {
	case "node-1":
		return "zone-a", true
	case "node-2":
		return "", true
	}
	return "", false
}

// store plays the API for plans: it names created slices and keeps the result, so that a
// test can plan again against what the previous plan wrote.
type store struct {
	slices map[string]*discovery.EndpointSlice
	next   int
}

func newStore(existing ...*discovery.EndpointSlice) *store {
	s := &store{slices: map[string]*discovery.EndpointSlice{}}
	for _, e := range existing {
		s.slices[e.Name] = e
	}
	return s
}

func (s *store) apply(p slicePlan) {
	for _, c := range p.create {
		c = c.DeepCopy()
		s.next++
		c.Name = fmt.Sprintf("%s%05d", c.GenerateName, s.next)
		c.UID = types.UID("slice-" + c.Name)
		c.ResourceVersion = fmt.Sprint(s.next)
		s.slices[c.Name] = c
	}
	for _, u := range p.update {
		s.slices[u.Name] = u.DeepCopy()
	}
	for _, d := range p.delete {
		delete(s.slices, d.Name)
	}
}

func (s *store) list() []*discovery.EndpointSlice {
	var out []*discovery.EndpointSlice
	for _, v := range s.slices {
		out = append(out, v)
	}
	return sortedByName(out)
}

func ptr[T any](v T) *T { return &v }

func intOrString(n int) intstr.IntOrString { return intstr.FromInt32(int32(n)) }
