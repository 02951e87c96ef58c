package replicaset

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// fakePodControl records the pod writes of a sync; creates fail once failCreatesAfter
// have succeeded (negative: never).
type fakePodControl struct {
	mu               sync.Mutex
	created          []*v1.Pod
	deleted, patched []string
	failCreatesAfter int
}

func (f *fakePodControl) createPod(_ context.Context, pod *v1.Pod, _ runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failCreatesAfter >= 0 && len(f.created) >= f.failCreatesAfter {
		return errors.New(`pods "web-x" is forbidden: exceeded quota`)
	}
	f.created = append(f.created, pod)
	return nil
}

func (f *fakePodControl) deletePod(_ context.Context, _, name string, _ runtime.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	return nil
}

func (f *fakePodControl) patchPod(_ context.Context, _, name string, _ []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patched = append(f.patched, name)
	return nil
}

type fixture struct {
	c       *Controller
	pods    *fakePodControl
	client  *fake.Clientset
	factory informers.SharedInformerFactory
}

// newFixture builds a controller on a fake clientset holding objs, with its caches
// seeded with the same objects and no informer running.
func newFixture(t *testing.T, rc bool, objs ...runtime.Object) *fixture {
	t.Helper()
	client := fake.NewSimpleClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	var c *Controller
	var err error
	if rc {
		c, err = NewReplicationManager(client, factory.Core().V1().ReplicationControllers(), factory.Core().V1().Pods())
	} else {
		c, err = New(client, factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
	}
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{c: c, pods: &fakePodControl{failCreatesAfter: -1}, client: client, factory: factory}
	c.podControl = f.pods
	c.now = func() time.Time { return t0 }
	for _, o := range objs {
		f.add(o)
	}
	return f
}

func (f *fixture) add(o runtime.Object) {
	switch o := o.(type) {
	case *v1.Pod:
		_ = f.factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
	case *apps.ReplicaSet:
		_ = f.factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(o)
	case *v1.ReplicationController:
		_ = f.factory.Core().V1().ReplicationControllers().Informer().GetIndexer().Add(o)
	}
}

func (f *fixture) sync(t *testing.T) error {
	t.Helper()
	return f.c.sync(context.Background(), "default/web")
}

func (f *fixture) status(t *testing.T) apps.ReplicaSetStatus {
	t.Helper()
	rs, err := f.client.AppsV1().ReplicaSets("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Status
}

func TestSyncCreatesPodsOnceUnderExpectations(t *testing.T) {
	rs := newReplicaSet(3)
	f := newFixture(t, false, rs)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if len(f.pods.created) != 3 {
		t.Fatalf("created %d pods, want 3", len(f.pods.created))
	}
	yes := true
	want := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", GenerateName: "web-",
			Labels: map[string]string{"app": "web", "tier": "front"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web",
				UID: "rs-uid", Controller: &yes, BlockOwnerDeletion: &yes}},
		},
		Spec: rs.Spec.Template.Spec,
	}
	if diff := cmp.Diff(want, f.pods.created[0]); diff != "" {
		t.Errorf("pod (-want +got):\n%s", diff)
	}
	if got := f.status(t); got.ObservedGeneration != 1 || got.Replicas != 0 {
		t.Errorf("status = %+v, want observedGeneration 1 and no replicas yet", got)
	}

	// The cache has not caught up: a second sync must not create again.
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if len(f.pods.created) != 3 {
		t.Fatalf("created %d pods after a second sync, want still 3", len(f.pods.created))
	}
	for i, p := range f.pods.created {
		p = p.DeepCopy()
		p.Name, p.UID = string(rune('a'+i)), types.UID(string(rune('a'+i)))
		f.add(p)
		f.c.addPod(p)
	}
	if !f.c.expectations.satisfied("default/web", t0) {
		t.Fatal("all creations observed: expectations must be satisfied")
	}
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if len(f.pods.created) != 3 {
		t.Fatalf("created %d pods with 3 in the cache, want 3", len(f.pods.created))
	}
	if got := f.status(t); got.Replicas != 3 || got.FullyLabeledReplicas != 3 {
		t.Errorf("status = %+v, want 3 replicas, all fully labeled", got)
	}
}

func TestSyncFailedCreateSetsReplicaFailure(t *testing.T) {
	f := newFixture(t, false, newReplicaSet(5))
	f.pods.failCreatesAfter = 1
	if err := f.sync(t); err == nil {
		t.Fatal("want the create error back, for a rate-limited retry")
	}
	// Batches 1 then 2: the second batch fails, the remaining 2 are never tried.
	if len(f.pods.created) != 1 {
		t.Errorf("created %d pods, want 1", len(f.pods.created))
	}
	st := f.status(t)
	c := getCondition(st, apps.ReplicaSetReplicaFailure)
	if c == nil || c.Reason != reasonFailedCreate || c.Message != `pods "web-x" is forbidden: exceeded quota` {
		t.Fatalf("conditions = %+v, want ReplicaFailure/FailedCreate", st.Conditions)
	}
	// Failed creations will never be observed: only the one created pod is awaited.
	f.c.expectations.creationObserved("default/web")
	if !f.c.expectations.satisfied("default/web", t0) {
		t.Error("failed creations must not be awaited")
	}
}

func TestSyncAdoptsAndReleases(t *testing.T) {
	f := newFixture(t, false, newReplicaSet(2),
		newPod("orphan", phase(v1.PodPending)),
		newPod("mine", ownedBy("rs-uid")),
		newPod("relabelled", ownedBy("rs-uid"), labelled("app", "other")),
		newPod("terminating-orphan", terminating),
		newPod("theirs", ownedBy("other-uid")))
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"orphan", "relabelled"}, f.pods.patched, sortStrings); diff != "" {
		t.Errorf("patched (-want +got):\n%s", diff)
	}
	if len(f.pods.created)+len(f.pods.deleted) != 0 {
		t.Errorf("created %d, deleted %v: the adopted pod makes 2", len(f.pods.created), f.pods.deleted)
	}
	if got := f.status(t).Replicas; got != 2 {
		t.Errorf("status.replicas = %d, want 2", got)
	}
}

func TestSyncScalesDownBadPodsFirst(t *testing.T) {
	hourAgo := t0.Add(-time.Hour)
	f := newFixture(t, false, newReplicaSet(1),
		newPod("ready", ownedBy("rs-uid"), readySince(hourAgo)),
		newPod("not-ready", ownedBy("rs-uid"), notReady),
		newPod("pending", ownedBy("rs-uid"), phase(v1.PodPending)),
		newPod("succeeded", ownedBy("rs-uid"), phase(v1.PodSucceeded)))
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"not-ready", "pending"}, f.pods.deleted, sortStrings); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	if f.c.expectations.satisfied("default/web", t0) {
		t.Error("deletions not yet observed: must wait")
	}
}

func TestSyncOwnerBeingDeletedOnlyWritesStatus(t *testing.T) {
	rs := newReplicaSet(3)
	now := metav1.NewTime(t0)
	rs.DeletionTimestamp = &now
	f := newFixture(t, false, rs, newPod("orphan"))
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if len(f.pods.created)+len(f.pods.patched) != 0 {
		t.Errorf("created %d, patched %v: a deleting owner neither creates nor adopts", len(f.pods.created), f.pods.patched)
	}
}

func TestReplicationManager(t *testing.T) {
	two := int32(2)
	rc := &v1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "rc-uid", Generation: 3},
		Spec: v1.ReplicationControllerSpec{
			Replicas: &two, Selector: map[string]string{"app": "web"},
			Template: &v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}},
		},
	}
	f := newFixture(t, true, rc, newPod("orphan"))
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if len(f.pods.created) != 1 || len(f.pods.patched) != 1 {
		t.Fatalf("created %d, patched %v; want 1 created and the orphan adopted", len(f.pods.created), f.pods.patched)
	}
	ref := f.pods.created[0].OwnerReferences[0]
	if ref.APIVersion != "v1" || ref.Kind != "ReplicationController" || ref.UID != "rc-uid" {
		t.Errorf("owner reference = %+v", ref)
	}
	got, err := f.client.CoreV1().ReplicationControllers("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.ObservedGeneration != 3 || got.Status.Replicas != 1 {
		t.Errorf("status = %+v, want observedGeneration 3 and 1 replica", got.Status)
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	slices.Sort(out)
	return out
})
