package statefulset_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/statefulset"
	"ordinal.dev/ordinal/internal/controlplane"
)

// testScheduler keeps the test's pods away from any scheduler the control plane runs: the
// test binds them itself.
const (
	testScheduler = "statefulset-test"
	testNode      = "statefulset-test-node"
)

type cluster struct {
	client kubernetes.Interface
}

// startCluster runs a control plane and a StatefulSet controller on it.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	c, _ := startClusterWithKubeconfig(t)
	return c
}

// startClusterWithKubeconfig is startCluster that also returns the admin kubeconfig path.
func startClusterWithKubeconfig(t *testing.T) (*cluster, string) {
	t.Helper()
	// The test runs its own controller, so the control plane's built-in one stays off.
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		DisableControllers: []string{"statefulset"}})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := statefulset.New(client, factory.Apps().V1().StatefulSets(), factory.Core().V1().Pods(),
		factory.Core().V1().PersistentVolumeClaims(), factory.Apps().V1().ControllerRevisions())
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, 5) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	if _, err := client.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return &cluster{client: client}, cp.Kubeconfig
}

func (c *cluster) namespace(t *testing.T, name string) {
	t.Helper()
	if _, err := c.client.CoreV1().Namespaces().Create(context.Background(), &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// kubelet plays the node agent for one namespace: it binds new pods to the test node, makes
// bound pods Running and Ready (pods annotated never-ready stay unready), and finishes
// graceful deletions. It records what it saw, in order, and checks as pods appear that an
// OrderedReady set's predecessor was made ready before (by resourceVersion).
type kubelet struct {
	t      *testing.T
	client kubernetes.Interface
	ns     string

	mu       sync.Mutex
	added    []string         // pods in the order they appeared
	deleting []string         // pods in the order their deletion was seen
	readyRV  map[string]int64 // resourceVersion at which the kubelet made each pod ready
	gone     map[string]bool  // pods seen deleted
	checkSet string           // OrderedReady set whose creation order is checked
}

const neverReady = "test.ordinal.dev/never-ready"

func (c *cluster) kubelet(t *testing.T, ns, orderedSet string) *kubelet {
	k := &kubelet{t: t, client: c.client, ns: ns, readyRV: map[string]int64{}, gone: map[string]bool{}, checkSet: orderedSet}
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactoryWithOptions(c.client, 0, informers.WithNamespace(ns))
	informer := factory.Core().V1().Pods().Informer()
	informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			pod := obj.(*v1.Pod)
			k.appeared(pod)
			k.handle(ctx, pod)
		},
		UpdateFunc: func(_, obj any) { k.handle(ctx, obj.(*v1.Pod)) },
		DeleteFunc: func(obj any) {
			if pod, ok := obj.(*v1.Pod); ok {
				k.mu.Lock()
				k.gone[pod.Name] = true
				k.mu.Unlock()
			}
		},
	})
	factory.Start(ctx.Done())
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	return k
}

func (k *kubelet) appeared(pod *v1.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.added = append(k.added, pod.Name)
	delete(k.gone, pod.Name)
	prefix := k.checkSet + "-"
	if k.checkSet == "" || !strings.HasPrefix(pod.Name, prefix) {
		return
	}
	ordinal, err := strconv.Atoi(strings.TrimPrefix(pod.Name, prefix))
	if err != nil || ordinal == 0 {
		return
	}
	pred := fmt.Sprintf("%s%d", prefix, ordinal-1)
	rv, _ := strconv.ParseInt(pod.ResourceVersion, 10, 64)
	if ready, ok := k.readyRV[pred]; !ok || ready >= rv {
		k.t.Errorf("%s appeared (rv %d) before %s was ready (rv %d)", pod.Name, rv, pred, ready)
	}
}

func (k *kubelet) handle(ctx context.Context, pod *v1.Pod) {
	var err error
	switch {
	case pod.DeletionTimestamp != nil:
		k.mu.Lock()
		if !slices.Contains(k.deleting, pod.Name) || k.gone[pod.Name] {
			k.deleting = append(k.deleting, pod.Name)
		}
		k.mu.Unlock()
		err = k.client.CoreV1().Pods(k.ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	case pod.Spec.NodeName == "":
		err = k.client.CoreV1().Pods(k.ns).Bind(ctx, &v1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
			Target: v1.ObjectReference{Kind: "Node", Name: testNode}}, metav1.CreateOptions{})
	case pod.Status.Phase == v1.PodPending:
		pod = pod.DeepCopy()
		pod.Status.Phase = v1.PodRunning
		ready := v1.ConditionTrue
		if pod.Annotations[neverReady] != "" {
			ready = v1.ConditionFalse
		}
		now := metav1.Now()
		pod.Status.Conditions = append(pod.Status.Conditions, v1.PodCondition{Type: v1.PodReady, Status: ready, LastTransitionTime: now})
		var out *v1.Pod
		if out, err = k.client.CoreV1().Pods(k.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err == nil && ready == v1.ConditionTrue {
			rv, _ := strconv.ParseInt(out.ResourceVersion, 10, 64)
			k.mu.Lock()
			k.readyRV[pod.Name] = rv
			k.mu.Unlock()
		}
	}
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
		k.t.Logf("kubelet: %s: %v", pod.Name, err)
	}
}

// setUnready makes a running pod unready, as a failing readiness probe would.
func (k *kubelet) setUnready(t *testing.T, name string) {
	t.Helper()
	pod, err := k.client.CoreV1().Pods(k.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == v1.PodReady {
			pod.Status.Conditions[i].Status = v1.ConditionFalse
		}
	}
	if _, err := k.client.CoreV1().Pods(k.ns).UpdateStatus(context.Background(), pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (k *kubelet) snapshot() (added, deleting []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.added), slices.Clone(k.deleting)
}

func (k *kubelet) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.added, k.deleting = nil, nil
}

func webSet(ns string, replicas int32) *apps.StatefulSet {
	labels := map[string]string{"app": "nginx"}
	return &apps.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: apps.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "nginx",
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: v1.PodSpec{
					SchedulerName: testScheduler,
					Containers: []v1.Container{{Name: "nginx", Image: "nginx:1",
						VolumeMounts: []v1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}}}},
				},
			},
			VolumeClaimTemplates: []v1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: v1.PersistentVolumeClaimSpec{
					AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
					Resources:   v1.VolumeResourceRequirements{Requests: v1.ResourceList{v1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return cond()
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (c *cluster) getSet(t *testing.T, ns string) *apps.StatefulSet {
	t.Helper()
	set, err := c.client.AppsV1().StatefulSets(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// waitRolledOut waits until the controller has observed the set's generation and reports
// want ready pods, all at the update revision beyond the partition.
func (c *cluster) waitRolledOut(t *testing.T, ns string, want int32) *apps.StatefulSet {
	t.Helper()
	var set *apps.StatefulSet
	waitFor(t, fmt.Sprintf("%d ready replicas", want), func() (bool, error) {
		set = c.getSet(t, ns)
		partition := int32(0)
		if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			partition = *ru.Partition
		}
		st := set.Status
		return st.ObservedGeneration == set.Generation && st.Replicas == want && st.ReadyReplicas == want &&
			(set.Spec.UpdateStrategy.Type == apps.OnDeleteStatefulSetStrategyType || st.UpdatedReplicas >= want-partition), nil
	})
	return set
}

func (c *cluster) update(t *testing.T, ns string, change func(set *apps.StatefulSet)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		set := c.getSet(t, ns)
		change(set)
		_, err := c.client.AppsV1().StatefulSets(ns).Update(context.Background(), set, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (c *cluster) podRevisions(t *testing.T, ns string) map[string]string {
	t.Helper()
	pods, err := c.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp == nil {
			out[pod.Name] = pod.Labels[apps.StatefulSetRevisionLabel]
		}
	}
	return out
}

func (c *cluster) claimNames(t *testing.T, ns string) []string {
	t.Helper()
	claims, err := c.client.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, claim := range claims.Items {
		if len(claim.OwnerReferences) != 0 {
			t.Errorf("claim %s has owners %v under the default Retain policy", claim.Name, claim.OwnerReferences)
		}
		out = append(out, claim.Name)
	}
	slices.Sort(out)
	return out
}

func TestStatefulSetLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	c := startCluster(t)
	ns := "lifecycle"
	c.namespace(t, ns)
	k := c.kubelet(t, ns, "web")
	ctx := context.Background()

	// Create: web-0, web-1, web-2 appear in order, each after its predecessor is ready.
	if _, err := c.client.AppsV1().StatefulSets(ns).Create(ctx, webSet(ns, 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	set := c.waitRolledOut(t, ns, 3)
	if added, _ := k.snapshot(); !slices.Equal(added, []string{"web-0", "web-1", "web-2"}) {
		t.Fatalf("pods appeared as %v", added)
	}
	first := set.Status.UpdateRevision
	if set.Status.CurrentRevision != first || set.Status.CurrentReplicas != 3 || set.Status.UpdatedReplicas != 3 ||
		set.Status.CollisionCount == nil || *set.Status.CollisionCount != 0 {
		t.Errorf("status = %+v", set.Status)
	}
	for name, rev := range c.podRevisions(t, ns) {
		if rev != first {
			t.Errorf("%s at revision %q, want %q", name, rev, first)
		}
	}
	pod, err := c.client.CoreV1().Pods(ns).Get(ctx, "web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.Hostname != "web-1" || pod.Spec.Subdomain != "nginx" || pod.Labels[apps.PodIndexLabel] != "1" ||
		pod.Labels[apps.StatefulSetPodNameLabel] != "web-1" || pod.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-1" {
		t.Errorf("web-1 identity: hostname %q subdomain %q labels %v volumes %v", pod.Spec.Hostname, pod.Spec.Subdomain, pod.Labels, pod.Spec.Volumes)
	}
	revisions, err := c.client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(revisions.Items) != 1 || revisions.Items[0].Name != first || revisions.Items[0].Revision != 1 {
		t.Errorf("revisions = %v", revisions.Items)
	}
	if got := c.claimNames(t, ns); !slices.Equal(got, []string{"www-web-0", "www-web-1", "www-web-2"}) {
		t.Errorf("claims = %v", got)
	}
	waitFor(t, "upstream's events", func() (bool, error) {
		events, err := c.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		var pod, claim bool
		for _, e := range events.Items {
			pod = pod || (e.Reason == "SuccessfulCreate" && e.Message == "create Pod web-0 in StatefulSet web successful")
			claim = claim || (e.Reason == "SuccessfulCreate" && e.Message == "create Claim www-web-0 Pod web-0 in StatefulSet web success")
		}
		return pod && claim, nil
	})

	// An unready pod halts OrderedReady scaling. (The controller must have seen web-0 unready
	// before the scale-up, or it rightly creates web-3.)
	k.reset()
	k.setUnready(t, "web-0")
	waitFor(t, "web-0 unready in the status", func() (bool, error) {
		return c.getSet(t, ns).Status.ReadyReplicas == 2, nil
	})
	c.update(t, ns, func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](5) })
	waitFor(t, "the scale-up observed", func() (bool, error) {
		set := c.getSet(t, ns)
		return set.Status.ObservedGeneration == set.Generation, nil
	})
	if added, _ := k.snapshot(); len(added) != 0 {
		t.Fatalf("pods %v created while web-0 is unready", added)
	}
	// Readiness back: 3 → 5 goes on in order.
	pod, _ = c.client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
	pod.Status.Conditions[len(pod.Status.Conditions)-1].Status = v1.ConditionTrue
	if _, err := c.client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitRolledOut(t, ns, 5)
	if added, _ := k.snapshot(); !slices.Equal(added, []string{"web-3", "web-4"}) {
		t.Fatalf("pods appeared as %v", added)
	}

	// Scale 5 → 2: from the highest ordinal, each after the previous one is gone; claims kept.
	k.reset()
	c.update(t, ns, func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](2) })
	c.waitRolledOut(t, ns, 2)
	if _, deleting := k.snapshot(); !slices.Equal(deleting, []string{"web-4", "web-3", "web-2"}) {
		t.Fatalf("pods deleted as %v", deleting)
	}
	if got := c.claimNames(t, ns); len(got) != 5 {
		t.Errorf("claims after scaling down = %v, want all 5 kept", got)
	}

	// Image change: 2 → 1 → 0.
	c.update(t, ns, func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](3) })
	c.waitRolledOut(t, ns, 3)
	k.reset()
	c.update(t, ns, func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	set = c.waitRolledOut(t, ns, 3)
	waitFor(t, "the rollout to complete", func() (bool, error) {
		set = c.getSet(t, ns)
		return set.Status.CurrentRevision == set.Status.UpdateRevision && set.Status.UpdateRevision != first, nil
	})
	second := set.Status.UpdateRevision
	if _, deleting := k.snapshot(); !slices.Equal(deleting, []string{"web-2", "web-1", "web-0"}) {
		t.Fatalf("update deleted %v", deleting)
	}

	// Partition: only web-2 moves; a deleted pod below the partition keeps the old revision.
	c.update(t, ns, func(set *apps.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate = &apps.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)}
		set.Spec.Template.Spec.Containers[0].Image = "nginx:3"
	})
	set = c.waitRolledOut(t, ns, 3)
	third := set.Status.UpdateRevision
	if got := c.podRevisions(t, ns); got["web-0"] != second || got["web-1"] != second || got["web-2"] != third {
		t.Fatalf("revisions = %v, want web-2 at %s only", got, third)
	}
	if err := c.client.CoreV1().Pods(ns).Delete(ctx, "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web-0 recreated", func() (bool, error) {
		pod, err := c.client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && pod.DeletionTimestamp == nil && pod.Status.Phase == v1.PodRunning, err
	})
	if got := c.podRevisions(t, ns)["web-0"]; got != second {
		t.Errorf("web-0 recreated at %s, want the current revision %s", got, second)
	}

	// OnDelete: a template change moves nothing; a deleted pod comes back at the new revision.
	k.reset()
	c.update(t, ns, func(set *apps.StatefulSet) {
		set.Spec.UpdateStrategy = apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}
		set.Spec.Template.Spec.Containers[0].Image = "nginx:4"
	})
	set = c.waitRolledOut(t, ns, 3)
	fourth := set.Status.UpdateRevision
	if _, deleting := k.snapshot(); len(deleting) != 0 {
		t.Fatalf("OnDelete deleted %v", deleting)
	}
	if err := c.client.CoreV1().Pods(ns).Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web-1 recreated at the update revision", func() (bool, error) {
		return c.podRevisions(t, ns)["web-1"] == fourth, nil
	})

	// Deleting the set: the garbage collector removes the pods; the claims stay.
	if err := c.client.AppsV1().StatefulSets(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pods gone", func() (bool, error) {
		pods, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(pods.Items) == 0, err
	})
	if got := c.claimNames(t, ns); len(got) != 5 {
		t.Errorf("claims after deleting the set = %v, want all 5 kept", got)
	}
}

// TestOrderedReadyHundredPods measures the controller's part of bringing up 100
// OrderedReady replicas with a claim each, the test playing an instant kubelet.
func TestOrderedReadyHundredPods(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	c := startCluster(t)
	ns := "hundred"
	c.namespace(t, ns)
	c.kubelet(t, ns, "web")
	start := time.Now()
	if _, err := c.client.AppsV1().StatefulSets(ns).Create(context.Background(), webSet(ns, 100), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitRolledOut(t, ns, 100)
	t.Logf("100 OrderedReady pods with claims ready in %v", time.Since(start))
}

// kubectlPath returns the kubectl on PATH; without one the test skips, unless CI is set,
// where a missing kubectl is a broken machine.
func kubectlPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kubectl is not installed and CI is set")
		}
		t.Skip("kubectl is not installed")
	}
	return path
}

// TestKubectlRolloutHistoryAndUndo runs the real kubectl against the controller's
// ControllerRevisions: history lists them with their change-cause, undo applies one, and
// an undo to the template in use is recognised byte for byte ("skipped rollback").
func TestKubectlRolloutHistoryAndUndo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	kubectlBin := kubectlPath(t)
	c, kubeconfig := startClusterWithKubeconfig(t)
	ns := "rollout"
	c.namespace(t, ns)
	c.kubelet(t, ns, "web")
	kubectl := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", kubeconfig, "-n", ns}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	set := webSet(ns, 2)
	set.Annotations = map[string]string{"kubernetes.io/change-cause": "first"}
	if _, err := c.client.AppsV1().StatefulSets(ns).Create(context.Background(), set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitRolledOut(t, ns, 2)
	c.update(t, ns, func(set *apps.StatefulSet) {
		set.Annotations["kubernetes.io/change-cause"] = "second"
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	})
	c.waitRolledOut(t, ns, 2)
	if out := kubectl("rollout", "status", "sts/web", "--timeout=30s"); !strings.Contains(out, "partitioned roll out complete: 2 new pods have been updated...") {
		t.Errorf("rollout status said %q", out)
	}
	history := kubectl("rollout", "history", "sts/web")
	if !regexp.MustCompile(`(?m)^1\s+first$`).MatchString(history) || !regexp.MustCompile(`(?m)^2\s+second$`).MatchString(history) {
		t.Errorf("rollout history:\n%s", history)
	}
	if out := kubectl("rollout", "undo", "sts/web"); !strings.Contains(out, "statefulset.apps/web rolled back") {
		t.Errorf("rollout undo said %q", out)
	}
	waitFor(t, "the rollback to complete", func() (bool, error) {
		set := c.getSet(t, ns)
		revs := c.podRevisions(t, ns)
		return set.Status.ObservedGeneration == set.Generation && set.Status.UpdateRevision == set.Status.CurrentRevision &&
			set.Status.ReadyReplicas == 2 && revs["web-0"] == set.Status.UpdateRevision && revs["web-1"] == set.Status.UpdateRevision, nil
	})
	pod, err := c.client.CoreV1().Pods(ns).Get(context.Background(), "web-0", metav1.GetOptions{})
	if err != nil || pod.Spec.Containers[0].Image != "nginx:1" {
		t.Fatalf("after undo web-0 runs %v (%v), want nginx:1", pod.Spec.Containers[0].Image, err)
	}
	revisions, err := c.client.AppsV1().ControllerRevisions(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(revisions.Items) != 2 {
		t.Errorf("revisions = %d, want 2 (the rollback reuses the first)", len(revisions.Items))
	}
	if out := kubectl("rollout", "undo", "sts/web", "--to-revision=3"); !strings.Contains(out, "skipped rollback (current template already matches revision 3)") {
		t.Errorf("undo to the current revision said %q", out)
	}
}

// TestStuckRolloutRecovers: an OrderedReady rollout to a template whose pods never become
// ready stalls; fixing the template is enough to recover, without deleting the stuck pod by
// hand (beyond upstream, kubernetes/kubernetes#67250).
func TestStuckRolloutRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	c := startCluster(t)
	ns := "stuck"
	c.namespace(t, ns)
	c.kubelet(t, ns, "")
	if _, err := c.client.AppsV1().StatefulSets(ns).Create(context.Background(), webSet(ns, 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitRolledOut(t, ns, 3)
	c.update(t, ns, func(set *apps.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].Image = "broken"
		set.Spec.Template.Annotations = map[string]string{neverReady: "true"}
	})
	var broken string
	waitFor(t, "web-2 stuck at the broken revision", func() (bool, error) {
		set := c.getSet(t, ns)
		broken = set.Status.UpdateRevision
		pod, err := c.client.CoreV1().Pods(ns).Get(context.Background(), "web-2", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && set.Status.ObservedGeneration == set.Generation && pod.Labels[apps.StatefulSetRevisionLabel] == broken &&
			pod.Status.Phase == v1.PodRunning, err
	})
	c.update(t, ns, func(set *apps.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
		set.Spec.Template.Annotations = nil
	})
	waitFor(t, "the fixed template rolled out", func() (bool, error) {
		set := c.getSet(t, ns)
		st := set.Status
		return st.ObservedGeneration == set.Generation && st.UpdateRevision != broken && st.CurrentRevision == st.UpdateRevision &&
			st.ReadyReplicas == 3 && st.UpdatedReplicas == 3, nil
	})
}
