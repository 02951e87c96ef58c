package replicaset_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/replicaset/testkubelet"
	"ordinal.dev/ordinal/internal/controlplane"
)

// env is a control plane with the ReplicaSet and ReplicationController controllers and
// a test kubelet.
type env struct {
	ctx     context.Context
	client  kubernetes.Interface
	kubelet *testkubelet.Kubelet
}

func start(t *testing.T) *env {
	t.Helper()
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)
	return &env{ctx: ctx, client: client, kubelet: testkubelet.Start(ctx, client, "node-1")}
}

// eventually polls cond until it holds or the test's deadline passes.
func (e *env) eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	var last error
	err := wait.PollUntilContextCancel(ctx, 10*time.Millisecond, true, func(context.Context) (bool, error) {
		ok, err := cond()
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, last)
	}
}

func (e *env) pods(t *testing.T, selector string) []v1.Pod {
	t.Helper()
	list, err := e.client.CoreV1().Pods("default").List(e.ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func replicaSet(name string, replicas int32, selector map[string]string) *apps.ReplicaSet {
	return &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: apps.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: selector},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Image: "busybox"}}},
			},
		},
	}
}

// statusIs waits until the ReplicaSet reports replicas, all ready and available, at
// its current generation.
func (e *env) statusIs(t *testing.T, name string, replicas int32) {
	t.Helper()
	e.eventually(t, fmt.Sprintf("%s to report %d available replicas", name, replicas), func() (bool, error) {
		rs, err := e.client.AppsV1().ReplicaSets("default").Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st := rs.Status
		return st.ObservedGeneration == rs.Generation && st.Replicas == replicas && st.FullyLabeledReplicas == replicas &&
			st.ReadyReplicas == replicas && st.AvailableReplicas == replicas, nil
	})
}

func TestReplicaSetCreatesScalesAndReportsPods(t *testing.T) {
	e := start(t)
	rs, err := e.client.AppsV1().ReplicaSets("default").Create(e.ctx, replicaSet("web", 3, map[string]string{"app": "web"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.statusIs(t, "web", 3)
	pods := e.pods(t, "app=web")
	if len(pods) != 3 {
		t.Fatalf("%d pods, want 3", len(pods))
	}
	for _, p := range pods {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != rs.UID || ref.Kind != "ReplicaSet" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Errorf("pod %s: controller %+v", p.Name, ref)
		}
		if p.GenerateName != "web-" || len(p.Name) != len("web-")+5 {
			t.Errorf("pod name %q, generateName %q", p.Name, p.GenerateName)
		}
	}
	e.eventually(t, "SuccessfulCreate events", func() (bool, error) {
		events, err := e.client.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web"})
		if err != nil {
			return false, err
		}
		created := map[string]bool{}
		for _, ev := range events.Items {
			if ev.Reason == "SuccessfulCreate" && ev.Type == v1.EventTypeNormal && ev.Source.Component == "replicaset-controller" {
				created[ev.Message] = true
			}
		}
		for _, p := range pods {
			if !created["Created pod: "+p.Name] {
				return false, fmt.Errorf("no event for %s in %v", p.Name, created)
			}
		}
		return true, nil
	})

	// Through the scale subresource, as kubectl scale.
	scale := func(n int32) {
		t.Helper()
		_, err := e.client.AppsV1().ReplicaSets("default").UpdateScale(e.ctx, "web",
			&autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: autoscalingv1.ScaleSpec{Replicas: n}}, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	scale(5)
	e.statusIs(t, "web", 5)
	scale(1)
	e.statusIs(t, "web", 1)
	e.eventually(t, "scaled-down pods to be gone", func() (bool, error) { return len(e.pods(t, "app=web")) == 1, nil })
}

// TestReplicaSetAdoptsAndReleases is upstream's conformance test "should adopt
// matching pods on creation and release no longer matching pods".
func TestReplicaSetAdoptsAndReleases(t *testing.T) {
	e := start(t)
	orphan, err := e.client.CoreV1().Pods("default").Create(e.ctx, &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-adoption-release", Labels: map[string]string{"name": "pod-adoption-release"}},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.client.AppsV1().ReplicaSets("default").Create(e.ctx, replicaSet("pod-adoption-release", 1, map[string]string{"name": "pod-adoption-release"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the orphan to be adopted", func() (bool, error) {
		p, err := e.client.CoreV1().Pods("default").Get(e.ctx, orphan.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		ref := metav1.GetControllerOf(p)
		return ref != nil && ref.UID == rs.UID, nil
	})
	e.statusIs(t, "pod-adoption-release", 1)
	if n := len(e.pods(t, "name=pod-adoption-release")); n != 1 {
		t.Fatalf("%d pods after adoption, want 1 (no pod created)", n)
	}

	// Relabel the pod: released, and replaced.
	patch := []byte(`{"metadata":{"labels":{"name":"not-matching"}}}`)
	if _, err := e.client.CoreV1().Pods("default").Patch(e.ctx, orphan.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the relabelled pod to be released", func() (bool, error) {
		p, err := e.client.CoreV1().Pods("default").Get(e.ctx, orphan.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return metav1.GetControllerOf(p) == nil, nil
	})
	e.statusIs(t, "pod-adoption-release", 1)
	pods := e.pods(t, "name=pod-adoption-release")
	if len(pods) != 1 || pods[0].Name == orphan.Name {
		t.Fatalf("want one new pod replacing the released one, got %d", len(pods))
	}
}

func TestReplicaSetMinReadySeconds(t *testing.T) {
	e := start(t)
	rs := replicaSet("slow", 2, map[string]string{"app": "slow"})
	rs.Spec.MinReadySeconds = 1
	if _, err := e.client.AppsV1().ReplicaSets("default").Create(e.ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "ready but not yet available", func() (bool, error) {
		got, err := e.client.AppsV1().ReplicaSets("default").Get(e.ctx, "slow", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if got.Status.AvailableReplicas == 2 {
			return false, fmt.Errorf("available at once despite minReadySeconds")
		}
		return got.Status.ReadyReplicas == 2, nil
	})
	// No event marks the end of minReadySeconds: the controller must look again.
	e.statusIs(t, "slow", 2)
}

func TestReplicationController(t *testing.T) {
	e := start(t)
	two := int32(2)
	rc, err := e.client.CoreV1().ReplicationControllers("default").Create(e.ctx, &v1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy"},
		Spec: v1.ReplicationControllerSpec{
			Replicas: &two,
			Selector: map[string]string{"app": "legacy"},
			Template: &v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "legacy"}},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Image: "busybox"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the replication controller to report 2 ready replicas", func() (bool, error) {
		got, err := e.client.CoreV1().ReplicationControllers("default").Get(e.ctx, "legacy", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st := got.Status
		return st.ObservedGeneration == got.Generation && st.Replicas == 2 && st.ReadyReplicas == 2 && st.AvailableReplicas == 2, nil
	})
	for _, p := range e.pods(t, "app=legacy") {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.APIVersion != "v1" || ref.Kind != "ReplicationController" || ref.UID != rc.UID || p.GenerateName != "legacy-" {
			t.Errorf("pod %s: controller %+v, generateName %q", p.Name, ref, p.GenerateName)
		}
	}
}

// TestHundredReplicas logs how long 100 replicas take to be available with an
// instant kubelet (the speed goal itself is measured by make bench on the sim runtime).
func TestHundredReplicas(t *testing.T) {
	e := start(t)
	begin := time.Now()
	if _, err := e.client.AppsV1().ReplicaSets("default").Create(e.ctx, replicaSet("many", 100, map[string]string{"app": "many"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.statusIs(t, "many", 100)
	t.Logf("100 replicas available after %v", time.Since(begin))
	if n := len(e.pods(t, labels.SelectorFromSet(labels.Set{"app": "many"}).String())); n != 100 {
		t.Errorf("%d pods, want 100", n)
	}
}
