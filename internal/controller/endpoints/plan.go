package endpoints

import (
	"maps"
	"net"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/controller/endpointslice"
)

// MaxCapacity is the most addresses one Endpoints object holds, as upstream; beyond it the
// object is truncated and says so in the over-capacity annotation. Consumers that need more
// read EndpointSlices.
const MaxCapacity = 1000

// endpointsOp is the write planEndpoints asks for.
type endpointsOp int

const (
	opNone endpointsOp = iota
	opCreate
	opUpdate
)

// planEndpoints builds the Endpoints svc's pods call for and says whether current (nil when
// there is none) must be created or updated to match it. triggerTime goes into the
// last-change-trigger-time annotation when a write is made.
func planEndpoints(svc *v1.Service, pods []*v1.Pod, current *v1.Endpoints, triggerTime time.Time) (*v1.Endpoints, endpointsOp) {
	tolerateUnready := svc.Spec.PublishNotReadyAddresses
	var subsets []v1.EndpointSubset
	for _, pod := range pods {
		if !endpointslice.ShouldPodBeInEndpoints(pod, tolerateUnready) {
			continue
		}
		addr, ok := podAddress(pod, svc)
		if !ok {
			continue
		}
		ready := tolerateUnready || endpointslice.IsPodReady(pod)
		if len(svc.Spec.Ports) == 0 {
			// Headless Services may have no ports; their addresses are still published.
			if svc.Spec.ClusterIP == v1.ClusterIPNone {
				subsets = append(subsets, subsetOf(addr, ready, nil))
			}
			continue
		}
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			num, err := endpointslice.FindPort(pod, sp)
			if err != nil {
				continue
			}
			port := v1.EndpointPort{Name: sp.Name, Port: int32(num), Protocol: sp.Protocol, AppProtocol: sp.AppProtocol}
			subsets = append(subsets, subsetOf(addr, ready, []v1.EndpointPort{port}))
		}
	}
	subsets = repackSubsets(subsets)
	subsets, truncated := truncate(subsets, MaxCapacity)

	if current != nil && equalSubsets(current.Subsets, subsets) &&
		equality.Semantic.DeepEqual(withoutHeadlessLabel(current.Labels), svc.Labels) &&
		(current.Annotations[v1.EndpointsOverCapacity] == "truncated") == truncated {
		return current, opNone
	}

	want := &v1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace}}
	op := opCreate
	if current != nil {
		want = current.DeepCopy()
		op = opUpdate
	}
	want.Subsets = subsets
	want.Labels = maps.Clone(svc.Labels)
	if svc.Spec.ClusterIP == v1.ClusterIPNone || svc.Spec.ClusterIP == "" {
		if want.Labels == nil {
			want.Labels = map[string]string{}
		}
		want.Labels[v1.IsHeadlessService] = ""
	}
	if want.Annotations == nil {
		want.Annotations = map[string]string{}
	}
	if triggerTime.IsZero() {
		delete(want.Annotations, v1.EndpointsLastChangeTriggerTime)
	} else {
		want.Annotations[v1.EndpointsLastChangeTriggerTime] = triggerTime.UTC().Format(time.RFC3339Nano)
	}
	if truncated {
		want.Annotations[v1.EndpointsOverCapacity] = "truncated"
	} else {
		delete(want.Annotations, v1.EndpointsOverCapacity)
	}
	return want, op
}

// podAddress builds the pod's address in svc, with the pod IP of the Service's (first) IP
// family.
func podAddress(pod *v1.Pod, svc *v1.Service) (v1.EndpointAddress, bool) {
	wantV6 := false
	if len(svc.Spec.IPFamilies) > 0 {
		wantV6 = svc.Spec.IPFamilies[0] == v1.IPv6Protocol
	} else if ip := net.ParseIP(svc.Spec.ClusterIP); ip != nil {
		wantV6 = ip.To4() == nil
	}
	ips := []string{pod.Status.PodIP}
	for _, p := range pod.Status.PodIPs {
		ips = append(ips, p.IP)
	}
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil || (ip.To4() == nil) != wantV6 {
			continue
		}
		addr := v1.EndpointAddress{
			IP:        ip.String(),
			TargetRef: &v1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		}
		if pod.Spec.NodeName != "" {
			node := pod.Spec.NodeName
			addr.NodeName = &node
		}
		if endpointslice.ShouldSetHostname(pod, svc) {
			addr.Hostname = pod.Spec.Hostname
		}
		return addr, true
	}
	return v1.EndpointAddress{}, false
}

func subsetOf(addr v1.EndpointAddress, ready bool, ports []v1.EndpointPort) v1.EndpointSubset {
	if ready {
		return v1.EndpointSubset{Addresses: []v1.EndpointAddress{addr}, Ports: ports}
	}
	return v1.EndpointSubset{NotReadyAddresses: []v1.EndpointAddress{addr}, Ports: ports}
}

func withoutHeadlessLabel(l map[string]string) map[string]string {
	if _, ok := l[v1.IsHeadlessService]; !ok {
		return l
	}
	out := maps.Clone(l)
	delete(out, v1.IsHeadlessService)
	return out
}

// equalSubsets compares subsets ignoring the resourceVersion of target references, which
// changes with every pod write.
func equalSubsets(a, b []v1.EndpointSubset) bool {
	return equality.Semantic.DeepEqual(stripTargetRV(a), stripTargetRV(b))
}

func stripTargetRV(in []v1.EndpointSubset) []v1.EndpointSubset {
	out := make([]v1.EndpointSubset, len(in))
	for i, s := range in {
		out[i] = v1.EndpointSubset{Ports: s.Ports, Addresses: stripAddrs(s.Addresses), NotReadyAddresses: stripAddrs(s.NotReadyAddresses)}
	}
	return out
}

func stripAddrs(in []v1.EndpointAddress) []v1.EndpointAddress {
	if in == nil {
		return nil
	}
	out := slices.Clone(in)
	for i := range out {
		if out[i].TargetRef != nil {
			ref := *out[i].TargetRef
			ref.ResourceVersion = ""
			out[i].TargetRef = &ref
		}
	}
	return out
}
