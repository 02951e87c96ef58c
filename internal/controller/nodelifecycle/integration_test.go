package nodelifecycle_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle"
	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
	"ordinal.dev/ordinal/internal/controlplane"
)

// Short periods: a node is Unknown 2s after its last heartbeat and failed over 2s + 2s + 1s
// after it.
var testOptions = nodelifecycle.Options{
	NodeMonitorPeriod: 500 * time.Millisecond, NodeMonitorGracePeriod: 2 * time.Second,
	FencingPeriod: 2 * time.Second, SafetyMargin: time.Second,
}

const failoverAfter = 5 * time.Second

// startController runs the node lifecycle controller against the control plane.
func startController(t *testing.T, client kubernetes.Interface, opts nodelifecycle.Options) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := nodelifecycle.New(client, factory, opts)
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
}

// heartbeats plays the agents of hand-registered nodes: it renews their Leases every 200ms
// and remembers when each last renewal was sent and stored.
type heartbeats struct {
	client kubernetes.Interface
	mu     sync.Mutex
	paused map[string]bool
	sent   map[string]time.Time
	stored map[string]time.Time
}

func (h *heartbeats) run(ctx context.Context, nodes ...string) {
	for {
		for _, n := range nodes {
			h.mu.Lock()
			paused := h.paused[n]
			h.mu.Unlock()
			if paused {
				continue
			}
			sent := time.Now()
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				l, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n, metav1.GetOptions{})
				if err != nil {
					return err
				}
				l.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
				_, err = h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, l, metav1.UpdateOptions{})
				return err
			})
			if err == nil {
				h.mu.Lock()
				h.sent[n], h.stored[n] = sent, time.Now()
				h.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pause stops renewing a node's lease and returns when its last renewal was sent and when
// it was stored.
func (h *heartbeats) pause(node string) (time.Time, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused[node] = true
	return h.sent[node], h.stored[node]
}

func (h *heartbeats) resume(node string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused[node] = false
}

// registerNode creates a Ready node and its Lease advertising fencing, as an agent would.
func registerNode(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	postReady(t, client, node.Name)
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](4), RenewTime: &metav1.MicroTime{Time: time.Now()},
		},
	}
	fencing.SetPeriod(lease, testOptions.FencingPeriod)
	if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// postReady writes the node's status as a healthy agent would, heartbeat now.
func postReady(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		node.Status.Conditions = nil
		for _, c := range []struct {
			t corev1.NodeConditionType
			s corev1.ConditionStatus
		}{{corev1.NodeMemoryPressure, corev1.ConditionFalse}, {corev1.NodeDiskPressure, corev1.ConditionFalse},
			{corev1.NodePIDPressure, corev1.ConditionFalse}, {corev1.NodeReady, corev1.ConditionTrue}} {
			node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
				Type: c.t, Status: c.s, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady",
			})
		}
		_, err = client.CoreV1().Nodes().UpdateStatus(context.Background(), node, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// createReadyPod creates a pod bound to node and marks it Running and Ready, as its agent
// would. owner, when set, makes a StatefulSet its controller.
func createReadyPod(t *testing.T, client kubernetes.Interface, name, node, owner string, tolerations ...corev1.Toleration) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: node, Tolerations: tolerations,
			Containers: []corev1.Container{{Name: "app", Image: "busybox"}}},
	}
	if owner != "" {
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: owner, UID: types.UID("uid-" + owner), Controller: ptr.To(true)}}
	}
	pod, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	pod, err = client.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

func nodeCondition(node *corev1.Node, ct corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == ct {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

func hasTaint(node *corev1.Node, key string, effect corev1.TaintEffect) *corev1.Taint {
	for i := range node.Spec.Taints {
		if node.Spec.Taints[i].Key == key && node.Spec.Taints[i].Effect == effect {
			return &node.Spec.Taints[i]
		}
	}
	return nil
}

func podReady(pod *corev1.Pod) corev1.ConditionStatus {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return ""
}

func eventsAbout(t *testing.T, client kubernetes.Interface, ns, name string) string {
	t.Helper()
	list, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, fmt.Sprintf("%s %s (%s): %s", e.Type, e.Reason, e.Source.Component, e.Message))
	}
	return strings.Join(out, "\n")
}

// watchDeletion reports when the pod's deletion reached a watch.
func watchDeletion(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) <-chan time.Time {
	t.Helper()
	w, err := client.CoreV1().Pods(pod.Namespace).Watch(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name).String(), ResourceVersion: pod.ResourceVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	out := make(chan time.Time, 1)
	go func() {
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Deleted && p.UID == pod.UID {
				out <- time.Now()
				return
			}
		}
	}()
	return out
}

func TestLostNode(t *testing.T) {
	ctx := context.Background()
	// The StatefulSet pods here have a made-up owner: no StatefulSet controller or garbage
	// collector must act on them.
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		DisableControllers: []string{"statefulset", "garbagecollector"}})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	registerNode(t, client, "a")
	registerNode(t, client, "b")
	hb := &heartbeats{client: client, paused: map[string]bool{}, sent: map[string]time.Time{}, stored: map[string]time.Time{}}
	hbCtx, stopHeartbeats := context.WithCancel(ctx)
	go hb.run(hbCtx, "a", "b")
	t.Cleanup(stopHeartbeats)

	web0 := createReadyPod(t, client, "web-0", "a", "web")
	web1 := createReadyPod(t, client, "web-1", "b", "web")
	short := createReadyPod(t, client, "short", "a", "",
		corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](2)})
	forever := createReadyPod(t, client, "forever", "a", "",
		corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})
	web0Deleted := watchDeletion(t, client, web0)
	web1Deleted := watchDeletion(t, client, web1)

	startController(t, client, testOptions)
	eventually(t, 10*time.Second, "RegisteredNode", func() (bool, string) {
		evs := eventsAbout(t, client, "default", "a")
		return strings.Contains(evs, "RegisteredNode (node-controller): Node a event: Registered Node a in Controller"), evs
	})
	// Let a few heartbeats pass under the controller's eyes, then a falls silent.
	time.Sleep(time.Second)
	for _, n := range []string{"a", "b"} {
		node, _ := client.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{})
		if len(node.Spec.Taints) != 0 {
			t.Fatalf("node %s with heartbeats got taints %v", n, node.Spec.Taints)
		}
	}
	lastSent, lastStored := hb.pause("a")

	t.Run("the silent node becomes Unknown and is tainted", func(t *testing.T) {
		eventually(t, 10*time.Second, "a Unknown and tainted", func() (bool, string) {
			node, err := client.CoreV1().Nodes().Get(ctx, "a", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			ready := nodeCondition(node, corev1.NodeReady)
			ok := ready.Status == corev1.ConditionUnknown && hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule) != nil &&
				hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) != nil
			return ok, fmt.Sprintf("ready %+v taints %+v", ready, node.Spec.Taints)
		})
		unknownAfter := time.Since(lastStored)
		node, _ := client.CoreV1().Nodes().Get(ctx, "a", metav1.GetOptions{})
		for _, ct := range []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
			c := nodeCondition(node, ct)
			if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusUnknown" || c.Message != "Kubelet stopped posting node status." {
				t.Errorf("condition %+v", c)
			}
		}
		if taint := hasTaint(node, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute); taint.TimeAdded == nil {
			t.Errorf("NoExecute taint without timeAdded: %+v", taint)
		}
		if unknownAfter < testOptions.NodeMonitorGracePeriod-200*time.Millisecond {
			t.Errorf("a became Unknown %s after its last heartbeat, before the grace period", unknownAfter)
		}
		if b, _ := client.CoreV1().Nodes().Get(ctx, "b", metav1.GetOptions{}); nodeCondition(b, corev1.NodeReady).Status != corev1.ConditionTrue || len(b.Spec.Taints) != 0 {
			t.Errorf("b, renewing, changed: %+v %+v", nodeCondition(b, corev1.NodeReady), b.Spec.Taints)
		}
		evs := eventsAbout(t, client, "default", "a")
		if !strings.Contains(evs, "Normal NodeNotReady (node-controller): Node a status is now: NodeNotReady") {
			t.Errorf("events of a:\n%s", evs)
		}
	})

	t.Run("its pods are marked not ready", func(t *testing.T) {
		eventually(t, 10*time.Second, "a's pods Ready=False", func() (bool, string) {
			var seen []string
			ok := true
			for _, name := range []string{"web-0", "short", "forever"} {
				p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				seen = append(seen, name+"="+string(podReady(p)))
				ok = ok && podReady(p) == corev1.ConditionFalse
			}
			return ok, strings.Join(seen, " ")
		})
		if evs := eventsAbout(t, client, "default", "forever"); !strings.Contains(evs, "Warning NodeNotReady (node-controller): Node is not ready") {
			t.Errorf("events of forever:\n%s", evs)
		}
		if p, _ := client.CoreV1().Pods("default").Get(ctx, "web-1", metav1.GetOptions{}); podReady(p) != corev1.ConditionTrue {
			t.Error("web-1 on a healthy node was marked not ready")
		}
	})

	t.Run("a pod tolerating the taint for 2s is evicted", func(t *testing.T) {
		eventually(t, 10*time.Second, "short terminating", func() (bool, string) {
			p, err := client.CoreV1().Pods("default").Get(ctx, "short", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return p.DeletionTimestamp != nil, fmt.Sprint(p.Status.Conditions)
		})
		p, _ := client.CoreV1().Pods("default").Get(ctx, "short", metav1.GetOptions{})
		found := false
		for _, c := range p.Status.Conditions {
			found = found || (c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == "DeletionByTaintManager")
		}
		if !found || p.UID != short.UID {
			t.Errorf("conditions %+v", p.Status.Conditions)
		}
		if evs := eventsAbout(t, client, "default", "short"); !strings.Contains(evs, "Normal TaintManagerEviction (taint-eviction-controller): Marking for deletion Pod default/short") {
			t.Errorf("events of short:\n%s", evs)
		}
		if p, _ := client.CoreV1().Pods("default").Get(ctx, "forever", metav1.GetOptions{}); p.DeletionTimestamp != nil || p.UID != forever.UID {
			t.Error("a pod tolerating the taint forever was evicted")
		}
	})

	t.Run("the StatefulSet pod is force-deleted at the failover moment", func(t *testing.T) {
		var deletedAt time.Time
		select {
		case deletedAt = <-web0Deleted:
		case <-time.After(20 * time.Second):
			t.Fatal("web-0 was not failed over")
		}
		// The controller saw the last renewal after it was sent; it may act only 5s after
		// that (2s grace + 2s fencing + 1s margin), and should not be much later.
		if early := deletedAt.Sub(lastSent); early < failoverAfter {
			t.Errorf("web-0 deleted %s after the last renewal was sent: before the failover moment (%s)", early, failoverAfter)
		}
		if late := deletedAt.Sub(lastStored); late > failoverAfter+2*time.Second {
			t.Errorf("web-0 deleted %s after the last renewal was stored: long after the failover moment", late)
		}
		t.Logf("web-0 deleted %s after a's last renewal was stored (failover moment %s)", deletedAt.Sub(lastStored).Round(time.Millisecond), failoverAfter)
		eventually(t, 5*time.Second, "the StatefulSetPodFailover event", func() (bool, string) {
			evs := eventsAbout(t, client, "default", "web-0")
			// The pass that records the failover usually deletes the pod too; when that delete
			// fails (a conflict under load), the next pass finishes the recorded failover.
			prefix := "Warning StatefulSetPodFailover (node-controller): Deleted pod default/web-0 so that its StatefulSet recreates it elsewhere: "
			return strings.Contains(evs, prefix+"node a has sent no heartbeat since") &&
				strings.Contains(evs, "grace period 2s, fencing period 2s and safety margin 1s") ||
				strings.Contains(evs, prefix+"finishing the failover of node a recorded at"), evs
		})
		eventually(t, 5*time.Second, "the failover record removed from a's lease", func() (bool, string) {
			l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "a", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			_, ok := l.Annotations[fencing.FailoverAnnotation]
			return !ok, fmt.Sprint(l.Annotations)
		})
		for _, name := range []string{"forever", "short"} {
			if _, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Errorf("pod %s not of a StatefulSet: %v", name, err)
			}
		}
	})

	t.Run("the node comes back and its taints go", func(t *testing.T) {
		hb.resume("a")
		postReady(t, client, "a")
		eventually(t, 10*time.Second, "a untainted", func() (bool, string) {
			node, err := client.CoreV1().Nodes().Get(ctx, "a", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return len(node.Spec.Taints) == 0, fmt.Sprint(node.Spec.Taints)
		})
	})

	select {
	case <-web1Deleted:
		t.Error("web-1, on a node that kept renewing, was deleted")
	default:
	}
	if _, err := client.CoreV1().Pods("default").Get(ctx, "web-1", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Error("web-1 is gone")
	}
}
