package deployment

import (
	"context"
	"errors"
	"strings"
	"testing"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
)

func newTestController(t *testing.T, objs ...runtime.Object) (*Controller, *fake.Clientset, *record.FakeRecorder) {
	t.Helper()
	client := fake.NewSimpleClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(client, factory.Apps().V1().Deployments(), factory.Apps().V1().ReplicaSets(), factory.Core().V1().Pods())
	if err != nil {
		t.Fatal(err)
	}
	recorder := record.NewFakeRecorder(10)
	c.recorder = recorder
	return c, client, recorder
}

func TestExecuteReportsCreateFailure(t *testing.T) {
	d := newDeployment("web", 2, nil, intOrStr(1), intOrStr(0), nil)
	d.Spec.ProgressDeadlineSeconds = ptrTo(int32(600))
	c, client, recorder := newTestController(t, d)
	client.PrependReactor("create", "replicasets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "replicasets"}, "x", errors.New("exceeded quota"))
	})
	p := planSync(input{deployment: d, now: t0})
	if err := c.execute(context.Background(), d, p.actions); !apierrors.IsForbidden(err) {
		t.Fatalf("execute = %v, want the create error", err)
	}
	got, _ := client.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{})
	cond := getCondition(got.Status, apps.DeploymentProgressing)
	if cond == nil || cond.Status != v1.ConditionFalse || cond.Reason != FailedRSCreateReason ||
		!strings.HasPrefix(cond.Message, `Failed to create new replica set "web-`) {
		t.Errorf("Progressing = %+v", cond)
	}
	if ev := <-recorder.Events; !strings.HasPrefix(ev, "Warning ReplicaSetCreateError Failed to create new replica set") {
		t.Errorf("event %q", ev)
	}
}

func TestExecuteStopsAtFirstFailure(t *testing.T) {
	d := newDeployment("web", 2, nil, nil, nil, nil)
	r := rs("web-1", 1, nil, newTimestamp)
	c, client, _ := newTestController(t, d, r)
	client.PrependReactor("update", "replicasets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("boom")
	})
	var statusWrites int
	client.PrependReactor("update", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		statusWrites++
		return false, nil, nil
	})
	actions := []action{
		{kind: updateReplicaSet, rs: r.DeepCopy(), event: &event{"Normal", "ScalingReplicaSet", "x"}},
		{kind: updateDeploymentStatus, deployment: d.DeepCopy()},
	}
	if err := c.execute(context.Background(), d, actions); err == nil || statusWrites != 0 {
		t.Errorf("execute = %v after %d status writes; want the error and none", err, statusWrites)
	}
}

// An API server whose status writes drop annotation changes still gets the revision,
// through the main resource.
func TestExecuteKeepsRevisionAnnotation(t *testing.T) {
	d := newDeployment("web", 2, nil, nil, nil, nil)
	c, client, _ := newTestController(t, d)
	client.PrependReactor("update", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" {
			return false, nil, nil
		}
		obj := a.(clienttesting.UpdateAction).GetObject().(*apps.Deployment).DeepCopy()
		obj.Annotations = nil
		return true, obj, nil
	})
	want := d.DeepCopy()
	setDeploymentRevision(want, "4")
	if err := c.execute(context.Background(), d, []action{{kind: updateDeploymentStatus, deployment: want}}); err != nil {
		t.Fatal(err)
	}
	got, _ := client.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{})
	if got.Annotations[RevisionAnnotation] != "4" {
		t.Errorf("annotations %v, want revision 4", got.Annotations)
	}
}
