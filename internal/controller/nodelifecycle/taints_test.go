package nodelifecycle

import (
	"reflect"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestPlanTaints(t *testing.T) {
	noSched := func(key string) corev1.Taint { return corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule} }
	a := readyNode("a", at(0))
	unknown := withCondition(a, corev1.NodeReady, corev1.ConditionUnknown)
	notReady := withCondition(a, corev1.NodeReady, corev1.ConditionFalse)
	normal := disruption{halted: map[string]bool{}}
	tests := []struct {
		name string
		node *corev1.Node
		dis  disruption
		want []string
	}{
		{name: "ready node: nothing", node: a, dis: normal},
		{
			name: "ready again: condition taints go, others stay",
			node: withTaints(a, noSched(corev1.TaintNodeUnreachable), unreachableTaint, noSched("example.com/mine"),
				corev1.Taint{Key: "example.com/mine", Effect: corev1.TaintEffectNoExecute}),
			dis:  normal,
			want: []string{"-node.kubernetes.io/unreachable:NoExecute", "-node.kubernetes.io/unreachable:NoSchedule"},
		},
		{
			name: "unknown: unreachable, both effects",
			node: unknown, dis: normal,
			want: []string{"+node.kubernetes.io/unreachable:NoExecute", "+node.kubernetes.io/unreachable:NoSchedule"},
		},
		{
			name: "not ready: not-ready, both effects",
			node: notReady, dis: normal,
			want: []string{"+node.kubernetes.io/not-ready:NoExecute", "+node.kubernetes.io/not-ready:NoSchedule"},
		},
		{
			name: "false to unknown: the taints swap",
			node: withTaints(unknown, noSched(corev1.TaintNodeNotReady), notReadyTaint), dis: normal,
			want: []string{"+node.kubernetes.io/unreachable:NoExecute", "+node.kubernetes.io/unreachable:NoSchedule",
				"-node.kubernetes.io/not-ready:NoExecute", "-node.kubernetes.io/not-ready:NoSchedule"},
		},
		{
			name: "halted zone: no new NoExecute taint",
			node: unknown, dis: disruption{halted: map[string]bool{"": true}},
			want: []string{"+node.kubernetes.io/unreachable:NoSchedule"},
		},
		{
			name: "halted zone: a swap still happens",
			node: withTaints(unknown, noSched(corev1.TaintNodeUnreachable), notReadyTaint), dis: disruption{halted: map[string]bool{"": true}},
			want: []string{"+node.kubernetes.io/unreachable:NoExecute", "-node.kubernetes.io/not-ready:NoExecute"},
		},
		{
			name: "every zone down: NoExecute taints go, NoSchedule stays",
			node: withTaints(unknown, noSched(corev1.TaintNodeUnreachable), unreachableTaint), dis: disruption{all: true},
			want: []string{"-node.kubernetes.io/unreachable:NoExecute"},
		},
		{
			name: "pressure and cordon",
			node: func() *corev1.Node {
				n := withCondition(withCondition(withCondition(a, corev1.NodeMemoryPressure, corev1.ConditionTrue),
					corev1.NodeDiskPressure, corev1.ConditionTrue), corev1.NodeNetworkUnavailable, corev1.ConditionTrue)
				n = withCondition(n, corev1.NodePIDPressure, corev1.ConditionTrue)
				n.Spec.Unschedulable = true
				return n
			}(),
			dis: normal,
			want: []string{"+node.kubernetes.io/disk-pressure:NoSchedule", "+node.kubernetes.io/memory-pressure:NoSchedule",
				"+node.kubernetes.io/network-unavailable:NoSchedule", "+node.kubernetes.io/pid-pressure:NoSchedule",
				"+node.kubernetes.io/unschedulable:NoSchedule"},
		},
		{
			name: "uncordoned: the unschedulable taint goes",
			node: withTaints(a, noSched(corev1.TaintNodeUnschedulable)), dis: normal,
			want: []string{"-node.kubernetes.io/unschedulable:NoSchedule"},
		},
		{
			name: "never posted status: nothing yet",
			node: func() *corev1.Node { n := a.DeepCopy(); n.Status.Conditions = nil; return n }(), dis: normal,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := planTaints(tt.node, tt.node.Status, tt.dis, at(7))
			var got []string
			for _, x := range tc.Add {
				got = append(got, "+"+x.Key+":"+string(x.Effect))
				if x.TimeAdded == nil || !x.TimeAdded.Time.Equal(at(7)) {
					t.Errorf("added taint %s without timeAdded now: %v", x.Key, x.TimeAdded)
				}
			}
			for _, x := range tc.Remove {
				got = append(got, "-"+x.Key+":"+string(x.Effect))
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPlanEviction(t *testing.T) {
	unreach := []corev1.Taint{unreachableTaint}
	both := []corev1.Taint{unreachableTaint, {Key: "example.com/drain", Effect: corev1.TaintEffectNoExecute}}
	p := readyPod("p", "a") // tolerates unreachable and not-ready for 300s
	tests := []struct {
		name        string
		pod         *corev1.Pod
		taints      []corev1.Taint
		started     time.Time
		want        evictionVerdict
		wantStarted time.Time
	}{
		{name: "no taints", pod: p},
		{name: "taints gone while counting: cancelled", pod: p, started: at(-10), want: evictionVerdict{Cancelled: true}},
		{name: "a taint not tolerated: at once", pod: p, taints: both, want: evictionVerdict{Evict: true}},
		{name: "no tolerations at all: at once", pod: withTolerations(p), taints: unreach, want: evictionVerdict{Evict: true}},
		{name: "first seen: count 300s from now", pod: p, taints: unreach, want: evictionVerdict{Deadline: at(300)}, wantStarted: at(0)},
		{name: "counting: deadline from the start", pod: p, taints: unreach, started: at(-100), want: evictionVerdict{Deadline: at(200)}, wantStarted: at(-100)},
		{name: "time is up", pod: p, taints: unreach, started: at(-300), want: evictionVerdict{Evict: true}},
		{name: "tolerated forever", pod: withTolerations(p, toleration(corev1.TaintNodeUnreachable, nil)), taints: unreach},
		{
			name: "tolerated forever now: cancelled", pod: withTolerations(p, toleration(corev1.TaintNodeUnreachable, nil)),
			taints: unreach, started: at(-5), want: evictionVerdict{Cancelled: true},
		},
		{name: "tolerationSeconds 0", pod: withTolerations(p, toleration(corev1.TaintNodeUnreachable, ptr.To[int64](0))), taints: unreach, want: evictionVerdict{Evict: true}},
		{name: "negative tolerationSeconds", pod: withTolerations(p, toleration(corev1.TaintNodeUnreachable, ptr.To[int64](-3))), taints: unreach, want: evictionVerdict{Evict: true}},
		{
			name:   "the least of the tolerations used",
			pod:    withTolerations(p, toleration(corev1.TaintNodeUnreachable, ptr.To[int64](300)), toleration("example.com/drain", ptr.To[int64](60))),
			taints: both, want: evictionVerdict{Deadline: at(60)}, wantStarted: at(0),
		},
		{
			name:   "a toleration without seconds does not lengthen another's",
			pod:    withTolerations(p, toleration(corev1.TaintNodeUnreachable, nil), toleration("example.com/drain", ptr.To[int64](60))),
			taints: both, want: evictionVerdict{Deadline: at(60)}, wantStarted: at(0),
		},
		{
			name:   "an empty key with Exists tolerates every taint",
			pod:    withTolerations(p, corev1.Toleration{Operator: corev1.TolerationOpExists}),
			taints: both,
		},
		{name: "already terminating", pod: terminating(p), taints: both, started: at(-400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, started := planEviction(tt.pod, tt.taints, tt.started, at(0))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("verdict %+v, want %+v", got, tt.want)
			}
			if !started.Equal(tt.wantStarted) {
				t.Errorf("started %v, want %v", started, tt.wantStarted)
			}
		})
	}
}

func TestComputeDisruption(t *testing.T) {
	zone := func(n *corev1.Node, z string) *corev1.Node {
		return withLabels(n, corev1.LabelTopologyRegion, "r", corev1.LabelTopologyZone, z)
	}
	nodes := func(names ...string) []*corev1.Node {
		var out []*corev1.Node
		for _, n := range names {
			out = append(out, readyNode(n, at(0)))
		}
		return out
	}
	tests := []struct {
		name       string
		nodes      []*corev1.Node
		notReady   []string
		wantAll    bool
		wantZones  map[string]zoneState
		wantHalted []string
	}{
		{name: "no nodes"},
		{name: "all ready", nodes: nodes("a", "b"), wantZones: map[string]zoneState{"": stateNormal}},
		{name: "the only node is down", nodes: nodes("a"), notReady: []string{"a"}, wantAll: true, wantZones: map[string]zoneState{"": stateFullDisruption}},
		{name: "one of three down", nodes: nodes("a", "b", "c"), notReady: []string{"a"}, wantZones: map[string]zoneState{"": stateNormal}},
		{name: "two of three down: not more than two", nodes: nodes("a", "b", "c"), notReady: []string{"a", "b"}, wantZones: map[string]zoneState{"": stateNormal}},
		{
			name: "three of four down: partial, small zone halted", nodes: nodes("a", "b", "c", "d"), notReady: []string{"a", "b", "c"},
			wantZones: map[string]zoneState{"": statePartialDisruption}, wantHalted: []string{""},
		},
		{
			name:  "one zone fully down, another fine",
			nodes: []*corev1.Node{zone(readyNode("a", at(0)), "z1"), zone(readyNode("b", at(0)), "z2")}, notReady: []string{"a"},
			wantZones: map[string]zoneState{"r:\x00:z1": stateFullDisruption, "r:\x00:z2": stateNormal},
		},
		{
			name:  "every zone down",
			nodes: []*corev1.Node{zone(readyNode("a", at(0)), "z1"), zone(readyNode("b", at(0)), "z2")}, notReady: []string{"a", "b"},
			wantAll: true, wantZones: map[string]zoneState{"r:\x00:z1": stateFullDisruption, "r:\x00:z2": stateFullDisruption},
		},
		{
			name:  "an excluded node does not count",
			nodes: []*corev1.Node{readyNode("a", at(0)), withLabels(readyNode("b", at(0)), labelExcludeDisruption, "")}, notReady: []string{"a"},
			wantAll: true, wantZones: map[string]zoneState{"": stateFullDisruption},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready := map[string]corev1.ConditionStatus{}
			for _, n := range tt.nodes {
				ready[n.Name] = corev1.ConditionTrue
			}
			for _, n := range tt.notReady {
				ready[n] = corev1.ConditionUnknown
			}
			d := computeDisruption(tt.nodes, ready)
			if d.all != tt.wantAll {
				t.Errorf("all %v, want %v", d.all, tt.wantAll)
			}
			if len(d.zones) != len(tt.wantZones) || (len(d.zones) > 0 && !reflect.DeepEqual(d.zones, tt.wantZones)) {
				t.Errorf("zones %v, want %v", d.zones, tt.wantZones)
			}
			var halted []string
			for k := range d.halted {
				halted = append(halted, k)
			}
			if !reflect.DeepEqual(halted, tt.wantHalted) {
				t.Errorf("halted %q, want %q", halted, tt.wantHalted)
			}
		})
	}

	big := map[string]corev1.ConditionStatus{}
	var many []*corev1.Node
	for i := 0; i < 60; i++ {
		n := readyNode(string(rune('A'+i%26))+string(rune('a'+i/26)), at(0))
		many = append(many, n)
		big[n.Name] = corev1.ConditionTrue
		if i < 40 {
			big[n.Name] = corev1.ConditionUnknown
		}
	}
	if d := computeDisruption(many, big); d.zones[""] != statePartialDisruption || d.halted[""] {
		t.Errorf("a large partially disrupted zone goes on tainting: %+v", d)
	}
}
