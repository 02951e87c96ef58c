package daemonset

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func nodes(names ...string) []*corev1.Node {
	var out []*corev1.Node
	for _, n := range names {
		out = append(out, newNode(n))
	}
	return out
}

func failed(p *corev1.Pod) *corev1.Pod { p.Status.Phase = corev1.PodFailed; return p }
func deleted(p *corev1.Pod) *corev1.Pod {
	ts := metav1.NewTime(t0)
	p.DeletionTimestamp = &ts
	return p
}
func pending(p *corev1.Pod) *corev1.Pod {
	node := p.Spec.NodeName
	p.Spec.NodeName = ""
	p.Spec.Affinity = withNodeNameAffinity(nil, node)
	return p
}

func TestManage(t *testing.T) {
	old := t0.Add(-time.Hour)
	tests := []struct {
		name         string
		ds           *appsv1.DaemonSet
		nodes        []*corev1.Node
		pods         map[string][]*corev1.Pod
		backoff      map[string]backoffEntry
		create       []string
		del, delNow  []string
		backoffNodes []string
		requeue      time.Duration
		events       int
	}{
		{name: "one pod per node", ds: newDS(), nodes: nodes("a", "b", "c"), create: []string{"a", "b", "c"}},
		{name: "a joining node gets a pod", ds: newDS(), nodes: nodes("a", "b"),
			pods: byNode(daemonPod("p-a", "a", "new", true, old)), create: []string{"b"}},
		{name: "pods of a gone node go, bound ones at once", ds: newDS(), nodes: nodes("a"),
			pods: byNode(daemonPod("p-a", "a", "new", true, old), daemonPod("p-b", "b", "new", true, old), pending(daemonPod("p-c", "c", "new", false, old))),
			del:  []string{"p-c"}, delNow: []string{"p-b"}},
		{name: "pods on a node that stopped matching go", nodes: nodes("a", "b"),
			ds: newDS(func(ds *appsv1.DaemonSet) {
				ds.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "a"}
			}),
			pods: byNode(daemonPod("p-a", "a", "new", true, old), daemonPod("p-b", "b", "new", true, old)), del: []string{"p-b"}},
		{name: "duplicates: the oldest stays", ds: newDS(), nodes: nodes("a"),
			pods: byNode(daemonPod("p-2", "a", "new", true, old.Add(time.Minute)), daemonPod("p-1", "a", "new", true, old), daemonPod("p-3", "a", "new", true, old.Add(2*time.Minute))),
			del:  []string{"p-2", "p-3"}},
		{name: "a terminating pod is waited for", ds: newDS(), nodes: nodes("a"), pods: byNode(deleted(daemonPod("p-a", "a", "new", true, old)))},
		{name: "failed pod is deleted and backs off", ds: newDS(), nodes: nodes("a"),
			pods: byNode(failed(daemonPod("p-a", "a", "new", false, old))), del: []string{"p-a"}, backoffNodes: []string{"a"}, events: 1},
		{name: "failed pod within back-off waits", ds: newDS(), nodes: nodes("a"),
			pods:    byNode(failed(daemonPod("p-a", "a", "new", false, old))),
			backoff: map[string]backoffEntry{"a": {Delay: 8 * time.Second, LastUpdate: t0.Add(-3 * time.Second)}}, requeue: 5 * time.Second},
		{name: "failed pod after back-off is deleted", ds: newDS(), nodes: nodes("a"),
			pods:    byNode(failed(daemonPod("p-a", "a", "new", false, old))),
			backoff: map[string]backoffEntry{"a": {Delay: 2 * time.Second, LastUpdate: t0.Add(-3 * time.Second)}},
			del:     []string{"p-a"}, backoffNodes: []string{"a"}, events: 1},
		{name: "surge allows an old and a new pod while the new one is not ready", nodes: nodes("a"),
			ds:   newDS(withSurge(1, 0)),
			pods: byNode(daemonPod("old", "a", "old", true, old), daemonPod("new", "a", "new", false, t0))},
		{name: "surge: the old pod goes once the new one is available", nodes: nodes("a"),
			ds:   newDS(withSurge(1, 0)),
			pods: byNode(daemonPod("old", "a", "old", true, old), daemonPod("new", "a", "new", true, t0)), del: []string{"old"}},
		{name: "surge: an unready old pod goes at once", nodes: nodes("a"),
			ds:   newDS(withSurge(1, 0)),
			pods: byNode(daemonPod("old", "a", "old", false, old), daemonPod("new", "a", "new", false, t0)), del: []string{"old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := manage(syncInput{DS: tt.ds, Nodes: tt.nodes, NodeToPods: tt.pods, Hash: "new", Now: t0, Backoff: tt.backoff})
			if !reflect.DeepEqual(p.Create, tt.create) || !reflect.DeepEqual(podNames(p.Delete), tt.del) || !reflect.DeepEqual(podNames(p.DeleteNow), tt.delNow) {
				t.Fatalf("create %v delete %v deleteNow %v; want %v %v %v", p.Create, podNames(p.Delete), podNames(p.DeleteNow), tt.create, tt.del, tt.delNow)
			}
			if !reflect.DeepEqual(p.BackoffNodes, tt.backoffNodes) || p.RequeueAfter != tt.requeue || len(p.Events) != tt.events {
				t.Fatalf("backoff %v requeue %v events %v", p.BackoffNodes, p.RequeueAfter, p.Events)
			}
		})
	}
}

func withSurge(surge, unavailable any) func(*appsv1.DaemonSet) {
	val := func(v any) *intstr.IntOrString {
		switch v := v.(type) {
		case int:
			x := intstr.FromInt32(int32(v))
			return &x
		case string:
			x := intstr.FromString(v)
			return &x
		}
		return nil
	}
	return func(ds *appsv1.DaemonSet) {
		ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxSurge: val(surge), MaxUnavailable: val(unavailable)}
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name                        string
		ds                          *appsv1.DaemonSet
		nodes                       int
		desired, surge, unavailable int
	}{
		{"defaults", newDS(withSurge(0, 1)), 5, 5, 0, 1},
		{"percent rounds up", newDS(withSurge(0, "30%")), 5, 5, 0, 2},
		{"surge percent rounds up", newDS(withSurge("10%", 0)), 5, 5, 1, 0},
		{"both zero means one unavailable", newDS(withSurge(0, 0)), 3, 3, 0, 1},
		{"both zero on no nodes", newDS(withSurge(0, 0)), 0, 0, 0, 0},
		{"OnDelete has no budget", newDS(func(ds *appsv1.DaemonSet) {
			ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
		}), 2, 2, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ns []string
			for i := 0; i < tt.nodes; i++ {
				ns = append(ns, string(rune('a'+i)))
			}
			b := budget(syncInput{DS: tt.ds, Nodes: nodes(ns...)})
			if b != (updateBudget{tt.desired, tt.surge, tt.unavailable}) {
				t.Fatalf("budget %+v", b)
			}
		})
	}
}

func TestRollingUpdate(t *testing.T) {
	old := t0.Add(-time.Hour)
	five := nodes("a", "b", "c", "d", "e")
	allOld := func(ready bool) map[string][]*corev1.Pod {
		var ps []*corev1.Pod
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			ps = append(ps, daemonPod("p-"+n, n, "old", ready, old))
		}
		return byNode(ps...)
	}
	with := func(m map[string][]*corev1.Pod, pods ...*corev1.Pod) map[string][]*corev1.Pod {
		for _, p := range pods {
			m[p.Spec.NodeName] = append(m[p.Spec.NodeName], p)
		}
		return m
	}
	replace := func(m map[string][]*corev1.Pod, pods ...*corev1.Pod) map[string][]*corev1.Pod {
		for _, p := range pods {
			m[p.Spec.NodeName] = []*corev1.Pod{p}
		}
		return m
	}
	tests := []struct {
		name   string
		ds     *appsv1.DaemonSet
		pods   map[string][]*corev1.Pod
		create []string
		del    []string
	}{
		{"maxUnavailable 1 deletes one old pod", newDS(withSurge(0, 1)), allOld(true), nil, []string{"p-a"}},
		{"maxUnavailable 2 deletes two", newDS(withSurge(0, 2)), allOld(true), nil, []string{"p-a", "p-b"}},
		{"40% of 5 rounds up to 2", newDS(withSurge(0, "40%")), allOld(true), nil, []string{"p-a", "p-b"}},
		{"a missing pod uses the budget", newDS(withSurge(0, 1)), func() map[string][]*corev1.Pod { m := allOld(true); delete(m, "a"); return m }(), nil, nil},
		{"an unavailable new pod uses the budget", newDS(withSurge(0, 1)),
			replace(allOld(true), daemonPod("n-a", "a", "new", false, t0)), nil, nil},
		{"an available new pod frees the budget", newDS(withSurge(0, 1)),
			replace(allOld(true), daemonPod("n-a", "a", "new", true, old)), nil, []string{"p-b"}},
		{"unavailable old pods are replaced beyond the budget", newDS(withSurge(0, 1)), allOld(false), nil, []string{"p-a", "p-b", "p-c", "p-d", "p-e"}},
		{"all updated: nothing to do", newDS(withSurge(0, 1)),
			replace(allOld(true), daemonPod("n-a", "a", "new", true, old), daemonPod("n-b", "b", "new", true, old), daemonPod("n-c", "c", "new", true, old),
				daemonPod("n-d", "d", "new", true, old), daemonPod("n-e", "e", "new", true, old)), nil, nil},
		{"surge 1 adds one new pod", newDS(withSurge(1, 0)), allOld(true), []string{"a"}, nil},
		{"surge 2 adds two", newDS(withSurge(2, 0)), allOld(true), []string{"a", "b"}, nil},
		{"surging pod not yet available holds the budget", newDS(withSurge(1, 0)),
			with(allOld(true), daemonPod("n-a", "a", "new", false, t0)), nil, nil},
		{"surged pod available: old pod goes, next node surges", newDS(withSurge(1, 0)),
			with(allOld(true), daemonPod("n-a", "a", "new", true, old)), []string{"b"}, []string{"p-a"}},
		{"unavailable old pods surge at once", newDS(withSurge(1, 0)), allOld(false), []string{"a", "b", "c", "d", "e"}, nil},
		{"minReadySeconds keeps a ready pod unavailable", newDS(withSurge(1, 0), func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = 60 }),
			with(allOld(true), daemonPod("n-a", "a", "new", true, t0.Add(-10*time.Second))), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rollingUpdate(syncInput{DS: tt.ds, Nodes: five, NodeToPods: tt.pods, Hash: "new", Now: t0})
			if !reflect.DeepEqual(p.Create, tt.create) || !reflect.DeepEqual(podNames(p.Delete), tt.del) {
				t.Fatalf("create %v delete %v; want %v %v", p.Create, podNames(p.Delete), tt.create, tt.del)
			}
		})
	}
}

func TestPlanRunsRollingUpdateOnlyWhenNodesAreSettled(t *testing.T) {
	old := t0.Add(-time.Hour)
	ds := newDS(withSurge(0, 1))
	pods := byNode(daemonPod("p-a", "a", "old", true, old))
	p := plan(syncInput{DS: ds, Nodes: nodes("a", "b"), NodeToPods: pods, Hash: "new", Now: t0})
	if !reflect.DeepEqual(p.Create, []string{"b"}) || len(p.Delete) != 0 {
		t.Fatalf("missing pod first: %+v", p)
	}
	p = plan(syncInput{DS: ds, Nodes: nodes("a"), NodeToPods: pods, Hash: "new", Now: t0})
	if !reflect.DeepEqual(podNames(p.Delete), []string{"p-a"}) {
		t.Fatalf("then the update: %+v", p)
	}
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	if p = plan(syncInput{DS: ds, Nodes: nodes("a"), NodeToPods: pods, Hash: "new", Now: t0}); !p.empty() {
		t.Fatalf("OnDelete waits for the user: %+v", p)
	}
}

func TestComputeStatus(t *testing.T) {
	old := t0.Add(-time.Hour)
	ds := newDS(func(ds *appsv1.DaemonSet) {
		ds.Generation = 4
		ds.Spec.MinReadySeconds = 30
		ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "worker"}
	})
	worker := func(n string) *corev1.Node { x := newNode(n); x.Labels["role"] = "worker"; return x }
	in := syncInput{
		DS: ds, Hash: "new", Now: t0,
		Nodes: []*corev1.Node{worker("a"), worker("b"), worker("c"), worker("d"), newNode("e")},
		NodeToPods: byNode(
			daemonPod("p-a", "a", "new", true, old),                     // ready, available, updated
			daemonPod("p-b", "b", "old", true, t0.Add(-10*time.Second)), // ready, not yet available
			daemonPod("p-c", "c", "new", false, old),                    // not ready
			daemonPod("p-e", "e", "new", true, old),                     // misscheduled
		),
	}
	got := computeStatus(in)
	want := appsv1.DaemonSetStatus{ObservedGeneration: 4, DesiredNumberScheduled: 4, CurrentNumberScheduled: 3, NumberMisscheduled: 1,
		NumberReady: 2, NumberAvailable: 1, UpdatedNumberScheduled: 2, NumberUnavailable: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("status\n got %+v\nwant %+v", got, want)
	}
	if p := plan(in); p.RequeueAfter != 21*time.Second {
		t.Fatalf("requeue for minReadySeconds: %v", p.RequeueAfter)
	}
}
