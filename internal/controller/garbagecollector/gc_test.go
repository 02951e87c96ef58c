package garbagecollector_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/ptr"

	"ordinal.dev/ordinal/internal/controller/garbagecollector"
	"ordinal.dev/ordinal/internal/controlplane"
)

// testSchedulerName keeps the test pods unscheduled even once a scheduler runs in the
// control plane: unscheduled pods are removed at once on delete, which lets these tests
// watch the collector without a node agent.
const testSchedulerName = "garbage-collector-test"

// holdFinalizer keeps a deleted pod visible until the test lets it go.
const holdFinalizer = "ordinal.dev/test-hold"

type cluster struct {
	cp     *controlplane.ControlPlane
	client kubernetes.Interface
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	// The tests build owner graphs by hand; workload controllers would act on them too.
	cp, err := controlplane.Start(context.Background(), controlplane.Options{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0",
		DisableControllers: []string{"replicaset", "deployment", "statefulset", "daemonset", "job", "cronjob"},
	})
	if err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	client, err := kubernetes.NewForConfig(cp.RestConfig)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{cp: cp, client: client}
}

// startCollector runs a garbage collector against the cluster until the test ends.
func (c *cluster) startCollector(t *testing.T) {
	t.Helper()
	md, err := metadata.NewForConfig(c.cp.RestConfig)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := garbagecollector.New(md, c.client.Discovery())
	if err != nil {
		t.Fatalf("garbagecollector.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		gc.Run(ctx, 2)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (c *cluster) namespace(t *testing.T, name string) string {
	t.Helper()
	_, err := c.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			SchedulerName: testSchedulerName,
			Containers:    []corev1.Container{{Name: "main", Image: "busybox"}},
		},
	}
}

func (c *cluster) replicaSet(t *testing.T, ns, name string, owners ...metav1.OwnerReference) *appsv1.ReplicaSet {
	t.Helper()
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: owners},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
	out, err := c.client.AppsV1().ReplicaSets(ns).Create(context.Background(), rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating replicaset %s: %v", name, err)
	}
	return out
}

// pods creates the two pods of rs, each controlled by it with blockOwnerDeletion, as the
// ReplicaSet controller would.
func (c *cluster) pods(t *testing.T, rs *appsv1.ReplicaSet, finalizers ...[]string) []string {
	t.Helper()
	var names []string
	for i := range 2 {
		tmpl := podTemplate(rs.Name)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:            fmt.Sprintf("%s-%d", rs.Name, i),
				Labels:          tmpl.Labels,
				OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)},
			},
			Spec: tmpl.Spec,
		}
		if i < len(finalizers) {
			pod.Finalizers = finalizers[i]
		}
		if _, err := c.client.CoreV1().Pods(rs.Namespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating pod %s: %v", pod.Name, err)
		}
		names = append(names, pod.Name)
	}
	return names
}

func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
}

func (c *cluster) configMap(t *testing.T, ns, name string, owners ...metav1.OwnerReference) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: owners}}
	out, err := c.client.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating configmap %s: %v", name, err)
	}
	return out
}

func deleteWith(policy metav1.DeletionPropagation) metav1.DeleteOptions {
	return metav1.DeleteOptions{PropagationPolicy: &policy}
}

// eventually polls cond until it holds, failing the test after a deadline.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func gone(get func(ctx context.Context) error) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		err := get(ctx)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
}

func (c *cluster) podGone(ns, name string) func(ctx context.Context) (bool, error) {
	return gone(func(ctx context.Context) error {
		_, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		return err
	})
}

func (c *cluster) replicaSetGone(ns, name string) func(ctx context.Context) (bool, error) {
	return gone(func(ctx context.Context) error {
		_, err := c.client.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		return err
	})
}

func TestGarbageCollector(t *testing.T) {
	c := startCluster(t)
	c.startCollector(t)
	ctx := context.Background()

	t.Run("background deletion removes the dependents", func(t *testing.T) {
		ns := c.namespace(t, "gc-background")
		rs := c.replicaSet(t, ns, "web")
		pods := c.pods(t, rs)
		if err := c.client.AppsV1().ReplicaSets(ns).Delete(ctx, rs.Name, deleteWith(metav1.DeletePropagationBackground)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			eventually(t, "pod "+p+" to be collected", c.podGone(ns, p))
		}
	})

	t.Run("foreground deletion keeps the owner until its dependents are gone", func(t *testing.T) {
		ns := c.namespace(t, "gc-foreground")
		rs := c.replicaSet(t, ns, "web")
		// The first pod stays, terminating, until the test removes its finalizer: while it is
		// there the ReplicaSet must wait.
		pods := c.pods(t, rs, []string{holdFinalizer})
		if err := c.client.AppsV1().ReplicaSets(ns).Delete(ctx, rs.Name, deleteWith(metav1.DeletePropagationForeground)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the free pod to be collected", c.podGone(ns, pods[1]))
		eventually(t, "the held pod to be terminating", func(ctx context.Context) (bool, error) {
			p, err := c.client.CoreV1().Pods(ns).Get(ctx, pods[0], metav1.GetOptions{})
			return err == nil && p.DeletionTimestamp != nil, err
		})
		live, err := c.client.AppsV1().ReplicaSets(ns).Get(ctx, rs.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the replicaset went before its blocking pod: %v", err)
		}
		if live.DeletionTimestamp == nil || !slices.Contains(live.Finalizers, metav1.FinalizerDeleteDependents) {
			t.Fatalf("replicaset while waiting: deletionTimestamp %v, finalizers %v", live.DeletionTimestamp, live.Finalizers)
		}
		_, err = c.client.CoreV1().Pods(ns).Patch(ctx, pods[0], types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the held pod to go", c.podGone(ns, pods[0]))
		eventually(t, "the replicaset to go", c.replicaSetGone(ns, rs.Name))
	})

	t.Run("orphan deletion releases the dependents", func(t *testing.T) {
		ns := c.namespace(t, "gc-orphan")
		rs := c.replicaSet(t, ns, "web")
		pods := c.pods(t, rs)
		if err := c.client.AppsV1().ReplicaSets(ns).Delete(ctx, rs.Name, deleteWith(metav1.DeletePropagationOrphan)); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the replicaset to go", c.replicaSetGone(ns, rs.Name))
		for _, name := range pods {
			p, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("orphaned pod %s: %v", name, err)
			}
			if len(p.OwnerReferences) != 0 || p.DeletionTimestamp != nil {
				t.Fatalf("orphaned pod %s: ownerReferences %v, deletionTimestamp %v", name, p.OwnerReferences, p.DeletionTimestamp)
			}
		}
	})

	t.Run("an owner that never existed makes its dependent garbage", func(t *testing.T) {
		ns := c.namespace(t, "gc-never")
		c.configMap(t, ns, "orphan", controllerRef("v1", "ConfigMap", "ghost", uuid.NewUUID()))
		eventually(t, "the configmap to be collected", gone(func(ctx context.Context) error {
			_, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "orphan", metav1.GetOptions{})
			return err
		}))
	})

	t.Run("an owner with the right name and another UID is absent", func(t *testing.T) {
		ns := c.namespace(t, "gc-uid")
		c.configMap(t, ns, "owner")
		c.configMap(t, ns, "dependent", controllerRef("v1", "ConfigMap", "owner", uuid.NewUUID()))
		eventually(t, "the configmap to be collected", gone(func(ctx context.Context) error {
			_, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "dependent", metav1.GetOptions{})
			return err
		}))
	})

	t.Run("only the dangling reference of two goes", func(t *testing.T) {
		ns := c.namespace(t, "gc-two-owners")
		owner := c.configMap(t, ns, "owner")
		live := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}
		c.configMap(t, ns, "dependent", live, controllerRef("v1", "ConfigMap", "ghost", uuid.NewUUID()))
		eventually(t, "the dangling reference to be removed", func(ctx context.Context) (bool, error) {
			cm, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "dependent", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return len(cm.OwnerReferences) == 1, nil
		})
		cm, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "dependent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.OwnerReferences[0].UID != owner.UID || cm.DeletionTimestamp != nil {
			t.Fatalf("dependent after collection: ownerReferences %v, deletionTimestamp %v", cm.OwnerReferences, cm.DeletionTimestamp)
		}
	})

	t.Run("foreground deletion cascades through owners of owners", func(t *testing.T) {
		ns := c.namespace(t, "gc-cascade")
		d, err := c.client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web-abc"}},
				Template: podTemplate("web-abc"),
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rs := c.replicaSet(t, ns, "web-abc", controllerRef("apps/v1", "Deployment", d.Name, d.UID))
		pods := c.pods(t, rs, []string{holdFinalizer})
		if err := c.client.AppsV1().Deployments(ns).Delete(ctx, d.Name, deleteWith(metav1.DeletePropagationForeground)); err != nil {
			t.Fatal(err)
		}
		// The ReplicaSet has dependents, so it is deleted in the foreground as well.
		eventually(t, "the replicaset to delete its dependents", func(ctx context.Context) (bool, error) {
			live, err := c.client.AppsV1().ReplicaSets(ns).Get(ctx, rs.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return live.DeletionTimestamp != nil && slices.Contains(live.Finalizers, metav1.FinalizerDeleteDependents), nil
		})
		eventually(t, "the free pod to be collected", c.podGone(ns, pods[1]))
		if _, err := c.client.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{}); err != nil {
			t.Fatalf("the deployment went before its replicaset: %v", err)
		}
		_, err = c.client.CoreV1().Pods(ns).Patch(ctx, pods[0], types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the replicaset to go", c.replicaSetGone(ns, rs.Name))
		eventually(t, "the deployment to go", gone(func(ctx context.Context) error {
			_, err := c.client.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
			return err
		}))
	})

	t.Run("a namespaced dependent of a cluster-scoped owner", func(t *testing.T) {
		ns := c.namespace(t, "gc-cluster-owner")
		owner, err := c.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gc-owner-ns"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.configMap(t, ns, "dependent", metav1.OwnerReference{APIVersion: "v1", Kind: "Namespace", Name: owner.Name, UID: owner.UID})
		if err := c.client.CoreV1().Namespaces().Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the configmap to be collected", gone(func(ctx context.Context) error {
			_, err := c.client.CoreV1().ConfigMaps(ns).Get(ctx, "dependent", metav1.GetOptions{})
			return err
		}))
	})
}

// TestCollectsWhatHappenedWhileStopped deletes owners while no collector runs: a started
// collector rebuilds its picture from the lists and finishes the work.
func TestCollectsWhatHappenedWhileStopped(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	ns := c.namespace(t, "gc-restart")
	background := c.replicaSet(t, ns, "background")
	backgroundPods := c.pods(t, background)
	orphaned := c.replicaSet(t, ns, "orphaned")
	orphanedPods := c.pods(t, orphaned)
	if err := c.client.AppsV1().ReplicaSets(ns).Delete(ctx, background.Name, deleteWith(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	if err := c.client.AppsV1().ReplicaSets(ns).Delete(ctx, orphaned.Name, deleteWith(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}

	c.startCollector(t)
	for _, p := range backgroundPods {
		eventually(t, "pod "+p+" to be collected", c.podGone(ns, p))
	}
	eventually(t, "the orphaning replicaset to go", c.replicaSetGone(ns, orphaned.Name))
	for _, name := range orphanedPods {
		p, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil || len(p.OwnerReferences) != 0 {
			t.Fatalf("orphaned pod %s: %v, %+v", name, err, p)
		}
	}
}
