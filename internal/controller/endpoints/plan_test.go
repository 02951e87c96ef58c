package endpoints

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func svc(mods ...func(*v1.Service)) *v1.Service {
	s := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default", UID: "uid-svc", Labels: map[string]string{"app": "nginx"}},
		Spec: v1.ServiceSpec{
			ClusterIP:  v1.ClusterIPNone,
			IPFamilies: []v1.IPFamily{v1.IPv4Protocol},
			Selector:   map[string]string{"app": "nginx"},
			Ports: []v1.ServicePort{
				{Name: "web", Port: 80, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromString("http")},
				{Name: "metrics", Port: 9000, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(9000)},
			},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

func pod(name, ip string, ready bool, mods ...func(*v1.Pod)) *v1.Pod {
	status := v1.ConditionFalse
	if ready {
		status = v1.ConditionTrue
	}
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: v1.PodSpec{
			NodeName: "node-1", Hostname: name, Subdomain: "nginx",
			Containers: []v1.Container{{Name: "c", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: v1.ProtocolTCP}}}},
		},
		Status: v1.PodStatus{Phase: v1.PodRunning, PodIP: ip, PodIPs: []v1.PodIP{{IP: ip}},
			Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: status}}},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

// describe renders subsets as "ports: ready | notReady", addresses as ip/hostname.
func describe(subsets []v1.EndpointSubset) []string {
	var out []string
	for _, s := range subsets {
		line := ""
		for _, p := range s.Ports {
			line += fmt.Sprintf("%s=%d ", p.Name, p.Port)
		}
		line += ":"
		for _, a := range s.Addresses {
			line += " " + a.IP + "/" + a.Hostname
		}
		line += " |"
		for _, a := range s.NotReadyAddresses {
			line += " " + a.IP + "/" + a.Hostname
		}
		out = append(out, line)
	}
	return out
}

func TestPlanEndpoints(t *testing.T) {
	terminating := func(p *v1.Pod) { d := metav1.NewTime(t0); p.DeletionTimestamp = &d }
	noNamedPort := func(p *v1.Pod) { p.Spec.Containers[0].Ports = nil }
	otherSubdomain := func(p *v1.Pod) { p.Spec.Subdomain = "other" }
	tests := []struct {
		name string
		svc  *v1.Service
		pods []*v1.Pod
		want []string
	}{{
		name: "ready and not ready pods",
		svc:  svc(),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", false)},
		want: []string{"metrics=9000 web=8080 : 10.42.0.10/web-0 | 10.42.0.11/web-1"},
	}, {
		name: "a pod without the named port offers only the other one",
		svc:  svc(),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true), pod("web-1", "10.42.0.11", true, noNamedPort, otherSubdomain)},
		want: []string{"metrics=9000 : 10.42.0.10/web-0 10.42.0.11/ |", "web=8080 : 10.42.0.10/web-0 |"},
	}, {
		name: "terminating and terminal pods and pods without IP are left out",
		svc:  svc(),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true, terminating), pod("web-1", "10.42.0.11", true, func(p *v1.Pod) { p.Status.Phase = v1.PodSucceeded }), pod("web-2", "", false)},
	}, {
		name: "publishNotReadyAddresses keeps terminating and not ready pods, as ready",
		svc:  svc(func(s *v1.Service) { s.Spec.PublishNotReadyAddresses = true }),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true, terminating), pod("web-1", "10.42.0.11", false)},
		want: []string{"metrics=9000 web=8080 : 10.42.0.10/web-0 10.42.0.11/web-1 |"},
	}, {
		name: "a headless service without ports still lists addresses",
		svc:  svc(func(s *v1.Service) { s.Spec.Ports = nil }),
		pods: []*v1.Pod{pod("web-0", "10.42.0.10", true)},
		want: []string{": 10.42.0.10/web-0 |"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, op := planEndpoints(tc.svc, tc.pods, nil, t0)
			if op != opCreate {
				t.Errorf("op %v, want create", op)
			}
			if diff := cmp.Diff(tc.want, describe(got.Subsets)); diff != "" {
				t.Errorf("subsets (-want +got):\n%s", diff)
			}
			if _, ok := got.Labels[v1.IsHeadlessService]; !ok || got.Labels["app"] != "nginx" || got.Name != "nginx" {
				t.Errorf("meta %+v", got.ObjectMeta)
			}
			if got.Annotations[v1.EndpointsLastChangeTriggerTime] != "2026-01-02T03:04:05Z" {
				t.Errorf("annotations %v", got.Annotations)
			}
			// Stored and planned again (with pod resourceVersions changed): no write.
			stored := got.DeepCopy()
			for i := range tc.pods {
				tc.pods[i].ResourceVersion = "99"
			}
			if _, op := planEndpoints(tc.svc, tc.pods, stored, time.Time{}); op != opNone {
				t.Errorf("second plan op %v, want none", op)
			}
		})
	}
}

func TestPlanEndpointsUpdatesInPlaceAndTruncates(t *testing.T) {
	s := svc(func(s *v1.Service) { s.Spec.ClusterIP = "10.43.0.5"; s.Spec.Ports = s.Spec.Ports[1:] })
	current := &v1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default", ResourceVersion: "7", Annotations: map[string]string{"keep": "me"}}}
	var pods []*v1.Pod
	for i := range MaxCapacity + 5 {
		pods = append(pods, pod(fmt.Sprintf("p-%04d", i), fmt.Sprintf("10.42.%d.%d", i/250, i%250+1), i%2 == 0))
	}
	got, op := planEndpoints(s, pods, current, time.Time{})
	if op != opUpdate || got.ResourceVersion != "7" || got.Annotations["keep"] != "me" {
		t.Fatalf("op %v meta %+v", op, got.ObjectMeta)
	}
	if _, ok := got.Labels[v1.IsHeadlessService]; ok {
		t.Errorf("headless label on a ClusterIP service's endpoints")
	}
	n, ready := 0, 0
	for _, ss := range got.Subsets {
		n += len(ss.Addresses) + len(ss.NotReadyAddresses)
		ready += len(ss.Addresses)
	}
	if n != MaxCapacity || ready != (MaxCapacity+5+1)/2 || got.Annotations[v1.EndpointsOverCapacity] != "truncated" {
		t.Errorf("kept %d addresses (%d ready), annotations %v", n, ready, got.Annotations)
	}
}
