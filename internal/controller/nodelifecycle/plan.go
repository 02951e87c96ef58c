package nodelifecycle

import (
	"fmt"
	"sort"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
)

// memory is what the controller remembers from one pass to the next. It is in memory only:
// a restarted controller starts from nothing, which can only make it wait longer.
type memory struct {
	// Health is per node name.
	Health map[string]nodeHealth
	// Known are the nodes seen so far (name to UID), for RegisteredNode/RemovingNode.
	Known map[string]types.UID
	// AllDisrupted: every zone was fully disrupted at the last pass.
	AllDisrupted bool
	// Zones are the zones' states at the last pass.
	Zones map[string]zoneState
	// Evictions are the pods whose toleration time is running, with when it started.
	Evictions map[types.UID]time.Time
	// MarkedNotReady are the pods already set Ready=False for their node's current
	// trouble, so each is marked once and a live agent that disagrees is not fought.
	MarkedNotReady map[types.UID]bool
}

func newMemory() memory {
	return memory{
		Health: map[string]nodeHealth{}, Known: map[string]types.UID{}, Zones: map[string]zoneState{},
		Evictions: map[types.UID]time.Time{}, MarkedNotReady: map[types.UID]bool{},
	}
}

// input is everything one pass decides from.
type input struct {
	Now    time.Time
	Nodes  []*corev1.Node
	Leases map[string]*coordinationv1.Lease // kube-node-lease, by name
	Pods   map[string][]*corev1.Pod         // by spec.nodeName
	Memory memory
	Opts   Options
}

// taintChange adds and removes taints (matched by key and effect) on one node.
type taintChange struct {
	Node        string
	Add, Remove []corev1.Taint
}

// Event sources, as upstream names them.
const (
	sourceNodeController = "node-controller"
	sourceTaintEviction  = "taint-eviction-controller"
)

// event is one event to record.
type event struct {
	Source                string
	Object                *corev1.ObjectReference
	Type, Reason, Message string
}

// actions is the outcome of a pass: the next memory and the writes to make, in order.
type actions struct {
	Memory memory
	// NodeStatus are nodes whose status is to be written as given (conditions to Unknown).
	NodeStatus []*corev1.Node
	Taints     []taintChange
	// MarkNotReady are pods to write with condition Ready=False (copies, already changed).
	MarkNotReady []*corev1.Pod
	// Evict are pods to delete gracefully, after recording the DisruptionTarget condition.
	Evict       []*corev1.Pod
	Completions []completion
	Failovers   []failover
	Events      []event
	// Logs are notable decisions for the log (disruption mode changes).
	Logs []string
	// RequeueAfter is when the next pass is due for a time-based reason (0: none).
	RequeueAfter time.Duration
}

// plan is one pass of the node lifecycle controller: it observes heartbeats, marks silent
// nodes Unknown, keeps the condition taints right, marks pods on troubled nodes not ready,
// evicts pods from NoExecute-tainted nodes and fails over the StatefulSet pods of nodes
// lost for longer than the failover moment. It does no I/O.
func plan(in input) actions {
	now, o := in.Now, in.Opts
	out := actions{Memory: newMemory()}
	next := &out.Memory
	nodes := append([]*corev1.Node(nil), in.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	var wake []time.Time

	// Nodes come and go.
	for _, n := range nodes {
		next.Known[n.Name] = n.UID
		if _, ok := in.Memory.Known[n.Name]; !ok {
			out.Events = append(out.Events, nodeEvent(n.Name, n.UID, corev1.EventTypeNormal, "RegisteredNode",
				fmt.Sprintf("Node %s event: Registered Node %s in Controller", n.Name, n.Name)))
		}
	}
	for _, name := range sortedKeys(in.Memory.Known) {
		if _, ok := next.Known[name]; !ok {
			out.Events = append(out.Events, nodeEvent(name, in.Memory.Known[name], corev1.EventTypeNormal, "RemovingNode",
				fmt.Sprintf("Node %s event: Removing Node %s from Controller", name, name)))
		}
	}

	// Heartbeats, and the conditions of nodes silent for longer than their grace period.
	ready := map[string]corev1.ConditionStatus{}
	status := map[string]corev1.NodeStatus{}
	for _, n := range nodes {
		var prev *nodeHealth
		if h, ok := in.Memory.Health[n.Name]; ok {
			prev = &h
		}
		h := observe(prev, n, in.Leases[n.Name], now)
		next.Health[n.Name] = h
		st := n.Status
		if due := h.ProbeTime.Add(gracePeriod(n, o)); !now.Before(due) {
			if s, changed := markUnknown(n, now); changed {
				st = s
				// The controller's own write is not a heartbeat when it comes back.
				h.HasReady, h.Heartbeat = true, findNodeCondition(s.Conditions, corev1.NodeReady).LastHeartbeatTime
				next.Health[n.Name] = h
				updated := n.DeepCopy()
				updated.Status = s
				out.NodeStatus = append(out.NodeStatus, updated)
				if readyStatus(n) == corev1.ConditionTrue {
					out.Events = append(out.Events, nodeEvent(n.Name, n.UID, corev1.EventTypeNormal, "NodeNotReady",
						fmt.Sprintf("Node %s status is now: NodeNotReady", n.Name)))
				}
			}
		} else {
			wake = append(wake, due)
		}
		status[n.Name] = st
		if c := findNodeCondition(st.Conditions, corev1.NodeReady); c != nil {
			ready[n.Name] = c.Status
		}
	}

	// Disruption: when every zone lost all its nodes, the control plane is the likelier
	// culprit; stop evicting and failing over, and give every node a fresh grace period
	// when the first one comes back.
	dis := computeDisruption(nodes, ready)
	next.Zones = dis.zones
	next.AllDisrupted = dis.all
	switch {
	case dis.all && !in.Memory.AllDisrupted:
		out.Logs = append(out.Logs, "every node is not Ready: entering full disruption mode, no evictions or failovers")
	case !dis.all && in.Memory.AllDisrupted:
		out.Logs = append(out.Logs, "some nodes are Ready again: leaving full disruption mode")
		for name, h := range next.Health {
			h.ProbeTime = now
			next.Health[name] = h
		}
	}
	for _, k := range sortedKeys(dis.zones) {
		if prev, ok := in.Memory.Zones[k]; ok && prev != dis.zones[k] {
			out.Logs = append(out.Logs, fmt.Sprintf("zone %q is now in state %s", k, dis.zones[k]))
		}
	}

	// Taints the conditions call for.
	for _, n := range nodes {
		if tc := planTaints(n, status[n.Name], dis, now); len(tc.Add)+len(tc.Remove) > 0 {
			out.Taints = append(out.Taints, tc)
		}
	}

	// Pods on nodes that are not Ready are not ready either.
	for _, n := range nodes {
		r := ready[n.Name]
		for _, p := range in.Pods[n.Name] {
			if r == corev1.ConditionTrue || r == "" {
				continue // forgotten below: the node is fine again
			}
			if in.Memory.MarkedNotReady[p.UID] {
				next.MarkedNotReady[p.UID] = true
				continue
			}
			if marked, ok := markPodNotReady(p, now); ok {
				out.MarkNotReady = append(out.MarkNotReady, marked)
				next.MarkedNotReady[p.UID] = true
				out.Events = append(out.Events, event{Source: sourceNodeController, Object: podRef(p),
					Type: corev1.EventTypeWarning, Reason: "NodeNotReady", Message: "Node is not ready"})
			}
		}
	}

	// Taint-based eviction, from the taints the nodes carry now (a taint added by this
	// pass is acted on when its write comes back through the informer).
	for _, n := range nodes {
		taints := noExecuteTaints(n.Spec.Taints)
		for _, p := range in.Pods[n.Name] {
			v, started := planEviction(p, taints, in.Memory.Evictions[p.UID], now)
			if !started.IsZero() {
				next.Evictions[p.UID] = started
			}
			key := p.Namespace + "/" + p.Name
			switch {
			case v.Evict:
				out.Evict = append(out.Evict, p)
				out.Events = append(out.Events, event{Source: sourceTaintEviction, Object: podRef(p),
					Type: corev1.EventTypeNormal, Reason: "TaintManagerEviction", Message: "Marking for deletion Pod " + key})
			case v.Cancelled:
				out.Events = append(out.Events, event{Source: sourceTaintEviction, Object: podRef(p),
					Type: corev1.EventTypeNormal, Reason: "TaintManagerEviction", Message: "Cancelling deletion of Pod " + key})
			}
			if !v.Deadline.IsZero() {
				wake = append(wake, v.Deadline)
			}
		}
	}

	// Failovers recorded on Leases and not finished (a previous run stopped half way, or
	// the informer has not seen this run's clean-up yet: finishing twice is harmless).
	pending := map[string]bool{}
	for _, name := range sortedKeys(in.Leases) {
		lease := in.Leases[name]
		if _, ok := lease.Annotations[fencing.FailoverAnnotation]; !ok {
			continue
		}
		pending[name] = true
		rec, err := fencing.GetFailover(lease)
		if err != nil {
			out.Logs = append(out.Logs, err.Error()+": removing it")
		}
		out.Completions = append(out.Completions, completion{Lease: lease, Record: rec})
	}

	// New failovers.
	if o.failover() && !dis.all {
		for _, n := range nodes {
			lease := in.Leases[n.Name]
			period, ok := effectiveFencingPeriod(lease, o.FencingPeriod)
			if !ok || pending[n.Name] {
				continue
			}
			pods := statefulSetPods(in.Pods[n.Name])
			if len(pods) == 0 {
				continue
			}
			h := next.Health[n.Name]
			grace := gracePeriod(n, o)
			moment := failoverMoment(h.ProbeTime, grace, period, o.SafetyMargin)
			if now.Before(moment) {
				wake = append(wake, moment)
				continue
			}
			out.Failovers = append(out.Failovers, failover{
				Node: n.Name, Lease: lease, Pods: pods,
				LastHeartbeat: h.ProbeTime, Grace: grace, Fencing: period, Margin: o.SafetyMargin,
			})
		}
	}

	for _, t := range wake {
		if d := t.Sub(now); d > 0 && (out.RequeueAfter == 0 || d < out.RequeueAfter) {
			out.RequeueAfter = d
		}
	}
	return out
}

// planTaints works out one node's condition taints: the NoSchedule ones follow its
// conditions; the NoExecute ones (unreachable for Unknown, not-ready for False) are added
// unless every zone is down or the node's zone is halted, and removed when it is Ready or
// every zone is down. New taints carry timeAdded.
func planTaints(n *corev1.Node, st corev1.NodeStatus, dis disruption, now time.Time) taintChange {
	tc := taintChange{Node: n.Name}
	t := metav1.NewTime(now)
	want := noScheduleTaints(st.Conditions, n.Spec.Unschedulable)
	for _, w := range want {
		if !hasTaint(n.Spec.Taints, w) {
			w.TimeAdded = &t
			tc.Add = append(tc.Add, w)
		}
	}
	for _, have := range n.Spec.Taints {
		if have.Effect == corev1.TaintEffectNoSchedule && ownedNoScheduleKeys[have.Key] && !hasTaint(want, have) {
			tc.Remove = append(tc.Remove, corev1.Taint{Key: have.Key, Effect: have.Effect})
		}
	}

	var add, drop *corev1.Taint
	switch c := findNodeCondition(st.Conditions, corev1.NodeReady); {
	case c == nil:
		return tc // still within its startup grace: nothing known
	case dis.all || c.Status == corev1.ConditionTrue:
		for _, x := range []corev1.Taint{unreachableTaint, notReadyTaint} {
			if hasTaint(n.Spec.Taints, x) {
				tc.Remove = append(tc.Remove, x)
			}
		}
		return tc
	case c.Status == corev1.ConditionFalse:
		add, drop = &notReadyTaint, &unreachableTaint
	default:
		add, drop = &unreachableTaint, &notReadyTaint
	}
	swap := hasTaint(n.Spec.Taints, *drop) // the condition flipped: follow it at once
	if swap {
		tc.Remove = append(tc.Remove, *drop)
	}
	if !hasTaint(n.Spec.Taints, *add) && (swap || !dis.halted[zoneKey(n)]) {
		x := *add
		x.TimeAdded = &t
		tc.Add = append(tc.Add, x)
	}
	return tc
}

// markPodNotReady returns a copy of the pod with its Ready condition False, or false if it
// has no Ready condition that is not False already.
func markPodNotReady(pod *corev1.Pod, now time.Time) (*corev1.Pod, bool) {
	for i, c := range pod.Status.Conditions {
		if c.Type != corev1.PodReady {
			continue
		}
		if c.Status == corev1.ConditionFalse {
			return nil, false
		}
		p := pod.DeepCopy()
		p.Status.Conditions[i].Status = corev1.ConditionFalse
		p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(now)
		return p, true
	}
	return nil, false
}

func nodeEvent(name string, uid types.UID, typ, reason, message string) event {
	return event{Source: sourceNodeController, Object: &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: name, UID: uid},
		Type: typ, Reason: reason, Message: message}
}

func podRef(p *corev1.Pod) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, ResourceVersion: p.ResourceVersion}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
