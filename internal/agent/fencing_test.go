package agent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"ordinal.dev/ordinal/internal/controller/nodelifecycle/fencing"
	"ordinal.dev/ordinal/internal/runtime"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

// stepClock is a fake clock that knows how many timers are armed and not yet fired, so a
// test steps it only once every loop waits on it.
type stepClock struct {
	*testingclock.FakeClock
	mu      sync.Mutex
	next    int
	pending map[int]time.Time
}

func (c *stepClock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

func (c *stepClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	c.pending[id] = c.Now().Add(d)
	return &stepTimer{Timer: c.FakeClock.NewTimer(d), c: c, id: id}
}

// armed counts the timers that will fire in the future.
func (c *stepClock) armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	now, n := c.Now(), 0
	for id, at := range c.pending {
		if at.After(now) {
			n++
		} else {
			delete(c.pending, id)
		}
	}
	return n
}

type stepTimer struct {
	clock.Timer
	c  *stepClock
	id int
}

func (t *stepTimer) Stop() bool {
	t.c.mu.Lock()
	delete(t.c.pending, t.id)
	t.c.mu.Unlock()
	return t.Timer.Stop()
}

// fencingFixture is an agent's lease and fencing loops on a fake clock, over a fake API
// that can be cut off and a sim runtime on the same clock.
type fencingFixture struct {
	t       *testing.T
	clock   *stepClock
	loops   int // goroutines that wait on the clock
	client  *fake.Clientset
	rt      *sim.Runtime
	agent   *Agent
	cut     atomic.Bool // leases and pods fail as if the API were unreachable
	noList  atomic.Bool // only listing pods fails
	renewed atomic.Int32
}

func newFencingFixture(t *testing.T, period time.Duration) *fencingFixture {
	f := &fencingFixture{t: t, clock: &stepClock{FakeClock: testingclock.NewFakeClock(epoch), pending: map[int]time.Time{}}, loops: 2}
	if period == 0 {
		f.loops = 1 // the fencing loop returns at once
	}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Namespace: corev1.NamespaceNodeLease}}
	f.client = fake.NewClientset(lease)
	unreachable := errors.New("dial tcp 10.0.0.1:6443: connect: no route to host")
	f.client.PrependReactor("*", "leases", func(action k8stesting.Action) (bool, k8sruntime.Object, error) {
		if f.cut.Load() {
			return true, nil, unreachable
		}
		if action.GetVerb() == "update" {
			f.renewed.Add(1)
		}
		return false, nil, nil
	})
	f.client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		if f.cut.Load() || f.noList.Load() {
			return true, nil, unreachable
		}
		return false, nil, nil
	})
	f.rt = sim.New(sim.Options{Clock: f.clock.FakeClock})
	if err := f.rt.UpdatePodCIDR(context.Background(), "10.42.0.0/24"); err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{NodeName: "node-1", Client: f.client, Runtime: f.rt, Clock: f.clock, FencingPeriod: period, RelistPeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = a
	a.ctx = context.Background()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.leaseLoop(ctx) }()
	go func() { defer wg.Done(); a.fencingLoop(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return f
}

// runContainer starts a pod with one container in the runtime, as a worker would have.
func (f *fencingFixture) runContainer(name string) (types.UID, string) {
	f.t.Helper()
	ctx := context.Background()
	pod := testPod(corev1.RestartPolicyAlways, nil, "app")
	pod.Name, pod.UID = name, types.UID("uid-"+name)
	if err := f.rt.RunPodSandbox(ctx, &runtime.SandboxConfig{Pod: pod}); err != nil {
		f.t.Fatal(err)
	}
	id, err := f.rt.CreateContainer(ctx, pod.UID, &runtime.ContainerConfig{Pod: pod, Container: &pod.Spec.Containers[0]})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.rt.StartContainer(ctx, id); err != nil {
		f.t.Fatal(err)
	}
	return pod.UID, id
}

func (f *fencingFixture) running(uid types.UID) bool {
	rs, err := f.rt.PodStatus(context.Background(), uid)
	return err == nil && len(runningContainers(rs)) > 0
}

// until polls cond (real time) while the loops react to the last clock step.
func (f *fencingFixture) until(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("at +%s: timed out waiting for %s", f.clock.Now().Sub(epoch), what)
		}
		time.Sleep(time.Millisecond)
	}
}

// holds checks that cond stays true while the loops have a moment to react.
func (f *fencingFixture) holds(what string, cond func() bool) {
	f.t.Helper()
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if !cond() {
			f.t.Fatalf("at +%s: %s no longer holds", f.clock.Now().Sub(epoch), what)
		}
	}
}

// stepTo moves the clock to epoch+d in steps of 100ms, each once both loops wait on it.
func (f *fencingFixture) stepTo(d time.Duration) {
	settled := func() bool { return f.clock.armed() == f.loops }
	for f.clock.Now().Before(epoch.Add(d)) {
		f.until("the loops to wait on the clock", settled)
		f.clock.Step(min(100*time.Millisecond, epoch.Add(d).Sub(f.clock.Now())))
	}
	f.until("the loops to wait on the clock", settled)
}

func TestFencingStopsContainersAndResumes(t *testing.T) {
	f := newFencingFixture(t, 30*time.Second)
	a := f.agent
	if !a.startsHeld() {
		t.Fatal("an agent must hold starts until its first renewal")
	}
	web, _ := f.runContainer("web")
	f.until("the first renewal to release the hold", func() bool { return !a.startsHeld() })
	lease, _ := f.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), "node-1", metav1.GetOptions{})
	if p, ok := fencing.Period(lease); !ok || p != 30*time.Second {
		t.Fatalf("the lease must advertise the fencing period: %v", lease.Annotations)
	}

	// The API goes away right after the renewal at 0s. Renewals keep failing; at 28s (30s
	// minus the 2s kill grace) every container is stopped, not a moment before.
	f.cut.Store(true)
	f.stepTo(27900 * time.Millisecond)
	f.holds("web running before the fencing period is up", func() bool { return f.running(web) && !a.startsHeld() })
	f.stepTo(28 * time.Second)
	f.until("web stopped by the fence", func() bool { return !f.running(web) })
	if !a.startsHeld() {
		t.Fatal("a fenced agent must not start containers")
	}

	// A container a worker was starting as the fence came down is stopped by the sweep.
	late, _ := f.runContainer("late")
	f.stepTo(29 * time.Second)
	f.until("the late container stopped by the sweep", func() bool { return !f.running(late) })

	// The controller failed web over meanwhile: its record is on the lease.
	f.cut.Store(false)
	l, _ := f.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(context.Background(), "node-1", metav1.GetOptions{})
	fencing.SetFailover(l, fencing.Failover{At: metav1.NewTime(epoch), Pods: []fencing.PodRef{{Namespace: "default", Name: "web", UID: web}}})
	f.cut.Store(true)
	if err := f.client.Tracker().Update(coordinationv1.SchemeGroupVersion.WithResource("leases"), l, l.Namespace); err != nil {
		t.Fatal(err)
	}

	// The API is back, but listing pods still fails: the agent stays held.
	f.noList.Store(true)
	f.cut.Store(false)
	before := f.renewed.Load()
	for f.renewed.Load() == before {
		f.stepTo(f.clock.Now().Sub(epoch) + 500*time.Millisecond)
	}
	f.holds("starts held while the pods cannot be listed", a.startsHeld)
	if !a.isGone(web) {
		t.Error("a pod in the failover record must never run here again")
	}
	f.noList.Store(false)
	f.stepTo(f.clock.Now().Sub(epoch) + time.Second)
	f.until("resumed", func() bool { return !a.startsHeld() })
	if !a.isGone("uid-late") {
		t.Error("a pod the API does not list must be forgotten") // the fake API has no pods at all
	}
}

func TestFencingWithARenewalInTime(t *testing.T) {
	f := newFencingFixture(t, 30*time.Second)
	web, _ := f.runContainer("web")
	f.until("the first renewal", func() bool { return !f.agent.startsHeld() })
	// Renewals fail for 20s, then one succeeds (a retry comes at least every 30s/8): no
	// fence, and the next deadline counts from that renewal.
	f.cut.Store(true)
	f.stepTo(20 * time.Second)
	f.cut.Store(false)
	before := f.renewed.Load()
	for f.renewed.Load() == before {
		f.stepTo(f.clock.Now().Sub(epoch) + 100*time.Millisecond)
	}
	f.cut.Store(true)
	// The renewal was sent within the last step.
	renewedAt := f.clock.Now().Sub(epoch)
	if renewedAt > 28*time.Second {
		t.Fatalf("the first successful retry came at %s, after the fence", renewedAt)
	}
	f.stepTo(renewedAt + 27800*time.Millisecond)
	f.holds("web running", func() bool { return f.running(web) && !f.agent.startsHeld() })
	f.stepTo(renewedAt + 28*time.Second)
	f.until("web stopped", func() bool { return !f.running(web) })
}

func TestFencingOff(t *testing.T) {
	f := newFencingFixture(t, 0)
	if f.agent.startsHeld() {
		t.Fatal("with fencing off nothing is ever held")
	}
	web, _ := f.runContainer("web")
	f.cut.Store(true)
	f.stepTo(5 * time.Minute)
	f.holds("web running with fencing off", func() bool { return f.running(web) && !f.agent.startsHeld() })
}

func TestFencingPeriodMustHoldTwoRenewals(t *testing.T) {
	_, err := New(Config{NodeName: "n", Client: fake.NewClientset(), Runtime: sim.New(sim.Options{}), FencingPeriod: 15 * time.Second})
	if err == nil {
		t.Fatal("15s fencing with renewals every 10s must be refused")
	}
	if _, err := New(Config{NodeName: "n", Client: fake.NewClientset(), Runtime: sim.New(sim.Options{}), FencingPeriod: 3 * time.Second, LeaseDurationSeconds: 4}); err != nil {
		t.Fatalf("3s fencing with renewals every 1s: %v", err)
	}
}
