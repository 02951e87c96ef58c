package nodelifecycle

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

// threeNodes is a cluster of nodes a, b and c whose agents fence after 30s and renewed at
// t0, with pods on a: a StatefulSet's web-0, a ReplicaSet-like pod, a pod tolerating the
// unreachable taint for 2s, one tolerating it forever and one tolerating nothing; and the
// StatefulSet's web-1 on b.
func threeNodes(opts Options) *cluster {
	c := newCluster(opts)
	for _, n := range []string{"a", "b", "c"} {
		c.addNode(readyNode(n, at(-5)))
		c.addLease(nodeLease(n, at(0), 30*time.Second))
	}
	c.addPod(ofStatefulSet(readyPod("web-0", "a"), "web"))
	c.addPod(ofStatefulSet(readyPod("web-1", "b"), "web"))
	c.addPod(readyPod("rs-1", "a"))
	c.addPod(withTolerations(readyPod("short", "a"), toleration(corev1.TaintNodeUnreachable, ptr.To[int64](2))))
	c.addPod(withTolerations(readyPod("daemon", "a"), toleration(corev1.TaintNodeUnreachable, nil)))
	c.addPod(withTolerations(readyPod("plain", "a")))
	return c
}

// step is one pass of a scenario: renewals first, then a pass at the time, then what it
// must have written.
type step struct {
	at     float64
	renew  []string // leases renewed just before the pass
	want   []string // summary(actions)
	events []string // substrings that must appear among the events, if given
}

func runSteps(t *testing.T, c *cluster, steps []step) {
	t.Helper()
	for _, s := range steps {
		for _, n := range s.renew {
			c.renew(n, at(s.at))
		}
		acts := c.pass(at(s.at))
		if got := summary(acts); !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
			t.Fatalf("pass at %gs:\n got %q\nwant %q", s.at, got, s.want)
		}
		evs := strings.Join(eventSummary(acts), "\n")
		for _, e := range s.events {
			if !strings.Contains(evs, e) {
				t.Fatalf("pass at %gs: no event %q among\n%s", s.at, e, evs)
			}
		}
	}
}

func TestLostNodeTimeline(t *testing.T) {
	c := threeNodes(Options{})
	runSteps(t, c, []step{
		{at: 0, events: []string{
			"node-controller RegisteredNode a: Node a event: Registered Node a in Controller",
			"node-controller RegisteredNode c: Node c event: Registered Node c in Controller",
		}},
		{at: 10, renew: []string{"b", "c"}},
		{at: 20, renew: []string{"b", "c"}},
		{at: 30, renew: []string{"b", "c"}},
		{at: 40, renew: []string{"b", "c"}},
		{at: 49.999, renew: []string{"b", "c"}},
		// a's grace period is up: Unknown, tainted, its pods not ready.
		{at: 50, want: []string{
			"notready daemon", "notready plain", "notready rs-1", "notready short", "notready web-0",
			"status a MemoryPressure=Unknown,DiskPressure=Unknown,PIDPressure=Unknown,Ready=Unknown",
			"taint a +node.kubernetes.io/unreachable:NoExecute", "taint a +node.kubernetes.io/unreachable:NoSchedule",
		}, events: []string{
			"node-controller NodeNotReady a: Node a status is now: NodeNotReady",
			"node-controller NodeNotReady web-0: Node is not ready",
		}},
		// The taint is back through the informer: taint eviction starts.
		{at: 50, want: []string{"evict plain"}, events: []string{"taint-eviction-controller TaintManagerEviction plain: Marking for deletion Pod default/plain"}},
		{at: 51.999, renew: []string{"b", "c"}},
		{at: 52, want: []string{"evict short"}},
		{at: 60, renew: []string{"b", "c"}},
		{at: 70, renew: []string{"b", "c"}},
		{at: 80, renew: []string{"b", "c"}},
		// Not one nanosecond early: T + 50s grace + 30s fencing + 10s margin.
		{at: 89.999999999},
		{at: 90, want: []string{"failover a web-0"}},
		{at: 95},
	})
	if c.pod("web-1") == nil {
		t.Fatal("web-1 on a healthy node was failed over")
	}

	// a comes back: its agent renews and posts Ready.
	c.renew("a", at(100))
	c.nodes["a"] = func() *corev1.Node {
		n := readyNode("a", at(100))
		n.Spec.Taints = c.node("a").Spec.Taints
		return n
	}()
	acts := c.pass(at(100))
	if got, want := summary(acts), []string{"taint a -node.kubernetes.io/unreachable:NoExecute", "taint a -node.kubernetes.io/unreachable:NoSchedule"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("node back:\n got %q\nwant %q", got, want)
	}
	if len(c.memory.MarkedNotReady) != 0 {
		t.Errorf("marks kept for a Ready node: %v", c.memory.MarkedNotReady)
	}
	acts = c.pass(at(100))
	if evs := eventSummary(acts); len(evs) != 1 || evs[0] != "taint-eviction-controller TaintManagerEviction rs-1: Cancelling deletion of Pod default/rs-1" {
		t.Errorf("events once the taints are gone: %q", evs)
	}
	if len(c.memory.Evictions) != 0 {
		t.Errorf("eviction clocks left: %v", c.memory.Evictions)
	}
}

func TestFailover(t *testing.T) {
	off := false
	tests := []struct {
		name  string
		opts  Options
		setup func(c *cluster)
		// renewals of a after t0 (seconds), beside b and c renewing every 10s
		renewA []float64
		// failoverAt is when web-0 must be failed over; 0: never (checked up to 600s).
		failoverAt float64
	}{
		{name: "defaults: 50 + 30 + 10 after the last heartbeat", failoverAt: 90},
		{
			name: "shorter periods", opts: Options{NodeMonitorGracePeriod: 4 * time.Second, FencingPeriod: 3 * time.Second, SafetyMargin: time.Second},
			setup: func(c *cluster) { c.addLease(nodeLease("a", at(0), 3*time.Second)) }, failoverAt: 8,
		},
		{
			name: "the agent's advertised period is used when longer than the configured one",
			opts: Options{NodeMonitorGracePeriod: 4 * time.Second, FencingPeriod: 3 * time.Second, SafetyMargin: time.Second}, failoverAt: 35,
		},
		{name: "a heartbeat moves it", renewA: []float64{89}, failoverAt: 179},
		{name: "the agent's longer fencing period wins", setup: func(c *cluster) { c.addLease(nodeLease("a", at(0), time.Minute)) }, failoverAt: 120},
		{name: "the configured longer fencing period wins", opts: Options{FencingPeriod: time.Minute}, failoverAt: 120},
		{name: "no fencing advertised: never", setup: func(c *cluster) { c.addLease(nodeLease("a", at(0), 0)) }},
		{name: "no lease: never", setup: func(c *cluster) { delete(c.leases, "a") }},
		{name: "failover disabled: never", opts: Options{FailoverEnabled: &off}},
		{
			name: "a node that never posted status waits for its startup grace",
			setup: func(c *cluster) {
				n := c.node("a").DeepCopy()
				n.Status.Conditions = nil
				c.addNode(n)
			},
			failoverAt: 100, // 60s startup grace (from the lease seen at 0) + 30 + 10
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := threeNodes(tt.opts)
			if tt.setup != nil {
				tt.setup(c)
			}
			renewA := map[int]bool{}
			for _, r := range tt.renewA {
				renewA[int(r*1000)] = true
			}
			// Passes every 0.5s and at each due time, as the controller's wake-ups would.
			var failedAt float64
			for ms := 0; ms <= 600_000; {
				now := at(float64(ms) / 1000)
				if ms%1_000 == 0 {
					c.renew("b", now)
					c.renew("c", now)
				}
				if renewA[ms] {
					c.renew("a", now)
				}
				acts := c.pass(now)
				for _, f := range acts.Failovers {
					if f.Node != "a" || len(f.Pods) != 1 || f.Pods[0].Name != "web-0" {
						t.Fatalf("at %gs: unexpected failover %+v", float64(ms)/1000, f)
					}
					if failedAt != 0 {
						t.Fatalf("failed over twice (%gs and %gs)", failedAt, float64(ms)/1000)
					}
					failedAt = float64(ms) / 1000
					if f.Lease == nil || f.Lease.ResourceVersion != c.lease("a").ResourceVersion {
						t.Errorf("the failover must carry the lease it decided on for the precondition: %+v", f.Lease)
					}
				}
				next := ms + 500
				if acts.RequeueAfter > 0 {
					if d := ms + int(acts.RequeueAfter/time.Millisecond); d < next {
						next = d
					}
				}
				if next == ms {
					next++
				}
				ms = next
			}
			if failedAt != tt.failoverAt {
				t.Fatalf("failed over at %gs, want %gs (0: never)", failedAt, tt.failoverAt)
			}
		})
	}
}

func TestFailoverEventMessageAndMomentExactly(t *testing.T) {
	c := threeNodes(Options{NodeMonitorGracePeriod: 4 * time.Second, FencingPeriod: 3 * time.Second, SafetyMargin: time.Second})
	c.addLease(nodeLease("a", at(0), 2*time.Second)) // shorter than configured: the configured one holds
	c.pass(at(0))
	c.renew("b", at(4))
	c.renew("c", at(4))
	acts := c.pass(at(4))
	if acts.RequeueAfter != 4*time.Second {
		t.Errorf("after marking a Unknown at 4s the next due time is the failover at 8s: requeue %s", acts.RequeueAfter)
	}
	c.renew("b", at(7))
	c.renew("c", at(7))
	acts = c.pass(at(8).Add(-time.Nanosecond))
	if len(acts.Failovers) != 0 || acts.RequeueAfter != time.Nanosecond {
		t.Fatalf("one nanosecond early: %q, requeue %s", summary(acts), acts.RequeueAfter)
	}
	acts = c.pass(at(8))
	if len(acts.Failovers) != 1 {
		t.Fatalf("at the moment: %q", summary(acts))
	}
	f := acts.Failovers[0]
	if !f.LastHeartbeat.Equal(at(0)) || f.Grace != 4*time.Second || f.Fencing != 3*time.Second || f.Margin != time.Second {
		t.Errorf("failover %+v", f)
	}
}

func TestFullDisruption(t *testing.T) {
	t.Run("a one-node cluster whose node is silent keeps its pods", func(t *testing.T) {
		c := newCluster(Options{})
		c.addNode(readyNode("a", at(-5)))
		c.addLease(nodeLease("a", at(0), 30*time.Second))
		c.addPod(ofStatefulSet(readyPod("web-0", "a"), "web"))
		c.pass(at(0))
		acts := c.pass(at(50))
		if got, want := summary(acts), []string{
			"notready web-0", "status a MemoryPressure=Unknown,DiskPressure=Unknown,PIDPressure=Unknown,Ready=Unknown",
			"taint a +node.kubernetes.io/unreachable:NoSchedule",
		}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %q\nwant %q", got, want)
		}
		for s := 51.0; s < 2000; s += 10 {
			if acts := c.pass(at(s)); len(summary(acts)) != 0 {
				t.Fatalf("at %gs in full disruption: %q", s, summary(acts))
			}
		}
		if c.pod("web-0") == nil || c.pod("web-0").DeletionTimestamp != nil {
			t.Fatal("web-0 was evicted or failed over")
		}
	})

	t.Run("entering full disruption removes the NoExecute taints", func(t *testing.T) {
		c := newCluster(Options{})
		c.addNode(readyNode("a", at(-5)))
		c.addNode(readyNode("b", at(-5)))
		c.addLease(nodeLease("a", at(0), 30*time.Second))
		c.addLease(nodeLease("b", at(0), 30*time.Second))
		c.pass(at(0))
		c.renew("b", at(30))
		c.pass(at(30))
		c.pass(at(50)) // a lost: tainted
		if !hasTaint(c.node("a").Spec.Taints, unreachableTaint) {
			t.Fatalf("a not tainted: %v", c.node("a").Spec.Taints)
		}
		acts := c.pass(at(80)) // b lost too
		if got := summary(acts); !reflect.DeepEqual(got, []string{
			"status b MemoryPressure=Unknown,DiskPressure=Unknown,PIDPressure=Unknown,Ready=Unknown",
			"taint a -node.kubernetes.io/unreachable:NoExecute", "taint b +node.kubernetes.io/unreachable:NoSchedule",
		}) {
			t.Fatalf("got %q", got)
		}
		if len(acts.Logs) == 0 || !strings.Contains(acts.Logs[0], "entering full disruption") {
			t.Errorf("logs %q", acts.Logs)
		}
	})

	t.Run("leaving it gives every node a fresh grace period", func(t *testing.T) {
		c := newCluster(Options{})
		for _, n := range []string{"a", "b"} {
			c.addNode(readyNode(n, at(-5)))
			c.addLease(nodeLease(n, at(0), 30*time.Second))
		}
		c.addPod(ofStatefulSet(readyPod("web-0", "a"), "web"))
		c.pass(at(0))
		c.pass(at(50)) // both Unknown: full disruption
		if !c.memory.AllDisrupted {
			t.Fatal("not in full disruption")
		}
		// b comes back at 500.
		c.renew("b", at(500))
		c.nodes["b"] = readyNode("b", at(500))
		acts := c.pass(at(500))
		if c.memory.AllDisrupted || len(acts.Logs) == 0 || !strings.Contains(acts.Logs[0], "leaving full disruption") {
			t.Fatalf("still disrupted? logs %q", acts.Logs)
		}
		for s := 500.5; s < 590; s += 0.5 {
			if acts := c.pass(at(s)); len(acts.Failovers) > 0 {
				t.Fatalf("failover at %gs, before 500 + 90", s)
			}
			if int(s*2)%20 == 0 {
				c.renew("b", at(s))
			}
		}
		if acts := c.pass(at(590)); len(acts.Failovers) != 1 {
			t.Fatalf("no failover at 590s: %q", summary(acts))
		}
	})
}

func TestFailoverRecords(t *testing.T) {
	c := threeNodes(Options{})
	l := c.lease("a").DeepCopy()
	fencing.SetFailover(l, failoverRecord([]*corev1.Pod{c.pod("web-0")}, at(-1)))
	c.addLease(l)
	bad := c.lease("b").DeepCopy()
	bad.Annotations[fencing.FailoverAnnotation] = "{not json"
	c.addLease(bad)
	c.pass(at(0))
	c.renew("b", at(95))
	c.renew("c", at(95))
	acts := c.pass(at(95))
	if got := strings.Join(summary(acts), "\n"); !strings.Contains(got, "complete a\ncomplete b") {
		t.Fatalf("got %q", got)
	}
	for _, cp := range acts.Completions {
		switch cp.Lease.Name {
		case "a":
			if cp.Record == nil || len(cp.Record.Pods) != 1 || cp.Record.Pods[0].UID != "uid-web-0" {
				t.Errorf("record of a: %+v", cp.Record)
			}
		case "b":
			if cp.Record != nil {
				t.Errorf("a record that does not parse must only be removed: %+v", cp.Record)
			}
		}
	}
	if len(acts.Failovers) != 0 {
		t.Errorf("a node with a failover in progress is not failed over again: %q", summary(acts))
	}
}

func TestMarkPodsNotReadyOnce(t *testing.T) {
	c := newCluster(Options{})
	c.addNode(readyNode("a", at(-5)))
	c.addNode(readyNode("b", at(-5)))
	c.addLease(nodeLease("b", at(0), 0))
	c.pass(at(0))
	// The agent of a is alive and says NotReady; the controller marks its pods once and
	// does not fight the agent if it sets one Ready again.
	c.nodes["a"] = withCondition(readyNode("a", at(1)), corev1.NodeReady, corev1.ConditionFalse)
	c.addPod(readyPod("p", "a"))
	acts := c.pass(at(1))
	if got := summary(acts); !reflect.DeepEqual(got, []string{
		"notready p", "taint a +node.kubernetes.io/not-ready:NoExecute", "taint a +node.kubernetes.io/not-ready:NoSchedule",
	}) {
		t.Fatalf("got %q", got)
	}
	c.addPod(readyPod("p", "a"))
	if acts := c.pass(at(2)); len(acts.MarkNotReady) != 0 {
		t.Fatalf("marked twice: %q", summary(acts))
	}
	// A pod that arrives later is marked too.
	c.addPod(readyPod("q", "a"))
	if acts := c.pass(at(3)); !reflect.DeepEqual(summary(acts), []string{"notready q"}) {
		t.Fatalf("new pod: %q", summary(acts))
	}
}
