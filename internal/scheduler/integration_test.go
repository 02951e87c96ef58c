package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controlplane"
	"ordinal.dev/ordinal/internal/scheduler"
)

// The integration tests run the scheduler against a real in-process control plane, under a
// scheduler name of their own: the control plane may run its own default-scheduler, which
// leaves these pods alone.
const testSchedulerName = "scheduler-under-test"

type testCluster struct {
	client kubernetes.Interface
	ctx    context.Context
}

// startCluster starts a control plane and, unless name is empty, a scheduler serving name.
func startCluster(t testing.TB, name string) *testCluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cp, err := controlplane.Start(ctx, controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{client: kubernetes.NewForConfigOrDie(cp.RestConfig), ctx: ctx}
	stop := func() {}
	if name != "" {
		stop = c.runScheduler(name)
	}
	t.Cleanup(func() {
		stop()
		cancel()
		cp.Stop()
	})
	return c
}

// runScheduler starts a scheduler serving name and returns how to stop it.
func (c *testCluster) runScheduler(name string) func() {
	ctx, cancel := context.WithCancel(c.ctx)
	factory := informers.NewSharedInformerFactory(c.client, 0)
	s := scheduler.New(c.client, factory, scheduler.Options{SchedulerName: name, Seed: 1})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
		factory.Shutdown()
	}
}

// addNode registers a Ready node with the contract's labels, as an agent would.
func (c *testCluster) addNode(t testing.TB, name, cpu, memory string, mutate ...func(*corev1.Node)) {
	t.Helper()
	alloc := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory),
		corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
		}},
		Status: corev1.NodeStatus{
			Capacity: alloc, Allocatable: alloc,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		},
	}
	for _, m := range mutate {
		m(n)
	}
	if _, err := c.client.CoreV1().Nodes().Create(c.ctx, n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

type podMutation func(*corev1.Pod)

func (c *testCluster) createPod(t testing.TB, name string, mutate ...podMutation) {
	t.Helper()
	if _, err := c.client.CoreV1().Pods("default").Create(c.ctx, newPod(name, mutate...), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// newPod is a pod for the scheduler under test.
func newPod(name string, mutate ...podMutation) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{}},
		Spec: corev1.PodSpec{
			SchedulerName: testSchedulerName,
			Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func cpuRequest(q string) podMutation {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
	}
}

// waitForNode waits until the pod is bound and returns its node.
func (c *testCluster) waitForNode(t testing.TB, name string) string {
	t.Helper()
	var node string
	var conditions []corev1.PodCondition
	err := wait.PollUntilContextTimeout(c.ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := c.client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node, conditions = p.Spec.NodeName, p.Status.Conditions
		return node != "", nil
	})
	if err != nil {
		t.Fatalf("pod %s not bound (conditions %+v): %v", name, conditions, err)
	}
	return node
}

// waitUnschedulable waits for the pod's PodScheduled=False/Unschedulable condition with the
// message, and for a FailedScheduling event saying the same.
func (c *testCluster) waitUnschedulable(t testing.TB, name, message string) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(c.ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := c.client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Spec.NodeName != "" {
			return false, fmt.Errorf("pod %s was bound to %s", name, p.Spec.NodeName)
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled {
				last = fmt.Sprintf("%s/%s: %s", cond.Status, cond.Reason, cond.Message)
				return cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable && cond.Message == message, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("pod %s: condition %q, want %q: %v", name, last, message, err)
	}
	err = wait.PollUntilContextTimeout(c.ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		events, err := c.client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == name && e.Reason == "FailedScheduling" && e.Type == corev1.EventTypeWarning &&
				e.Message == message && e.Source.Component == testSchedulerName {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no FailedScheduling event %q for %s: %v", message, name, err)
	}
}

func threeNodeCluster(t *testing.T) *testCluster {
	c := startCluster(t, testSchedulerName)
	for _, n := range []string{"node-a", "node-b", "node-c"} {
		c.addNode(t, n, "4", "8Gi")
	}
	return c
}

func TestIntegrationSpreadsPodsOverNodes(t *testing.T) {
	c := threeNodeCluster(t)
	for i := range 9 {
		c.createPod(t, fmt.Sprintf("web-%d", i), cpuRequest("100m"))
	}
	perNode := map[string]int{}
	for i := range 9 {
		perNode[c.waitForNode(t, fmt.Sprintf("web-%d", i))]++
	}
	if perNode["node-a"] != 3 || perNode["node-b"] != 3 || perNode["node-c"] != 3 {
		t.Errorf("placement %v, want 3 per node", perNode)
	}
	p, err := c.client.CoreV1().Pods("default").Get(c.ctx, "web-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scheduled := false
	for _, cond := range p.Status.Conditions {
		scheduled = scheduled || (cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionTrue)
	}
	if !scheduled {
		t.Errorf("web-0 conditions %+v, want PodScheduled=True", p.Status.Conditions)
	}
	want := fmt.Sprintf("Successfully assigned default/web-0 to %s", p.Spec.NodeName)
	err = wait.PollUntilContextTimeout(c.ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		events, err := c.client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Name == "web-0" && e.Reason == "Scheduled" && e.Type == corev1.EventTypeNormal && e.Message == want {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Errorf("no Scheduled event %q: %v", want, err)
	}
}

func TestIntegrationNodeSelectorMatchingNothing(t *testing.T) {
	c := threeNodeCluster(t)
	c.createPod(t, "picky", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} })
	c.waitUnschedulable(t, "picky", "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "+
		"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..")

	// Labelling a node wakes the pod and it goes there.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := c.client.CoreV1().Nodes().Get(c.ctx, "node-b", metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Labels["disk"] = "ssd"
		_, err = c.client.CoreV1().Nodes().Update(c.ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.waitForNode(t, "picky"); got != "node-b" {
		t.Errorf("bound to %s, want node-b", got)
	}
}

func TestIntegrationAntiAffinity(t *testing.T) {
	c := threeNodeCluster(t)
	anti := func(p *corev1.Pod) {
		p.Labels["app"] = "db"
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			}},
		}}
	}
	for i := range 3 {
		c.createPod(t, fmt.Sprintf("db-%d", i), anti)
	}
	seen := map[string]bool{}
	for i := range 3 {
		seen[c.waitForNode(t, fmt.Sprintf("db-%d", i))] = true
	}
	if len(seen) != 3 {
		t.Errorf("3 anti-affine pods on %v", seen)
	}
	c.createPod(t, "db-3", anti)
	c.waitUnschedulable(t, "db-3", "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "+
		"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..")
}

func TestIntegrationTaintsAndTolerations(t *testing.T) {
	c := startCluster(t, testSchedulerName)
	taint := func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	}
	c.addNode(t, "gpu-1", "4", "8Gi", taint)
	c.addNode(t, "gpu-2", "4", "8Gi", taint)
	c.addNode(t, "cordoned", "4", "8Gi", func(n *corev1.Node) { n.Spec.Unschedulable = true })
	c.createPod(t, "plain")
	c.waitUnschedulable(t, "plain", "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {dedicated: gpu}. "+
		"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..")
	c.createPod(t, "tolerant", func(p *corev1.Pod) {
		p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
	})
	if got := c.waitForNode(t, "tolerant"); got != "gpu-1" && got != "gpu-2" {
		t.Errorf("tolerant pod on %s", got)
	}
}

func TestIntegrationInsufficientCPU(t *testing.T) {
	c := threeNodeCluster(t)
	c.createPod(t, "huge", cpuRequest("6"))
	c.waitUnschedulable(t, "huge", "0/3 nodes are available: 3 Insufficient cpu. "+
		"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..")
	// Two pods of 3 cpu fill two nodes; a third goes to the last one.
	for i := range 3 {
		c.createPod(t, fmt.Sprintf("big-%d", i), cpuRequest("3"))
	}
	seen := map[string]bool{}
	for i := range 3 {
		seen[c.waitForNode(t, fmt.Sprintf("big-%d", i))] = true
	}
	if len(seen) != 3 {
		t.Errorf("three 3-cpu pods on 4-cpu nodes share a node: %v", seen)
	}
}

func TestIntegrationVolumes(t *testing.T) {
	c := threeNodeCluster(t)
	class := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: "local-path"},
		Provisioner:       "ordinal.dev/local-path",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
	}
	if _, err := c.client.StorageV1().StorageClasses().Create(c.ctx, class, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	claim := func(name string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{
				StorageClassName: ptr.To("local-path"),
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}
	}
	withClaim := func(name string) podMutation {
		return func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}}}}
		}
	}

	t.Run("claim bound to a volume pinned to node-b", func(t *testing.T) {
		pvc := claim("pinned")
		pvc.Spec.VolumeName = "pv-b"
		pvc.Annotations = map[string]string{"pv.kubernetes.io/bind-completed": "yes"}
		pvc, err := c.client.CoreV1().PersistentVolumeClaims("default").Create(c.ctx, pvc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: "pv-b"},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				StorageClassName:              "local-path",
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/pv-b"}},
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: "default", Name: "pinned", UID: pvc.UID},
				NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{"node-b"}}},
				}}}},
			},
		}
		if _, err := c.client.CoreV1().PersistentVolumes().Create(c.ctx, pv, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			name := fmt.Sprintf("pinned-user-%d", i)
			c.createPod(t, name, withClaim("pinned"))
			if got := c.waitForNode(t, name); got != "node-b" {
				t.Errorf("%s on %s, want node-b", name, got)
			}
		}
	})

	t.Run("WaitForFirstConsumer claim gets the selected node", func(t *testing.T) {
		if _, err := c.client.CoreV1().PersistentVolumeClaims("default").Create(c.ctx, claim("fresh"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		c.createPod(t, "first-consumer", withClaim("fresh"))
		node := c.waitForNode(t, "first-consumer")
		got, err := c.client.CoreV1().PersistentVolumeClaims("default").Get(c.ctx, "fresh", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sel := got.Annotations[scheduler.AnnSelectedNode]; sel != node {
			t.Errorf("selected-node %q, pod on %q", sel, node)
		}
		// A second consumer follows the promise even before any volume exists.
		c.createPod(t, "second-consumer", withClaim("fresh"))
		if got := c.waitForNode(t, "second-consumer"); got != node {
			t.Errorf("second consumer on %s, want %s", got, node)
		}
	})

	t.Run("claim that does not exist", func(t *testing.T) {
		c.createPod(t, "orphan", withClaim("missing"))
		c.waitUnschedulable(t, "orphan", `0/3 nodes are available: persistentvolumeclaim "missing" not found. `+
			"preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..")
		// Creating the claim wakes the pod.
		if _, err := c.client.CoreV1().PersistentVolumeClaims("default").Create(c.ctx, claim("missing"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		c.waitForNode(t, "orphan")
	})
}

// bindPods creates n pending pods for a scheduler that is not running yet, starts it, and
// returns how long it took from the start until every pod was bound.
func bindPods(t testing.TB, nodes, pods int) time.Duration {
	c := startCluster(t, "")
	for i := range nodes {
		c.addNode(t, fmt.Sprintf("ordinal-sim-%d", i+1), "32", "128Gi")
	}
	var bound atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	factory := informers.NewSharedInformerFactory(c.client, 0)
	factory.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, obj any) {
			if old.(*corev1.Pod).Spec.NodeName == "" && obj.(*corev1.Pod).Spec.NodeName != "" {
				if bound.Add(1) == int64(pods) {
					once.Do(func() { close(all) })
				}
			}
		},
	})
	var wg sync.WaitGroup
	var createErr atomic.Value
	sem := make(chan struct{}, 32)
	for i := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := c.client.CoreV1().Pods("default").Create(c.ctx, newPod(fmt.Sprintf("bench-%d", i), cpuRequest("10m")), metav1.CreateOptions{}); err != nil {
				createErr.Store(err)
			}
		}()
	}
	wg.Wait()
	if err := createErr.Load(); err != nil {
		t.Fatal(err)
	}
	watchCtx, stopWatching := context.WithCancel(c.ctx)
	factory.Start(watchCtx.Done())
	factory.WaitForCacheSync(watchCtx.Done())
	defer factory.Shutdown()
	defer stopWatching()

	start := time.Now()
	stop := c.runScheduler(testSchedulerName)
	defer stop()
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d of %d pods bound", bound.Load(), pods)
	}
	return time.Since(start)
}

func TestIntegrationBinds1000PodsOn10Nodes(t *testing.T) {
	const pods = 1000
	took := bindPods(t, 10, pods)
	t.Logf("bound %d pods on 10 nodes in %v: %.0f pods/s", pods, took, float64(pods)/took.Seconds())
}

// BenchmarkBind1000Pods reports pods/s for the benchmark: 1000 pending pods, 10 nodes,
// from scheduler start to the last binding seen by a watcher.
func BenchmarkBind1000Pods(b *testing.B) {
	const pods = 1000
	for range b.N {
		took := bindPods(b, 10, pods)
		b.ReportMetric(float64(pods)/took.Seconds(), "pods/s")
	}
}

func TestIntegrationPreemption(t *testing.T) {
	c := startCluster(t, testSchedulerName)
	c.addNode(t, "only", "4", "8Gi")
	c.createPod(t, "low", cpuRequest("3"))
	c.waitForNode(t, "low")
	c.createPod(t, "high", cpuRequest("3"), func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](1000) })

	// The victim is marked and deleted gracefully; the preemptor is nominated meanwhile.
	err := wait.PollUntilContextTimeout(c.ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		low, err := c.client.CoreV1().Pods("default").Get(ctx, "low", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		high, err := c.client.CoreV1().Pods("default").Get(ctx, "high", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		marked := false
		for _, cond := range low.Status.Conditions {
			marked = marked || (cond.Type == corev1.DisruptionTarget && cond.Reason == "PreemptionByScheduler")
		}
		return marked && low.DeletionTimestamp != nil && high.Status.NominatedNodeName == "only", nil
	})
	if err != nil {
		t.Fatalf("preemption did not happen: %v", err)
	}
	// The node agent would now stop the victim and remove it.
	if err := c.client.CoreV1().Pods("default").Delete(c.ctx, "low", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if got := c.waitForNode(t, "high"); got != "only" {
		t.Errorf("preemptor on %s", got)
	}
}
