package nodelifecycle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

var t0 = time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// readyNode is a node whose agent posted Ready=True (and no pressure) at heartbeat.
func readyNode(name string, heartbeat time.Time) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))}}
	hb := metav1.NewTime(heartbeat)
	for _, c := range []struct {
		t corev1.NodeConditionType
		s corev1.ConditionStatus
	}{{corev1.NodeMemoryPressure, corev1.ConditionFalse}, {corev1.NodeDiskPressure, corev1.ConditionFalse},
		{corev1.NodePIDPressure, corev1.ConditionFalse}, {corev1.NodeReady, corev1.ConditionTrue}} {
		n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{
			Type: c.t, Status: c.s, LastHeartbeatTime: hb, LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour)), Reason: "Kubelet",
		})
	}
	return n
}

func withCondition(n *corev1.Node, t corev1.NodeConditionType, s corev1.ConditionStatus) *corev1.Node {
	n = n.DeepCopy()
	if c := findNodeCondition(n.Status.Conditions, t); c != nil {
		c.Status = s
		return n
	}
	n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: t, Status: s})
	return n
}

func withTaints(n *corev1.Node, taints ...corev1.Taint) *corev1.Node {
	n = n.DeepCopy()
	n.Spec.Taints = append(n.Spec.Taints, taints...)
	return n
}

func withLabels(n *corev1.Node, kv ...string) *corev1.Node {
	n = n.DeepCopy()
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Labels[kv[i]] = kv[i+1]
	}
	return n
}

// nodeLease is the node's Lease renewed at renew, advertising fencing (0: none).
func nodeLease(name string, renew time.Time, fencingPeriod time.Duration) *coordinationv1.Lease {
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease, ResourceVersion: fmt.Sprint(renew.Unix())},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &metav1.MicroTime{Time: renew}},
	}
	fencing.SetPeriod(l, fencingPeriod)
	return l
}

var defaultTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
}

// readyPod is a running, ready pod on node with the default tolerations.
func readyPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec:       corev1.PodSpec{NodeName: node, Tolerations: append([]corev1.Toleration(nil), defaultTolerations...)},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, Reason: "", LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour))},
		}},
	}
}

func ofStatefulSet(p *corev1.Pod, set string) *corev1.Pod {
	p = p.DeepCopy()
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: set, UID: types.UID("uid-" + set), Controller: ptr.To(true)}}
	return p
}

func withTolerations(p *corev1.Pod, ts ...corev1.Toleration) *corev1.Pod {
	p = p.DeepCopy()
	p.Spec.Tolerations = ts
	return p
}

func terminating(p *corev1.Pod) *corev1.Pod {
	p = p.DeepCopy()
	p.DeletionTimestamp = ptr.To(metav1.NewTime(t0))
	return p
}

func toleration(key string, seconds *int64) corev1.Toleration {
	return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds}
}

// cluster is a test cluster that passes run over, carrying the controller's memory.
type cluster struct {
	nodes  map[string]*corev1.Node
	leases map[string]*coordinationv1.Lease
	pods   map[string]*corev1.Pod
	memory memory
	opts   Options
}

func newCluster(opts Options) *cluster {
	return &cluster{nodes: map[string]*corev1.Node{}, leases: map[string]*coordinationv1.Lease{}, pods: map[string]*corev1.Pod{},
		memory: newMemory(), opts: opts.withDefaults()}
}

func (c *cluster) addNode(n *corev1.Node)                  { c.nodes[n.Name] = n }
func (c *cluster) addLease(l *coordinationv1.Lease)        { c.leases[l.Name] = l }
func (c *cluster) addPod(p *corev1.Pod)                    { c.pods[p.Name] = p }
func (c *cluster) renew(name string, at time.Time)         { c.leases[name] = c.leaseRenewed(name, at) }
func (c *cluster) node(name string) *corev1.Node           { return c.nodes[name] }
func (c *cluster) pod(name string) *corev1.Pod             { return c.pods[name] }
func (c *cluster) lease(name string) *coordinationv1.Lease { return c.leases[name] }

func (c *cluster) leaseRenewed(name string, at time.Time) *coordinationv1.Lease {
	l := c.leases[name].DeepCopy()
	l.Spec.RenewTime = &metav1.MicroTime{Time: at}
	l.ResourceVersion = fmt.Sprint(at.UnixNano())
	return l
}

// pass runs plan at now and applies its writes to the cluster the way the API would, so
// the next pass sees them (a taint added now is seen by the next pass, as through the
// informer).
func (c *cluster) pass(now time.Time) actions {
	in := input{Now: now, Leases: map[string]*coordinationv1.Lease{}, Pods: map[string][]*corev1.Pod{}, Memory: c.memory, Opts: c.opts}
	for _, n := range c.nodes {
		in.Nodes = append(in.Nodes, n)
	}
	for k, l := range c.leases {
		in.Leases[k] = l
	}
	for _, name := range sortedKeys(c.pods) {
		p := c.pods[name]
		in.Pods[p.Spec.NodeName] = append(in.Pods[p.Spec.NodeName], p)
	}
	acts := plan(in)
	c.memory = acts.Memory
	for _, n := range acts.NodeStatus {
		c.nodes[n.Name] = n
	}
	for _, tc := range acts.Taints {
		n := c.nodes[tc.Node].DeepCopy()
		var kept []corev1.Taint
		for _, t := range n.Spec.Taints {
			if !hasTaint(tc.Remove, t) {
				kept = append(kept, t)
			}
		}
		n.Spec.Taints = append(kept, tc.Add...)
		c.nodes[n.Name] = n
	}
	for _, p := range acts.MarkNotReady {
		c.pods[p.Name] = p
	}
	for _, p := range acts.Evict {
		c.pods[p.Name] = terminating(c.pods[p.Name])
	}
	for _, f := range acts.Failovers {
		for _, p := range f.Pods {
			delete(c.pods, p.Name)
		}
	}
	return acts
}

// summary describes the writes and events of a pass in one line each, sorted, for
// comparing with what a test expects.
func summary(a actions) []string {
	var out []string
	for _, n := range a.NodeStatus {
		var cs []string
		for _, c := range n.Status.Conditions {
			cs = append(cs, fmt.Sprintf("%s=%s", c.Type, c.Status))
		}
		out = append(out, fmt.Sprintf("status %s %s", n.Name, strings.Join(cs, ",")))
	}
	for _, tc := range a.Taints {
		for _, t := range tc.Add {
			out = append(out, fmt.Sprintf("taint %s +%s:%s", tc.Node, t.Key, t.Effect))
		}
		for _, t := range tc.Remove {
			out = append(out, fmt.Sprintf("taint %s -%s:%s", tc.Node, t.Key, t.Effect))
		}
	}
	for _, p := range a.MarkNotReady {
		out = append(out, "notready "+p.Name)
	}
	for _, p := range a.Evict {
		out = append(out, "evict "+p.Name)
	}
	for _, f := range a.Failovers {
		var names []string
		for _, p := range f.Pods {
			names = append(names, p.Name)
		}
		out = append(out, fmt.Sprintf("failover %s %s", f.Node, strings.Join(names, ",")))
	}
	for _, c := range a.Completions {
		out = append(out, "complete "+c.Lease.Name)
	}
	sort.Strings(out)
	return out
}

// eventSummary lists the events of a pass as "reason object: message".
func eventSummary(a actions) []string {
	var out []string
	for _, e := range a.Events {
		out = append(out, fmt.Sprintf("%s %s %s: %s", e.Source, e.Reason, e.Object.Name, e.Message))
	}
	sort.Strings(out)
	return out
}
