package deployment

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestRollingUpdateSeed001 is the rollout of seed 001: 3 replicas, maxSurge 1,
// maxUnavailable 1, pods becoming available one at a time. The old ReplicaSet goes
// 3, 2, 1, 0 and the new one 1, 2, 3, as upstream.
func TestRollingUpdateSeed001(t *testing.T) {
	d := newDeployment("myapp", 3, nil, intOrStr(1), intOrStr(1), nil)
	d.Spec.ProgressDeadlineSeconds = ptrTo(int32(600))
	c := newCluster(t, d)
	c.sync()
	first := c.newest()
	if *first.Spec.Replicas != 3 || first.Annotations[RevisionAnnotation] != "1" {
		t.Fatalf("first replica set: replicas %d, annotations %v", *first.Spec.Replicas, first.Annotations)
	}
	c.rolloutAll()
	if c.d.Annotations[RevisionAnnotation] != "1" {
		t.Errorf("deployment revision = %q, want 1", c.d.Annotations[RevisionAnnotation])
	}
	if cond := c.condition(apps.DeploymentProgressing); cond == nil || cond.Reason != NewRSAvailableReason ||
		cond.Message != `ReplicaSet "`+first.Name+`" has successfully progressed.` {
		t.Errorf("Progressing = %+v", cond)
	}
	if cond := c.condition(apps.DeploymentAvailable); cond == nil || cond.Status != v1.ConditionTrue || cond.Reason != MinimumReplicasAvailable {
		t.Errorf("Available = %+v", cond)
	}

	initialised := true
	c.check = rollingInvariants(&initialised)
	c.sizes, c.events = nil, nil
	c.setImage("app:v2")
	c.sync()
	second := c.newest()
	for i := 0; i < 3; i++ {
		c.makeAvailable(second.Name, 1)
	}
	want := []string{"3,1", "2,1", "2,2", "1,2", "1,3", "0,3"}
	if diff := cmp.Diff(want, c.sizes); diff != "" {
		t.Errorf("(old,new) sizes (-want +got):\n%s", diff)
	}
	wantEvents := []string{
		"ScalingReplicaSet: Scaled up replica set " + second.Name + " from 0 to 1",
		"ScalingReplicaSet: Scaled down replica set " + first.Name + " from 3 to 2",
		"ScalingReplicaSet: Scaled up replica set " + second.Name + " from 1 to 2",
		"ScalingReplicaSet: Scaled down replica set " + first.Name + " from 2 to 1",
		"ScalingReplicaSet: Scaled up replica set " + second.Name + " from 2 to 3",
		"ScalingReplicaSet: Scaled down replica set " + first.Name + " from 1 to 0",
	}
	if diff := cmp.Diff(wantEvents, c.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	st := c.d.Status
	if st.Replicas != 3 || st.UpdatedReplicas != 3 || st.AvailableReplicas != 3 || st.UnavailableReplicas != 0 || st.ObservedGeneration != c.d.Generation {
		t.Errorf("status = %+v", st)
	}
	if c.d.Annotations[RevisionAnnotation] != "2" || c.newest().Annotations[RevisionAnnotation] != "2" {
		t.Errorf("revisions: deployment %q, new replica set %q; want 2", c.d.Annotations[RevisionAnnotation], c.newest().Annotations[RevisionAnnotation])
	}
}

// TestRollingUpdateTenReplicas is k8s-semantics 2.14 scenario 2: 25%/25% of 10 is a
// surge of 3 and 2 unavailable.
func TestRollingUpdateTenReplicas(t *testing.T) {
	d := newDeployment("web", 10, nil, ptrTo(intstr.FromString("25%")), ptrTo(intstr.FromString("25%")), nil)
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	first := c.newest()
	if got := first.Annotations; got[DesiredReplicasAnnotation] != "10" || got[MaxReplicasAnnotation] != "13" {
		t.Errorf("annotations = %v, want desired 10 and max 13", got)
	}
	initialised := true
	c.check = rollingInvariants(&initialised)
	c.sizes = nil
	c.setImage("app:v2")
	c.sync()
	// The new ReplicaSet starts at the surge (3), the old one gives the unavailable
	// budget (2), which makes room for 2 more new pods.
	if diff := cmp.Diff([]string{"10,3", "8,3", "8,5"}, c.sizes); diff != "" {
		t.Errorf("first step (-want +got):\n%s", diff)
	}
	c.rolloutAll()
	if got := c.sizes[len(c.sizes)-1]; got != "0,10" {
		t.Errorf("final sizes %s, want 0,10 (all: %v)", got, c.sizes)
	}
}

// TestRollover changes the template again mid-rollout: a third ReplicaSet is created
// and the intermediate one, whose pods are not available, is scaled down first.
func TestRollover(t *testing.T) {
	d := newDeployment("web", 10, nil, ptrTo(intstr.FromString("25%")), ptrTo(intstr.FromString("25%")), nil)
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	initialised := true
	c.check = rollingInvariants(&initialised)
	c.setImage("app:v2")
	c.sync()
	c.sizes = nil
	c.setImage("app:v3")
	c.sync()
	// v3 is created empty (13 pods wanted already); the unavailable v2 pods are
	// removed first, without waiting for v2 to finish; then v3 takes their room.
	want := []string{"8,5,0", "8,0,0", "8,0,5"}
	if diff := cmp.Diff(want, c.sizes); diff != "" {
		t.Errorf("sizes v1,v2,v3 (-want +got):\n%s", diff)
	}
	c.rolloutAll()
	if got := c.sizes[len(c.sizes)-1]; got != "0,0,10" {
		t.Errorf("final sizes %s, want 0,0,10", got)
	}
}

// TestRecreate scales the old ReplicaSet to zero and creates the new one only once no
// old pod runs.
func TestRecreate(t *testing.T) {
	d := newDeployment("web", 3, nil, nil, nil, nil)
	d.Spec.Strategy = apps.DeploymentStrategy{Type: apps.RecreateDeploymentStrategyType}
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	first := c.newest()
	if got := first.Annotations[MaxReplicasAnnotation]; got != "3" {
		t.Errorf("max-replicas = %s, want 3 (no surge with Recreate)", got)
	}
	c.lingering[first.Name] = 2
	c.setImage("app:v2")
	c.sync()
	if len(c.rss) != 1 || *c.rss[0].Spec.Replicas != 0 {
		t.Fatalf("old pods still running: want only the old replica set, at 0; got %v", c.sizes)
	}
	c.lingering[first.Name] = 0
	c.sync()
	if len(c.rss) != 2 || *c.newest().Spec.Replicas != 3 {
		t.Fatalf("want the new replica set at 3 at once; got %v", c.sizes)
	}
	if diff := cmp.Diff([]string{"3", "0", "0,3"}, c.sizes); diff != "" {
		t.Errorf("sizes (-want +got):\n%s", diff)
	}
	c.rolloutAll()
	if !deploymentComplete(c.d, &c.d.Status) {
		t.Errorf("not complete: %+v", c.d.Status)
	}
}

// TestPaused: a paused Deployment scales but does not roll out; resuming rolls out to
// the last template only.
func TestPaused(t *testing.T) {
	d := newDeployment("web", 3, nil, intOrStr(1), intOrStr(1), nil)
	d.Spec.ProgressDeadlineSeconds = ptrTo(int32(600))
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	c.d.Spec.Paused = true
	c.d.Generation++
	c.sync()
	if cond := c.condition(apps.DeploymentProgressing); cond.Status != v1.ConditionUnknown || cond.Reason != PausedDeployReason || cond.Message != "Deployment is paused" {
		t.Errorf("Progressing = %+v", cond)
	}
	c.setImage("app:v2")
	c.sync()
	c.setImage("app:v3")
	c.sync()
	if len(c.rss) != 1 {
		t.Fatalf("paused: %d replica sets, want 1", len(c.rss))
	}
	*c.d.Spec.Replicas = 5
	c.d.Generation++
	c.sync()
	if *c.rss[0].Spec.Replicas != 5 || c.d.Status.ObservedGeneration != c.d.Generation {
		t.Fatalf("paused scaling: replicas %d, observed %d of %d", *c.rss[0].Spec.Replicas, c.d.Status.ObservedGeneration, c.d.Generation)
	}
	c.d.Spec.Paused = false
	c.d.Generation++
	c.sync()
	if len(c.rss) != 2 || c.newest().Spec.Template.Spec.Containers[0].Image != "app:v3" {
		t.Fatalf("resumed: want one new replica set at app:v3, have %d", len(c.rss))
	}
	c.rolloutAll()
	if cond := c.condition(apps.DeploymentProgressing); cond.Reason != NewRSAvailableReason {
		t.Errorf("Progressing after resume = %+v", cond)
	}
}

// TestUndo applies kubectl's undo patch (template and annotations from revision 1):
// the old ReplicaSet becomes new with revision 3 and keeps 1 in its history.
func TestUndo(t *testing.T) {
	d := newDeployment("web", 3, nil, intOrStr(1), intOrStr(1), nil)
	d.Annotations["kubernetes.io/change-cause"] = "v1"
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	v1rs := c.newest()
	c.setImage("app:v2")
	c.d.Annotations["kubernetes.io/change-cause"] = "v2"
	c.sync()
	c.rolloutAll()
	if got := c.newest().Annotations["kubernetes.io/change-cause"]; got != "v2" {
		t.Errorf("change-cause of revision 2 = %q", got)
	}

	// kubectl rollout undo: the template without the hash label, and the annotations
	// of the ReplicaSet but the controller's own.
	tmpl := v1rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, apps.DefaultDeploymentUniqueLabelKey)
	c.d.Spec.Template = *tmpl
	setDeploymentAnnotationsTo(c.d, v1rs)
	c.d.Generation++
	c.sync()
	c.rolloutAll()
	if len(c.rss) != 2 {
		t.Fatalf("undo created a replica set: %d", len(c.rss))
	}
	got := c.rss[c.index(v1rs.Name)]
	if got.Annotations[RevisionAnnotation] != "3" || got.Annotations[RevisionHistoryAnnotation] != "1" ||
		got.Annotations["kubernetes.io/change-cause"] != "v1" || *got.Spec.Replicas != 3 {
		t.Errorf("rolled-back replica set: replicas %d, annotations %v", *got.Spec.Replicas, got.Annotations)
	}
	if c.d.Annotations[RevisionAnnotation] != "3" {
		t.Errorf("deployment revision = %q, want 3", c.d.Annotations[RevisionAnnotation])
	}
}

// TestRevisionHistoryLimit keeps only the last two old ReplicaSets after five rollouts.
func TestRevisionHistoryLimit(t *testing.T) {
	d := newDeployment("web", 2, ptrTo(int32(2)), intOrStr(1), intOrStr(0), nil)
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	for _, image := range []string{"v2", "v3", "v4", "v5"} {
		c.setImage(image)
		c.sync()
		c.rolloutAll()
	}
	var revs []string
	for _, rs := range c.rss {
		revs = append(revs, rs.Annotations[RevisionAnnotation])
	}
	if diff := cmp.Diff([]string{"3", "4", "5"}, revs); diff != "" {
		t.Errorf("revisions kept (-want +got):\n%s", diff)
	}
}

// TestProgressDeadline: without progress for progressDeadlineSeconds the rollout is
// reported as timed out, and the controller asked to look again in time.
func TestProgressDeadline(t *testing.T) {
	d := newDeployment("web", 2, nil, intOrStr(1), intOrStr(0), nil)
	d.Spec.ProgressDeadlineSeconds = ptrTo(int32(30))
	c := newCluster(t, d)
	c.sync()
	c.rolloutAll()
	c.setImage("app:v2")
	c.sync()
	p := planSync(input{deployment: c.d, rsList: c.rss, podMap: c.podMap(), now: c.now})
	if p.requeueAfter < 29*time.Second || p.requeueAfter > 32*time.Second {
		t.Errorf("requeueAfter = %v, want about 31s", p.requeueAfter)
	}
	c.now = c.now.Add(31 * time.Second)
	c.sync()
	cond := c.condition(apps.DeploymentProgressing)
	if cond.Status != v1.ConditionFalse || cond.Reason != TimedOutReason ||
		cond.Message != `ReplicaSet "`+c.newest().Name+`" has timed out progressing.` {
		t.Errorf("Progressing = %+v", cond)
	}
	// No rollback, no stop: progress still counts.
	c.rolloutAll()
	if cond := c.condition(apps.DeploymentProgressing); !strings.Contains(cond.Reason, NewRSAvailableReason) {
		t.Errorf("after progress, Progressing = %+v", cond)
	}
}
