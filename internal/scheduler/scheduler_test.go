package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeControl records the scheduler's writes and fails the ones it is told to.
type fakeControl struct {
	mu    sync.Mutex
	calls []string
	// fail maps an operation ("bind", "selectNode", ...) to the error it returns.
	fail map[string]error
	// pods is the pod informer's store, updated as the API would be.
	pods cache.Indexer
	// claims is the claim informer's store: selectNode plays the provisioner and binds the
	// claim, which bind waits for.
	claims cache.Indexer
}

func (f *fakeControl) record(op, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+detail)
	return f.fail[op]
}

func (f *fakeControl) selectNode(_ context.Context, claim *corev1.PersistentVolumeClaim, node string) error {
	if err := f.record("selectNode", claim.Namespace+"/"+claim.Name+" "+node); err != nil {
		return err
	}
	if f.claims != nil {
		bound := claim.DeepCopy()
		bound.Spec.VolumeName = "pvc-" + claim.Name
		_ = f.claims.Update(bound)
	}
	return nil
}

func (f *fakeControl) bind(_ context.Context, pod *corev1.Pod, node string) error {
	return f.record("bind", pod.Namespace+"/"+pod.Name+" "+node)
}

func (f *fakeControl) patchStatus(_ context.Context, old *corev1.Pod, updated *corev1.PodStatus) error {
	detail := old.Namespace + "/" + old.Name
	for _, c := range updated.Conditions {
		detail += fmt.Sprintf(" %s=%s", c.Type, c.Status)
		if c.Reason != "" {
			detail += "/" + c.Reason
		}
	}
	if updated.NominatedNodeName != "" {
		detail += " nominated=" + updated.NominatedNodeName
	}
	if err := f.record("patchStatus", detail); err != nil {
		return err
	}
	cur := old.DeepCopy()
	cur.Status = *updated
	return f.pods.Update(cur)
}

func (f *fakeControl) deletePod(_ context.Context, pod *corev1.Pod) error {
	return f.record("deletePod", pod.Namespace+"/"+pod.Name)
}

func (f *fakeControl) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// testScheduler is a Scheduler on informers that are fed by hand (never started) and a
// fakeControl: one cycle at a time, no server.
type testScheduler struct {
	*Scheduler
	ctl      *fakeControl
	events   *record.FakeRecorder
	factory  informers.SharedInformerFactory
	clock    *clocktesting.FakeClock
	ctx      context.Context
	podStore cache.Indexer
}

func newTestScheduler(t *testing.T, objs ...any) *testScheduler {
	t.Helper()
	client := fake.NewSimpleClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := clocktesting.NewFakeClock(epoch)
	s := New(client, factory, Options{Seed: 1, Clock: clk})
	ts := &testScheduler{Scheduler: s, factory: factory, clock: clk, ctx: context.Background(),
		events: record.NewFakeRecorder(100), podStore: factory.Core().V1().Pods().Informer().GetIndexer()}
	ts.ctl = &fakeControl{fail: map[string]error{}, pods: ts.podStore, claims: factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer()}
	s.control, s.recorder = ts.ctl, ts.events
	for _, o := range objs {
		ts.add(t, o)
	}
	return ts
}

// add puts an object in its informer's store and runs the scheduler's handler for it.
func (ts *testScheduler) add(t *testing.T, obj any) {
	t.Helper()
	core := ts.factory.Core().V1()
	switch o := obj.(type) {
	case *corev1.Node:
		_ = core.Nodes().Informer().GetIndexer().Add(o)
		ts.cache.setNode(o)
		ts.queue.moveAll(nil)
	case *corev1.Pod:
		_ = ts.podStore.Add(o)
		ts.onPod(nil, o)
	case *corev1.PersistentVolumeClaim:
		_ = core.PersistentVolumeClaims().Informer().GetIndexer().Add(o)
	case *corev1.PersistentVolume:
		_ = core.PersistentVolumes().Informer().GetIndexer().Add(o)
	case *storagev1.StorageClass:
		_ = ts.factory.Storage().V1().StorageClasses().Informer().GetIndexer().Add(o)
	default:
		t.Fatalf("cannot add %T", obj)
	}
}

// cycle runs one scheduling cycle and waits for its writes.
func (ts *testScheduler) cycle(t *testing.T) {
	t.Helper()
	if c := ts.queue.counts(); c[inActive] == 0 {
		t.Fatalf("no active pod: %v", c)
	}
	ts.scheduleOne(ts.ctx)
	ts.writes.Wait()
}

func (ts *testScheduler) takeEvents() []string {
	var out []string
	for {
		select {
		case e := <-ts.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func expectCalls(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("writes:\n got  %q\n want %q", got, want)
	}
}

func TestSchedulerBinds(t *testing.T) {
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), makePod("p", requests("1", "")))
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), []string{"bind default/p a"})
	expectCalls(t, ts.takeEvents(), []string{"Normal Scheduled Successfully assigned default/p to a"})
	if !ts.cache.isAssumed("uid-p") {
		t.Error("pod not assumed while its binding is unconfirmed")
	}
	// The informer shows the bound pod: confirmed, not queued again.
	bound, _, _ := ts.podStore.GetByKey("default/p")
	p := bound.(*corev1.Pod).DeepCopy()
	p.Spec.NodeName = "a"
	ts.onPod(bound.(*corev1.Pod), p)
	if ts.cache.isAssumed("uid-p") || len(ts.queue.counts()) != 0 {
		t.Errorf("after confirmation: assumed %v, queue %v", ts.cache.isAssumed("uid-p"), ts.queue.counts())
	}
}

func TestSchedulerAnnotatesWaitForFirstConsumerClaimsBeforeBinding(t *testing.T) {
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), makeClaim("data", "local-path"),
		makeClass("local-path", "ordinal.dev/local-path", "WaitForFirstConsumer"), makePod("p", usesClaim("data")))
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), []string{"selectNode default/data a", "bind default/p a"})
	// Until the informer shows the annotation, the next pod sharing the claim sees it anyway.
	if claim, _ := ts.storage.Claim("default", "data"); claim.Annotations[AnnSelectedNode] != "a" {
		t.Errorf("assumed annotation not visible: %v", claim.Annotations)
	}
}

func TestSchedulerReportsUnschedulable(t *testing.T) {
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), makePod("p", nodeSelector("disk", "ssd")))
	ts.cycle(t)
	const msg = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.."
	expectCalls(t, ts.ctl.take(), []string{"patchStatus default/p PodScheduled=False/Unschedulable"})
	expectCalls(t, ts.takeEvents(), []string{"Warning FailedScheduling " + msg})
	obj, _, _ := ts.podStore.GetByKey("default/p")
	if c := obj.(*corev1.Pod).Status.Conditions; len(c) != 1 || c[0].Message != msg {
		t.Errorf("condition %+v", c)
	}
	if c := ts.queue.counts(); c[inUnschedulable] != 1 {
		t.Fatalf("queue %v", c)
	}

	// Retried after the interval with the same outcome: an event again, no status write.
	ts.clock.Step(10 * time.Second)
	ts.queue.flush()
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), nil)
	expectCalls(t, ts.takeEvents(), []string{"Warning FailedScheduling " + msg})

	// A matching node arrives: the pod is woken and bound.
	ts.clock.Step(2 * time.Second)
	ts.add(t, makeNode("b", "4", "8Gi", withLabel("disk", "ssd")))
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), []string{"bind default/p b"})
}

func TestSchedulerBindFailure(t *testing.T) {
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), makePod("p", requests("3", "")))
	ts.ctl.fail["bind"] = errors.New("etcd is on fire")
	// One writer: a failing bind must report from its own slot, not wait for another.
	ts.slots = make(chan struct{}, 1)
	ts.cycle(t)
	calls := ts.ctl.take()
	expectCalls(t, calls, []string{"bind default/p a", "patchStatus default/p PodScheduled=False/SchedulerError"})
	events := ts.takeEvents()
	if len(events) != 1 || !strings.HasPrefix(events[0], `Warning FailedScheduling running Bind plugin "DefaultBinder": etcd is on fire`) {
		t.Errorf("events %q", events)
	}
	if ts.cache.isAssumed("uid-p") || ts.cache.nodeInfos()[0].requested.milliCPU != 0 {
		t.Error("failed bind still holds its room")
	}
	if c := ts.queue.counts(); c[inBackoff] != 1 {
		t.Fatalf("queue %v", c)
	}
	delete(ts.ctl.fail, "bind")
	ts.clock.Step(time.Second)
	ts.queue.flush()
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), []string{"bind default/p a"})
}

func TestSchedulerPreempts(t *testing.T) {
	low := makePod("low", onNode("a"), priority(1), requests("4", ""))
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), low, makePod("vip", priority(1000), requests("2", "")))
	ts.cycle(t)
	calls := ts.ctl.take()
	slices.Sort(calls)
	expectCalls(t, calls, []string{
		"deletePod default/low",
		"patchStatus default/low DisruptionTarget=True/PreemptionByScheduler",
		"patchStatus default/vip PodScheduled=False/Unschedulable nominated=a",
	})
	events := ts.takeEvents()
	slices.Sort(events)
	expectCalls(t, events, []string{
		"Normal Preempted Preempted by pod uid-vip on node a",
		"Warning FailedScheduling 0/1 nodes are available: 1 Insufficient cpu.",
	})
	// While the victim terminates, the vip waits; once it is gone the vip is bound there.
	ts.onPodDelete(low)
	ts.clock.Step(time.Second)
	ts.queue.flush()
	ts.cycle(t)
	expectCalls(t, ts.ctl.take(), []string{"bind default/vip a"})
}

func TestSchedulerIgnoresOtherPods(t *testing.T) {
	other := makePod("other", func(p *corev1.Pod) { p.Spec.SchedulerName = "someone-else" })
	gated := makePod("gated", func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "wait"}} })
	bound := makePod("bound", onNode("a"))
	ts := newTestScheduler(t, makeNode("a", "4", "8Gi"), other, gated, bound)
	if c := ts.queue.counts(); len(c) != 0 {
		t.Errorf("queued %v", c)
	}
	// Removing the gate queues the pod.
	ungated := gated.DeepCopy()
	ungated.Spec.SchedulingGates = nil
	ts.onPod(gated, ungated)
	if c := ts.queue.counts(); c[inActive] != 1 {
		t.Errorf("ungated pod not queued: %v", c)
	}
}
