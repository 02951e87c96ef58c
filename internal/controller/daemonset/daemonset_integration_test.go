package daemonset_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/daemonset"
	"ordinal.dev/ordinal/internal/controlplane"
)

// startCluster runs a control plane and a DaemonSet controller on it. The test plays the
// scheduler and the kubelets (playNodes).
func startCluster(t *testing.T) kubernetes.Interface {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		// This test runs its own controller.
		DisableControllers: []string{"daemonset", "nodeipam"}})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c := daemonset.New(client, factory.Apps().V1().DaemonSets(), factory.Apps().V1().ControllerRevisions(),
		factory.Core().V1().Pods(), factory.Core().V1().Nodes(), daemonset.Options{})
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; factory.Shutdown() })
	return client
}

func createNode(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
	}
	node, err := client.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status = corev1.NodeStatus{
		Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")},
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")},
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(context.Background(), node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// playNodes is the scheduler and the kubelets: it binds daemon pods to the node their
// affinity names, starts bound pods (Running, Ready) and finishes deleted ones.
func playNodes(t *testing.T, client kubernetes.Interface, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				for i := range pods.Items {
					tick(ctx, client, &pods.Items[i])
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(30 * time.Millisecond):
			}
		}
	}()
}

func tick(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) {
	zero := int64(0)
	switch {
	case pod.DeletionTimestamp != nil:
		client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	case pod.Spec.NodeName == "":
		terms := pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		node := terms[0].MatchFields[0].Values[0]
		client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: node},
		}, metav1.CreateOptions{})
	case pod.Status.Phase == corev1.PodPending:
		now := metav1.Now()
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now})
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}
		client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	}
}

func poll(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last: %v)", what, err, last)
	}
}

// podNodes returns the nodes of the DaemonSet's live pods, sorted, and their images.
func podNodes(t *testing.T, client kubernetes.Interface, ns string) ([]string, map[string]int) {
	pods, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	images := map[string]int{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p.Spec.NodeName)
			images[p.Spec.Containers[0].Image]++
		}
	}
	sort.Strings(out)
	return out, images
}

func TestDaemonSetFollowsNodes(t *testing.T) {
	client := startCluster(t)
	ctx := context.Background()
	ns := "ds-nodes"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"node-1", "node-2", "node-3"} {
		createNode(t, client, n)
	}
	playNodes(t, client, ns)

	maxUnavailable := intstr.FromInt32(1)
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1"}}},
			},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &maxUnavailable}},
		},
	}
	if _, err := client.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut := func(desired int32, image string) {
		t.Helper()
		poll(t, fmt.Sprintf("%d available pods of %s", desired, image), func() (bool, error) {
			cur, err := client.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			st := cur.Status
			nodes, images := podNodes(t, client, ns)
			return cur.Generation == st.ObservedGeneration && st.DesiredNumberScheduled == desired &&
				st.UpdatedNumberScheduled == desired && st.NumberAvailable == desired && st.NumberUnavailable == 0 &&
				len(nodes) == int(desired) && images[image] == int(desired), fmt.Errorf("status %+v pods %v %v", st, nodes, images)
		})
	}
	waitRolledOut(3, "busybox:1")
	nodes, _ := podNodes(t, client, ns)
	if fmt.Sprint(nodes) != "[node-1 node-2 node-3]" {
		t.Fatalf("pods on %v", nodes)
	}

	// A fourth node joins, one leaves.
	createNode(t, client, "node-4")
	waitRolledOut(4, "busybox:1")
	if err := client.CoreV1().Nodes().Delete(ctx, "node-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(3, "busybox:1")
	if nodes, _ := podNodes(t, client, ns); fmt.Sprint(nodes) != "[node-1 node-3 node-4]" {
		t.Fatalf("pods on %v", nodes)
	}

	// A failed daemon pod is deleted and replaced.
	var victim corev1.Pod
	all, _ := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range all.Items {
		if p.Spec.NodeName == "node-1" {
			victim = p
		}
	}
	victim.Status.Phase = corev1.PodFailed
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, &victim, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the failed pod replaced", func() (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=node-1"})
		if err != nil {
			return false, err
		}
		return len(pods.Items) == 1 && pods.Items[0].Name != victim.Name && pods.Items[0].Status.Phase == corev1.PodRunning, fmt.Errorf("pods %d", len(pods.Items))
	})
	waitRolledOut(3, "busybox:1")

	// The pods carry the revision labels; one ControllerRevision exists.
	pods, _ := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	revs, _ := client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
	if len(revs.Items) != 1 || revs.Items[0].Revision != 1 {
		t.Fatalf("revisions %+v", revs.Items)
	}
	hash1 := revs.Items[0].Labels["controller-revision-hash"]
	if revs.Items[0].Name != "agent-"+hash1 {
		t.Fatalf("revision name %s, hash %s", revs.Items[0].Name, hash1)
	}
	for _, p := range pods.Items {
		if p.Labels["controller-revision-hash"] != hash1 || p.Labels["pod-template-generation"] != "1" {
			t.Fatalf("pod labels %v", p.Labels)
		}
	}

	// A rolling update replaces every pod; a second revision records it.
	patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"busybox:2"}]}}}}`)
	if _, err := client.AppsV1().DaemonSets(ns).Patch(ctx, "agent", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(3, "busybox:2")

	// Rollback as kubectl rollout undo does: apply the old revision's data.
	if _, err := client.AppsV1().DaemonSets(ns).Patch(ctx, "agent", types.StrategicMergePatchType, revs.Items[0].Data.Raw, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(3, "busybox:1")
	poll(t, "the first revision reused as revision 3", func() (bool, error) {
		rev, err := client.AppsV1().ControllerRevisions(ns).Get(ctx, "agent-"+hash1, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		all, _ := client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
		return rev.Revision == 3 && len(all.Items) == 2, fmt.Errorf("revision %d of %d", rev.Revision, len(all.Items))
	})
	poll(t, "the events", func() (bool, error) {
		events, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		reasons := map[string]int{}
		for _, e := range events.Items {
			reasons[e.Reason]++
		}
		return reasons["SuccessfulCreate"] > 0 && reasons["SuccessfulDelete"] > 0 && reasons["FailedDaemonPod"] == 1, fmt.Errorf("events %v", reasons)
	})
}
