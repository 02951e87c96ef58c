package scheduler

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// threeNodes: a and b with 2 cpu, c with 4 cpu and label disk=ssd.
func threeNodes(opts ...nodeOpt) []*corev1.Node {
	return []*corev1.Node{
		makeNode("a", "2", "4Gi", opts...),
		makeNode("b", "2", "4Gi", opts...),
		makeNode("c", "4", "8Gi", append([]nodeOpt{withLabel("disk", "ssd")}, opts...)...),
	}
}

func TestScheduleDecision(t *testing.T) {
	const notHelpful3 = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	wffc := cluster{nodes: threeNodes(), storage: newFakeStorage(makeClaim("data", "local-path"))}
	pinned := cluster{nodes: threeNodes(), storage: newFakeStorage(makeClaim("data", "local-path", boundTo("pv-b")), makeLocalVolume("pv-b", "b"))}
	pinnedGone := cluster{nodes: threeNodes()[:2], storage: newFakeStorage(makeClaim("data", "local-path", boundTo("pv-c")), makeLocalVolume("pv-c", "c"))}
	cases := []struct {
		name    string
		cluster cluster
		pod     *corev1.Pod
		want    string
	}{
		{name: "only one node fits", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", requests("3", "")), want: "c"},
		{name: "nodeSelector", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", nodeSelector("disk", "ssd")), want: "c"},
		{name: "the brief's example", cluster: cluster{nodes: threeNodes()},
			pod: makePod("p", requests("3", ""), requiredNodeTerms(expr("disk", corev1.NodeSelectorOpNotIn, "ssd"))),
			want: "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. " +
				"preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."},
		{name: "selector matches nothing", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", nodeSelector("disk", "nvme")),
			want: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " + notHelpful3 + "."},
		{name: "insufficient cpu everywhere", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", requests("5", "")),
			want: "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."},
		{name: "cpu and memory", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", requests("5", "16Gi")),
			want: "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."},
		{name: "taints and a cordon", cluster: cluster{nodes: []*corev1.Node{
			makeNode("a", "2", "4Gi", withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			makeNode("b", "2", "4Gi", cordoned()),
			makeNode("c", "2", "4Gi", withTaint("node.kubernetes.io/not-ready", "", corev1.TaintEffectNoSchedule)),
		}}, pod: makePod("p"),
			want: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. " + notHelpful3 + "."},
		{name: "toleration opens the tainted node", cluster: cluster{nodes: []*corev1.Node{
			makeNode("a", "2", "4Gi", withTaint("dedicated", "gpu", corev1.TaintEffectNoSchedule)),
			makeNode("b", "2", "4Gi", cordoned()),
		}}, pod: makePod("p", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu"})), want: "a"},
		{name: "claim not found", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", usesClaim("x")),
			want: `0/3 nodes are available: persistentvolumeclaim "x" not found. ` + notHelpful3 + "."},
		{name: "unbound immediate claim", cluster: cluster{nodes: threeNodes(), storage: newFakeStorage(makeClaim("x", "immediate"))}, pod: makePod("p", usesClaim("x")),
			want: "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. " + notHelpful3 + "."},
		{name: "claim pinned to node b", cluster: pinned, pod: makePod("p", usesClaim("data")), want: "b"},
		{name: "claim pinned to a node that is gone", cluster: pinnedGone, pod: makePod("p", usesClaim("data")),
			want: "0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.."},
		{name: "WaitForFirstConsumer claim", cluster: wffc, pod: makePod("p", usesClaim("data"), nodeSelector("disk", "ssd")), want: "c"},
		{name: "DaemonSet pod on a full node", cluster: cluster{nodes: threeNodes()}, pod: makePod("ds", requests("3", ""), requiredNodeTerms(nameIn("a"))),
			want: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
				"preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.."},
		{name: "DaemonSet pod for a node that does not exist", cluster: cluster{nodes: threeNodes()}, pod: makePod("ds", requiredNodeTerms(nameIn("z"))),
			want: "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity]. " + notHelpful3 + "."},
		{name: "DaemonSet pod", cluster: cluster{nodes: threeNodes()}, pod: makePod("ds", requiredNodeTerms(nameIn("b"))), want: "b"},
		{name: "preemptionPolicy Never", cluster: cluster{nodes: threeNodes()}, pod: makePod("p", requests("5", ""), func(p *corev1.Pod) {
			never := corev1.PreemptNever
			p.Spec.PreemptionPolicy = &never
		}), want: "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.."},
		{name: "no nodes", cluster: cluster{}, pod: makePod("p"), want: "no nodes available to schedule pods"},
		{name: "anti-affinity leaves no node", cluster: cluster{nodes: threeNodes(), pods: []*corev1.Pod{
			makePod("w0", onNode("a"), labelled("app", "w")), makePod("w1", onNode("b"), labelled("app", "w")), makePod("w2", onNode("c"), labelled("app", "w")),
		}}, pod: makePod("w3", labelled("app", "w"), antiAffinity(podTerm(corev1.LabelHostname, "app", "w"))),
			want: "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.."},
		{name: "host port taken everywhere but c", cluster: cluster{nodes: threeNodes(), pods: []*corev1.Pod{
			makePod("h0", onNode("a"), hostPortOpt(80, "", "")), makePod("h1", onNode("b"), hostPortOpt(80, "", "")),
		}}, pod: makePod("p", hostPortOpt(80, "", "")), want: "c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := decide(c.pod, c.cluster.snapshot()); got != c.want {
				t.Errorf("decision:\n got  %s\n want %s", got, c.want)
			}
		})
	}
}

func TestScheduleSelectsNodeForWaitForFirstConsumerClaims(t *testing.T) {
	st := newFakeStorage(makeClaim("fresh", "local-path"), makeClaim("promised", "local-path", selectedNode("c")), makeClaim("bound", "local-path", boundTo("pv")), makeLocalVolume("pv", "c"))
	snap := cluster{nodes: threeNodes(), storage: st}.snapshot()
	d := schedulePod(newPodInfo(makePod("p", usesClaim("fresh"), usesClaim("promised"), usesClaim("bound"))), snap, testRand())
	if d.err != nil || d.node != "c" {
		t.Fatalf("decision = %q, %v; want c", d.node, d.err)
	}
	if len(d.claimsToSelect) != 1 || d.claimsToSelect[0].Name != "fresh" {
		t.Errorf("claims to annotate = %v, want only fresh", d.claimsToSelect)
	}
}

func TestSchedulePreemption(t *testing.T) {
	// a holds a low-priority pod using all its cpu; b holds a high one.
	c := cluster{nodes: []*corev1.Node{makeNode("a", "2", "4Gi"), makeNode("b", "2", "4Gi")}, pods: []*corev1.Pod{
		makePod("low", onNode("a"), priority(10), requests("2", "")),
		makePod("high", onNode("b"), priority(1000), requests("2", "")),
	}}
	d := schedulePod(newPodInfo(makePod("p", priority(100), requests("1", ""))), c.snapshot(), testRand())
	if d.preemption == nil {
		t.Fatalf("no preemption: %v", d.err)
	}
	if d.preemption.node != "a" || len(d.preemption.victims) != 1 || d.preemption.victims[0].pod.Name != "low" {
		t.Errorf("preemption = %s %v, want a [low]", d.preemption.node, d.preemption.victims)
	}
	// Upstream says nothing about preemption when it found a way.
	if want := "0/2 nodes are available: 2 Insufficient cpu."; d.err.Error() != want {
		t.Errorf("message = %q, want %q", d.err.Error(), want)
	}

	// Only the pods that must go are victims: two small low pods, room for one more.
	c = cluster{nodes: []*corev1.Node{makeNode("a", "3", "4Gi")}, pods: []*corev1.Pod{
		makePod("low1", onNode("a"), priority(10), requests("1", "")),
		makePod("low2", onNode("a"), priority(20), requests("1", "")),
		makePod("mid", onNode("a"), priority(500), requests("1", "")),
	}}
	d = schedulePod(newPodInfo(makePod("p", priority(100), requests("1", ""))), c.snapshot(), testRand())
	if d.preemption == nil || len(d.preemption.victims) != 1 || d.preemption.victims[0].pod.Name != "low1" {
		t.Fatalf("preemption = %+v (%v), want victim low1", d.preemption, d.err)
	}

	// Removing every lower pod is not enough: the filter's reason is reported.
	c = cluster{nodes: []*corev1.Node{makeNode("a", "2", "4Gi")}, pods: []*corev1.Pod{makePod("low", onNode("a"), priority(10), requests("1", ""))}}
	if got, want := decide(makePod("p", priority(100), requests("3", "")), c.snapshot()),
		"0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestScheduleNominatedPodsKeepTheirRoom(t *testing.T) {
	snap := cluster{nodes: []*corev1.Node{makeNode("a", "2", "4Gi"), makeNode("b", "1", "4Gi")}}.snapshot()
	snap.nominated = []nominatedPod{{pod: newPodInfo(makePod("vip", priority(100), requests("2", ""))), node: "a"}}
	if got := decide(makePod("p", requests("1", "")), snap); got != "b" {
		t.Errorf("lower-priority pod went to %s, want b (a is promised)", got)
	}
	if got := decide(makePod("p", priority(200), requests("1", "")), snap); got != "a" && got != "b" {
		t.Errorf("higher-priority pod: %s", got)
	}
}

// place schedules pods one after the other, assuming each into the snapshot as the scheduler
// does, and returns how many landed on each node.
func place(t *testing.T, c cluster, pods []*corev1.Pod) map[string]int {
	t.Helper()
	sc := newSchedulerCache()
	for _, n := range c.nodes {
		sc.setNode(n)
	}
	for _, p := range c.pods {
		sc.setPod(p)
	}
	st := c.storage
	if st == nil {
		st = newFakeStorage()
	}
	rnd := testRand()
	counts := map[string]int{}
	for _, p := range pods {
		pi := newPodInfo(p)
		d := schedulePod(pi, newSnapshot(sc.nodeInfos(), st, nil), rnd)
		if d.err != nil {
			t.Fatalf("%s: %v", p.Name, d.err)
		}
		bound := *p
		bound.Spec.NodeName = d.node
		a := *pi
		a.pod = &bound
		if err := sc.assumePod(&a); err != nil {
			t.Fatal(err)
		}
		counts[d.node]++
	}
	return counts
}

func TestScoringSpreads(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", "8", "16Gi"), makeNode("b", "8", "16Gi"), makeNode("c", "8", "16Gi")}
	t.Run("pods with requests spread evenly", func(t *testing.T) {
		var pods []*corev1.Pod
		for i := range 30 {
			pods = append(pods, makePod(fmt.Sprintf("p%d", i), requests("100m", "128Mi")))
		}
		if got := place(t, cluster{nodes: nodes}, pods); got["a"] != 10 || got["b"] != 10 || got["c"] != 10 {
			t.Errorf("placement %v, want 10 each", got)
		}
	})
	t.Run("pods of one owner spread over nodes", func(t *testing.T) {
		// A busy node (lots of unrelated pods) still gets its share of a ReplicaSet's pods
		// only once the others have theirs.
		var pods []*corev1.Pod
		for i := range 6 {
			pods = append(pods, makePod(fmt.Sprintf("r%d", i), ownedBy("rs-1")))
		}
		if got := place(t, cluster{nodes: nodes}, pods); got["a"] != 2 || got["b"] != 2 || got["c"] != 2 {
			t.Errorf("placement %v, want 2 each", got)
		}
	})
	t.Run("PreferNoSchedule is avoided", func(t *testing.T) {
		c := cluster{nodes: []*corev1.Node{makeNode("a", "8", "16Gi", withTaint("k", "v", corev1.TaintEffectPreferNoSchedule)), makeNode("b", "8", "16Gi")}}
		var pods []*corev1.Pod
		for i := range 4 {
			pods = append(pods, makePod(fmt.Sprintf("p%d", i), requests("100m", "")))
		}
		if got := place(t, c, pods); got["b"] != 4 {
			t.Errorf("placement %v, want all on b", got)
		}
	})
	t.Run("preferred node affinity", func(t *testing.T) {
		c := cluster{nodes: []*corev1.Node{makeNode("a", "8", "16Gi"), makeNode("b", "8", "16Gi", withLabel("disk", "ssd"))}}
		if got := place(t, c, []*corev1.Pod{makePod("p", preferredNode(50, expr("disk", corev1.NodeSelectorOpIn, "ssd")))}); got["b"] != 1 {
			t.Errorf("placement %v, want b", got)
		}
	})
	t.Run("preferred anti-affinity", func(t *testing.T) {
		c := cluster{nodes: []*corev1.Node{makeNode("a", "8", "16Gi"), makeNode("b", "8", "16Gi")},
			pods: []*corev1.Pod{makePod("db", onNode("a"), labelled("app", "db"), requests("100m", "100Mi"))}}
		c.nodes[1].Status.Allocatable = c.nodes[1].Status.Allocatable.DeepCopy()
		pod := makePod("db-2", labelled("app", "db"), preferredAntiAffinity(100, podTerm(corev1.LabelHostname, "app", "db")))
		if got := place(t, c, []*corev1.Pod{pod}); got["b"] != 1 {
			t.Errorf("placement %v, want b", got)
		}
	})
}

func TestScheduleTiesDependOnTheSeedOnly(t *testing.T) {
	snap := cluster{nodes: []*corev1.Node{makeNode("a", "1", "1Gi"), makeNode("b", "1", "1Gi"), makeNode("c", "1", "1Gi"), makeNode("d", "1", "1Gi")}}.snapshot()
	pi := newPodInfo(makePod("p"))
	seen := map[string]bool{}
	for seed := range uint64(64) {
		var first string
		for range 3 {
			rnd := randFromSeed(seed)
			got := schedulePod(pi, snap, rnd).node
			if first == "" {
				first = got
			} else if got != first {
				t.Fatalf("seed %d: %s then %s", seed, first, got)
			}
		}
		seen[first] = true
	}
	if len(seen) != 4 {
		t.Errorf("64 seeds chose only %v among 4 equal nodes", seen)
	}
}

func TestSchedulePrefersStaticClassFailure(t *testing.T) {
	// A WaitForFirstConsumer claim of a class with no provisioner cannot be served here.
	st := newFakeStorage(makeClaim("data", "static"), makeClass("static", notSupportedProvisioner, storagev1.VolumeBindingWaitForFirstConsumer))
	got := decide(makePod("p", usesClaim("data")), cluster{nodes: threeNodes(), storage: st}.snapshot())
	want := "0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.."
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
