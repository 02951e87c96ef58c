package deployment_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"

	"ordinal.dev/ordinal/internal/controller/deployment"
)

// TestDeploymentRollingUpdate is seed 001: 3 replicas, maxSurge 1, maxUnavailable 1;
// the kubelet makes new pods ready one at a time.
func TestDeploymentRollingUpdate(t *testing.T) {
	e := start(t)
	d := newDeployment("myapp-deploy", 3, intstr.FromInt32(1), intstr.FromInt32(1))
	e.create(t, d)
	e.rolledOut(t, "myapp-deploy")
	rss := e.replicaSets(t, "myapp-deploy")
	if len(rss) != 1 {
		t.Fatalf("%d replica sets, want 1", len(rss))
	}
	first := rss[0]
	hash := first.Labels[apps.DefaultDeploymentUniqueLabelKey]
	if first.Name != "myapp-deploy-"+hash || first.Annotations[deployment.RevisionAnnotation] != "1" ||
		first.Annotations[deployment.DesiredReplicasAnnotation] != "3" || first.Annotations[deployment.MaxReplicasAnnotation] != "4" {
		t.Errorf("first replica set %s, annotations %v", first.Name, first.Annotations)
	}

	e.kubelet.SetAutoReady(func(*v1.Pod) bool { return false })
	sizes := e.recordSizes(t, "myapp-deploy", first.Name)
	e.setImage(t, "myapp-deploy", "app:v2")
	newPods := labels.SelectorFromSet(labels.Set{"app": "myapp-deploy"}).String() + "," + apps.DefaultDeploymentUniqueLabelKey + "!=" + hash
	sel, _ := labels.Parse(newPods)
	// The new ReplicaSet can reach 2 before any pod is ready (4 pods in all); each new
	// ready pod then lets one old pod go and one new pod come.
	for _, step := range []string{"2,2", "1,3", "0,3"} {
		e.waitSizes(t, sizes, step)
		if _, err := e.kubelet.MakeReady(e.ctx, "default", sel); err != nil {
			t.Fatal(err)
		}
	}
	got := e.rolledOut(t, "myapp-deploy")
	if diff := cmp.Diff([]string{"3,1", "2,1", "2,2", "1,2", "1,3", "0,3"}, sizes.get()); diff != "" {
		t.Errorf("(old,new) spec.replicas (-want +got):\n%s", diff)
	}
	if got.Annotations[deployment.RevisionAnnotation] != "2" {
		t.Errorf("deployment revision %q, want 2", got.Annotations[deployment.RevisionAnnotation])
	}
	var second apps.ReplicaSet
	for _, rs := range e.replicaSets(t, "myapp-deploy") {
		if rs.Name != first.Name {
			second = rs
		}
	}
	e.eventually(t, "scaling events", func() (bool, error) {
		events, err := e.client.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=myapp-deploy"})
		if err != nil {
			return false, err
		}
		seen := map[string]bool{}
		for _, ev := range events.Items {
			if ev.Reason == "ScalingReplicaSet" && ev.Source.Component == "deployment-controller" {
				seen[ev.Message] = true
			}
		}
		for _, want := range []string{
			"Scaled up replica set " + first.Name + " from 0 to 3",
			"Scaled up replica set " + second.Name + " from 0 to 1",
			"Scaled down replica set " + first.Name + " from 3 to 2",
			"Scaled up replica set " + second.Name + " from 1 to 2",
			"Scaled down replica set " + first.Name + " from 2 to 1",
			"Scaled up replica set " + second.Name + " from 2 to 3",
			"Scaled down replica set " + first.Name + " from 1 to 0",
		} {
			if !seen[want] {
				return false, fmt.Errorf("missing %q in %v", want, seen)
			}
		}
		return true, nil
	})
	for _, c := range got.Status.Conditions {
		switch c.Type {
		case apps.DeploymentAvailable:
			if c.Status != v1.ConditionTrue || c.Reason != "MinimumReplicasAvailable" || c.Message != "Deployment has minimum availability." {
				t.Errorf("Available = %+v", c)
			}
		case apps.DeploymentProgressing:
			if c.Status != v1.ConditionTrue || c.Message != `ReplicaSet "`+second.Name+`" has successfully progressed.` {
				t.Errorf("Progressing = %+v", c)
			}
		}
	}
}

// TestDeploymentRecreate checks that no new pod exists while an old one does.
func TestDeploymentRecreate(t *testing.T) {
	e := start(t)
	d := newDeployment("recreate", 2, intstr.FromInt32(0), intstr.FromInt32(0))
	d.Spec.Strategy = apps.DeploymentStrategy{Type: apps.RecreateDeploymentStrategyType}
	e.create(t, d)
	e.rolledOut(t, "recreate")
	oldHash := e.replicaSets(t, "recreate")[0].Labels[apps.DefaultDeploymentUniqueLabelKey]

	w, err := e.client.CoreV1().Pods("default").Watch(e.ctx, metav1.ListOptions{LabelSelector: "app=recreate"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	violations := make(chan string, 10)
	go func() {
		old := map[string]bool{}
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*v1.Pod)
			if !ok {
				continue
			}
			isOld := p.Labels[apps.DefaultDeploymentUniqueLabelKey] == oldHash
			switch {
			case isOld && ev.Type == watch.Deleted:
				delete(old, p.Name)
			case isOld:
				old[p.Name] = true
			case ev.Type == watch.Added && len(old) > 0:
				violations <- fmt.Sprintf("new pod %s created while old pods %v exist", p.Name, old)
			}
		}
	}()
	e.setImage(t, "recreate", "app:v2")
	got := e.rolledOut(t, "recreate")
	select {
	case v := <-violations:
		t.Error(v)
	default:
	}
	if got.Annotations[deployment.RevisionAnnotation] != "2" || len(e.replicaSets(t, "recreate")) != 2 {
		t.Errorf("revision %q with %d replica sets", got.Annotations[deployment.RevisionAnnotation], len(e.replicaSets(t, "recreate")))
	}
}

// TestDeploymentHistoryAndUndo sends the JSON patch kubectl rollout undo sends.
func TestDeploymentHistoryAndUndo(t *testing.T) {
	e := start(t)
	d := newDeployment("web", 2, intstr.FromString("25%"), intstr.FromString("25%"))
	d.Annotations = map[string]string{"kubernetes.io/change-cause": "create v1"}
	e.create(t, d)
	e.rolledOut(t, "web")
	patch := `{"metadata":{"annotations":{"kubernetes.io/change-cause":"image v2"}},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:v2"}]}}}}`
	if _, err := e.client.AppsV1().Deployments("default").Patch(e.ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	cur := e.rolledOut(t, "web")
	history := map[string]string{}
	var rev1 apps.ReplicaSet
	for _, rs := range e.replicaSets(t, "web") {
		history[rs.Annotations[deployment.RevisionAnnotation]] = rs.Annotations["kubernetes.io/change-cause"]
		if rs.Annotations[deployment.RevisionAnnotation] == "1" {
			rev1 = rs
		}
	}
	if diff := cmp.Diff(map[string]string{"1": "create v1", "2": "image v2"}, history); diff != "" {
		t.Errorf("rollout history (-want +got):\n%s", diff)
	}

	// kubectl rollout undo --to-revision=1.
	template := rev1.Spec.Template.DeepCopy()
	delete(template.Labels, apps.DefaultDeploymentUniqueLabelKey)
	skip := map[string]bool{v1.LastAppliedConfigAnnotation: true, deployment.RevisionAnnotation: true, deployment.RevisionHistoryAnnotation: true,
		deployment.DesiredReplicasAnnotation: true, deployment.MaxReplicasAnnotation: true, deployment.DeprecatedRollbackTo: true}
	annotations := map[string]string{}
	for k, v := range cur.Annotations {
		if skip[k] {
			annotations[k] = v
		}
	}
	for k, v := range rev1.Annotations {
		if !skip[k] {
			annotations[k] = v
		}
	}
	undo, _ := json.Marshal([]any{
		map[string]any{"op": "replace", "path": "/spec/template", "value": template},
		map[string]any{"op": "replace", "path": "/metadata/annotations", "value": annotations},
	})
	if _, err := e.client.AppsV1().Deployments("default").Patch(e.ctx, "web", types.JSONPatchType, undo, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "revision 1 to become revision 3", func() (bool, error) {
		rs, err := e.client.AppsV1().ReplicaSets("default").Get(e.ctx, rev1.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return rs.Annotations[deployment.RevisionAnnotation] == "3" && rs.Annotations[deployment.RevisionHistoryAnnotation] == "1", fmt.Errorf("annotations %v", rs.Annotations)
	})
	got := e.rolledOut(t, "web")
	if got.Annotations[deployment.RevisionAnnotation] != "3" || got.Annotations["kubernetes.io/change-cause"] != "create v1" {
		t.Errorf("deployment annotations %v", got.Annotations)
	}
	if n := len(e.replicaSets(t, "web")); n != 2 {
		t.Errorf("%d replica sets after undo, want 2 (no new one)", n)
	}
}

// TestDeploymentPaused: template changes wait for resume, which creates one ReplicaSet.
func TestDeploymentPaused(t *testing.T) {
	e := start(t)
	e.create(t, newDeployment("paused", 2, intstr.FromInt32(1), intstr.FromInt32(0)))
	e.rolledOut(t, "paused")
	setPaused := func(paused bool) {
		t.Helper()
		patch := fmt.Sprintf(`{"spec":{"paused":%v}}`, paused)
		if _, err := e.client.AppsV1().Deployments("default").Patch(e.ctx, "paused", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setPaused(true)
	e.setImage(t, "paused", "app:v2")
	e.setImage(t, "paused", "app:v3")
	e.eventually(t, "the paused condition", func() (bool, error) {
		d := e.get(t, "paused")
		for _, c := range d.Status.Conditions {
			if c.Type == apps.DeploymentProgressing {
				return d.Status.ObservedGeneration == d.Generation && c.Status == v1.ConditionUnknown &&
					c.Reason == deployment.PausedDeployReason && c.Message == "Deployment is paused", nil
			}
		}
		return false, nil
	})
	if n := len(e.replicaSets(t, "paused")); n != 1 {
		t.Fatalf("%d replica sets while paused, want 1", n)
	}
	setPaused(false)
	e.rolledOut(t, "paused")
	rss := e.replicaSets(t, "paused")
	if len(rss) != 2 {
		t.Fatalf("%d replica sets after resume, want 2", len(rss))
	}
	for _, rs := range rss {
		if rs.Annotations[deployment.RevisionAnnotation] == "2" && rs.Spec.Template.Spec.Containers[0].Image != "app:v3" {
			t.Errorf("revision 2 runs %s, want app:v3", rs.Spec.Template.Spec.Containers[0].Image)
		}
	}
}

// TestDeploymentHundredReplicas logs how long 100 replicas take to become available and
// then to roll over with 25%/25%, with an instant kubelet (the speed goals are measured
// on the sim runtime by make bench).
func TestDeploymentHundredReplicas(t *testing.T) {
	e := start(t)
	begin := time.Now()
	e.create(t, newDeployment("many", 100, intstr.FromString("25%"), intstr.FromString("25%")))
	e.rolledOut(t, "many")
	t.Logf("100 replicas available after %v", time.Since(begin))
	begin = time.Now()
	e.setImage(t, "many", "app:v2")
	d := e.rolledOut(t, "many")
	t.Logf("rolling update of 100 replicas done after %v", time.Since(begin))
	if !strings.HasPrefix(d.Annotations[deployment.RevisionAnnotation], "2") {
		t.Errorf("revision %q", d.Annotations[deployment.RevisionAnnotation])
	}
}

// TestDeploymentHashCollision follows upstream's integration test of the same name: a
// foreign ReplicaSet already has the new ReplicaSet's name, so the controller bumps
// status.collisionCount and uses the next hash.
func TestDeploymentHashCollision(t *testing.T) {
	e := start(t)
	d := newDeployment("collide", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.Paused = true
	e.create(t, d)
	stored := e.get(t, "collide")
	hash := deployment.ComputeHash(&stored.Spec.Template, nil)
	squatter := &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "collide-" + hash, Namespace: "default"},
		Spec: apps.ReplicaSetSpec{
			Replicas: new(int32),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"squatter": "yes"}},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"squatter": "yes"}},
				Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "other", Image: "other"}}},
			},
		},
	}
	if _, err := e.client.AppsV1().ReplicaSets("default").Create(e.ctx, squatter, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AppsV1().Deployments("default").Patch(e.ctx, "collide", types.StrategicMergePatchType, []byte(`{"spec":{"paused":false}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got := e.rolledOut(t, "collide")
	if got.Status.CollisionCount == nil || *got.Status.CollisionCount != 1 {
		t.Fatalf("collisionCount = %v, want 1", got.Status.CollisionCount)
	}
	one := int32(1)
	want := "collide-" + deployment.ComputeHash(&stored.Spec.Template, &one)
	rss := e.replicaSets(t, "collide")
	if len(rss) != 1 || rss[0].Name != want {
		t.Errorf("replica sets %v, want only %s", rss, want)
	}
}

// TestDeploymentProgressDeadline: a rollout without progress is reported as timed out
// once progressDeadlineSeconds pass, with no event from the pods to trigger it.
func TestDeploymentProgressDeadline(t *testing.T) {
	e := start(t)
	e.kubelet.SetAutoReady(func(*v1.Pod) bool { return false })
	d := newDeployment("stuck", 1, intstr.FromInt32(1), intstr.FromInt32(0))
	deadline := int32(1)
	d.Spec.ProgressDeadlineSeconds = &deadline
	e.create(t, d)
	e.eventually(t, "ProgressDeadlineExceeded", func() (bool, error) {
		for _, c := range e.get(t, "stuck").Status.Conditions {
			if c.Type == apps.DeploymentProgressing {
				return c.Status == v1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" &&
					strings.HasSuffix(c.Message, "has timed out progressing."), fmt.Errorf("%+v", c)
			}
		}
		return false, nil
	})
}
