package deployment

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The cases of upstream's TestScale (proportional scaling) that do not depend on later
// features.
func TestScale(t *testing.T) {
	updatedTemplate := func(replicas int32) *apps.Deployment {
		d := newDeployment("foo", replicas, nil, nil, nil, map[string]string{"foo": "bar"})
		d.Spec.Template.Labels["another"] = "label"
		return d
	}
	broken := withAvailable(rs("foo-v2", 2, nil, newTimestamp), 0)
	tests := []struct {
		name          string
		deployment    *apps.Deployment
		oldDeployment *apps.Deployment
		newRS         *apps.ReplicaSet
		oldRSs        []*apps.ReplicaSet
		want          map[string]int32 // sizes of the ReplicaSets written
	}{{
		name: "normal scaling event: 10 -> 12", deployment: newDeployment("foo", 12, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 10, nil, nil, nil, nil),
		newRS:         rs("foo-v1", 10, nil, newTimestamp),
		want:          map[string]int32{"foo-v1": 12},
	}, {
		name: "normal scaling event: 10 -> 5", deployment: newDeployment("foo", 5, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 10, nil, nil, nil, nil),
		newRS:         rs("foo-v1", 10, nil, newTimestamp),
		want:          map[string]int32{"foo-v1": 5},
	}, {
		name: "proportional scaling: 5 -> 10", deployment: newDeployment("foo", 10, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 5, nil, nil, nil, nil),
		newRS:         rs("foo-v2", 2, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 3, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 4, "foo-v1": 6},
	}, {
		name: "proportional scaling: 5 -> 3", deployment: newDeployment("foo", 3, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 5, nil, nil, nil, nil),
		newRS:         rs("foo-v2", 2, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 3, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 1, "foo-v1": 2},
	}, {
		name: "proportional scaling: 9 -> 4", deployment: newDeployment("foo", 4, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 9, nil, nil, nil, nil),
		newRS:         rs("foo-v2", 8, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 1, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 4, "foo-v1": 0},
	}, {
		name: "proportional scaling: 7 -> 10", deployment: newDeployment("foo", 10, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 7, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 2, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 3, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 3, "foo-v2": 4, "foo-v1": 3},
	}, {
		name: "proportional scaling: 13 -> 8", deployment: newDeployment("foo", 8, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 13, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 2, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 8, nil, oldTimestamp), rs("foo-v1", 3, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 1, "foo-v2": 5, "foo-v1": 2},
	}, {
		name: "leftover distribution: 3 -> 4 scales up the new replica set", deployment: newDeployment("foo", 4, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 3, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 1, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 2, "foo-v2": 1, "foo-v1": 1},
	}, {
		name: "leftover distribution: 3 -> 2 scales down the oldest", deployment: newDeployment("foo", 2, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 3, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 1, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 1, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 1, "foo-v2": 1, "foo-v1": 0},
	}, {
		name: "proportional scaling (no new rs): 4 -> 5", deployment: newDeployment("foo", 5, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 4, nil, nil, nil, nil),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 2, nil, oldTimestamp), rs("foo-v1", 2, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v2": 3, "foo-v1": 2},
	}, {
		name: "proportional scaling: 6 -> 0", deployment: newDeployment("foo", 0, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 6, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 3, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 2, nil, oldTimestamp), rs("foo-v1", 1, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 0, "foo-v2": 0, "foo-v1": 0},
	}, {
		name: "proportional scaling: 0 -> 6 only grows the newest", deployment: newDeployment("foo", 6, nil, nil, nil, nil),
		oldDeployment: newDeployment("foo", 6, nil, nil, nil, nil),
		newRS:         rs("foo-v3", 0, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 0, nil, oldTimestamp), rs("foo-v1", 0, nil, olderTimestamp)},
		want:          map[string]int32{"foo-v3": 6},
	}, {
		name: "deployment with surge pods", deployment: newDeployment("foo", 20, nil, intOrStr(2), nil, nil),
		oldDeployment: newDeployment("foo", 10, nil, intOrStr(2), nil, nil),
		newRS:         rs("foo-v2", 6, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 6, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 11, "foo-v1": 11},
	}, {
		name: "change both surge and size", deployment: newDeployment("foo", 50, nil, intOrStr(6), nil, nil),
		oldDeployment: newDeployment("foo", 10, nil, intOrStr(3), nil, nil),
		newRS:         rs("foo-v2", 5, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 8, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 22, "foo-v1": 34},
	}, {
		name: "change both size and template", deployment: updatedTemplate(14),
		oldDeployment: newDeployment("foo", 10, nil, nil, nil, map[string]string{"foo": "bar"}),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v2", 7, nil, newTimestamp), rs("foo-v1", 3, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 10, "foo-v1": 4},
	}, {
		name: "saturated but broken new replica set does not affect old pods", deployment: newDeployment("foo", 2, nil, intOrStr(1), intOrStr(1), nil),
		oldDeployment: newDeployment("foo", 2, nil, intOrStr(1), intOrStr(1), nil),
		newRS:         broken,
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 1, nil, oldTimestamp)},
		want:          map[string]int32{},
	}, {
		name: "k8s-semantics 2.10: 10 -> 15 with a surge of 3", deployment: newDeployment("foo", 15, nil, intOrStr(3), nil, nil),
		oldDeployment: newDeployment("foo", 10, nil, intOrStr(3), nil, nil),
		newRS:         rs("foo-v2", 5, nil, newTimestamp),
		oldRSs:        []*apps.ReplicaSet{rs("foo-v1", 8, nil, oldTimestamp)},
		want:          map[string]int32{"foo-v2": 7, "foo-v1": 11},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := *tt.oldDeployment.Spec.Replicas
			for _, r := range append([]*apps.ReplicaSet{tt.newRS}, tt.oldRSs...) {
				if r != nil {
					setReplicasAnnotations(r, desired, desired+MaxSurge(tt.oldDeployment))
				}
			}
			p := testPlanner(tt.deployment)
			if err := p.scale(tt.newRS, tt.oldRSs); err != nil {
				t.Fatal(err)
			}
			got := p.scaled()
			// Upstream rewrites annotations on every active ReplicaSet even when its
			// size stays: keep only the size changes.
			for _, r := range append([]*apps.ReplicaSet{tt.newRS}, tt.oldRSs...) {
				if r != nil && got[r.Name] == *r.Spec.Replicas {
					delete(got, r.Name)
				}
			}
			for name, n := range tt.want {
				for _, r := range append([]*apps.ReplicaSet{tt.newRS}, tt.oldRSs...) {
					if r != nil && r.Name == name && *r.Spec.Replicas == n {
						delete(tt.want, name)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("size changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCleanupDeployment follows upstream's TestDeploymentController_cleanupDeployment.
func TestCleanupDeployment(t *testing.T) {
	deleting := withRevision(rs("foo-5", 0, nil, olderTimestamp), 5)
	deleting.DeletionTimestamp = &newTimestamp
	tests := []struct {
		name   string
		oldRSs []*apps.ReplicaSet
		limit  int32
		want   []string
	}{{
		name:   "oldest revisions beyond the limit go",
		oldRSs: []*apps.ReplicaSet{withRevision(rs("foo-1", 0, nil, olderTimestamp), 1), withRevision(rs("foo-2", 0, nil, oldTimestamp), 2), withRevision(rs("foo-3", 0, nil, newTimestamp), 3)},
		limit:  1, want: []string{"foo-1", "foo-2"},
	}, {
		name:   "replica sets with pods stay",
		oldRSs: []*apps.ReplicaSet{withRevision(rs("foo-1", 1, nil, olderTimestamp), 1), withRevision(rs("foo-2", 0, nil, oldTimestamp), 2)},
		limit:  0, want: []string{"foo-2"},
	}, {
		name: "replica sets whose status lags stay",
		oldRSs: []*apps.ReplicaSet{func() *apps.ReplicaSet {
			r := withRevision(rs("foo-1", 0, nil, olderTimestamp), 1)
			r.Generation = 2
			return r
		}()},
		limit: 0,
	}, {
		name:   "replica sets being deleted do not count",
		oldRSs: []*apps.ReplicaSet{deleting, withRevision(rs("foo-1", 0, nil, olderTimestamp), 1)},
		limit:  1,
	}, {
		name:   "within the limit nothing goes",
		oldRSs: []*apps.ReplicaSet{withRevision(rs("foo-1", 0, nil, olderTimestamp), 1)},
		limit:  10,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlanner(newDeployment("foo", 1, &tt.limit, nil, nil, nil))
			p.cleanupDeployment(tt.oldRSs)
			var got []string
			for _, a := range p.out.actions {
				if a.kind == deleteReplicaSet {
					got = append(got, a.rs.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncDeploymentCreatesReplicaSet follows upstream's test of the same name and
// checks the new ReplicaSet as k8s-semantics 2.2 and 2.3 describe it.
func TestSyncDeploymentCreatesReplicaSet(t *testing.T) {
	d := newDeployment("web", 10, nil, ptrTo(intstrPercent("25%")), ptrTo(intstrPercent("25%")), nil)
	d.Spec.ProgressDeadlineSeconds = ptrTo(int32(600))
	d.Spec.MinReadySeconds = 5
	d.Annotations = map[string]string{
		"kubernetes.io/change-cause":   "first",
		v1.LastAppliedConfigAnnotation: "{}",
		RevisionAnnotation:             "7",
	}
	p := planSync(input{deployment: d, now: t0})
	if p.err != nil {
		t.Fatal(p.err)
	}
	if len(p.actions) < 3 || p.actions[0].kind != createReplicaSet {
		t.Fatalf("actions: %+v", p.actions)
	}
	hash := ComputeHash(&d.Spec.Template, nil)
	yes := true
	want := &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: "default",
			Labels: map[string]string{"app": "web", "pod-template-hash": hash},
			Annotations: map[string]string{
				"kubernetes.io/change-cause": "first", RevisionAnnotation: "1",
				DesiredReplicasAnnotation: "10", MaxReplicasAnnotation: "13",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "web-uid", Controller: &yes, BlockOwnerDeletion: &yes}},
		},
		Spec: apps.ReplicaSetSpec{
			Replicas:        ptrTo(int32(10)),
			MinReadySeconds: 5,
			Selector:        &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": hash}},
			Template:        *d.Spec.Template.DeepCopy(),
		},
	}
	want.Spec.Template.Labels["pod-template-hash"] = hash
	if diff := cmp.Diff(want, p.actions[0].rs); diff != "" {
		t.Errorf("replica set (-want +got):\n%s", diff)
	}
	if got := p.actions[0].event; got == nil || got.message != "Scaled up replica set web-"+hash+" from 0 to 10" {
		t.Errorf("event = %+v", got)
	}
	st := p.actions[1]
	if st.kind != updateDeploymentStatus || st.deployment.Annotations[RevisionAnnotation] != "1" {
		t.Fatalf("second action %+v, want the status with revision 1", st)
	}
	c := getCondition(st.deployment.Status, apps.DeploymentProgressing)
	if c == nil || c.Reason != NewReplicaSetReason || c.Message != `Created new replica set "web-`+hash+`"` {
		t.Errorf("Progressing = %+v", c)
	}
	if d.Annotations[RevisionAnnotation] != "7" {
		t.Error("planSync modified its input")
	}
}

func TestSelectingAll(t *testing.T) {
	d := newDeployment("web", 1, nil, nil, nil, nil)
	d.Spec.Selector = &metav1.LabelSelector{}
	d.Generation = 4
	p := planSync(input{deployment: d, now: t0})
	if len(p.actions) != 2 || p.actions[0].event.reason != "SelectingAll" ||
		p.actions[0].event.message != "This deployment is selecting all pods. A non-empty selector is required." ||
		p.actions[1].deployment.Status.ObservedGeneration != 4 {
		t.Errorf("actions = %+v", p.actions)
	}
}

func TestStatusOnlyWhileDeleting(t *testing.T) {
	d := newDeployment("web", 3, nil, nil, nil, nil)
	d.DeletionTimestamp = &newTimestamp
	r := withRevision(rs("web-abc", 3, nil, oldTimestamp), 1)
	r.Spec.Template = d.Spec.Template
	p := planSync(input{deployment: d, rsList: []*apps.ReplicaSet{r}, now: t0})
	for _, a := range p.actions {
		if a.kind != updateDeploymentStatus {
			t.Errorf("a deleting deployment only writes status; got %+v", a)
		}
	}
}
