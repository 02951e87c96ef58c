package daemonset

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestComputeHash(t *testing.T) {
	ds := newDS()
	h := ComputeHash(&ds.Spec.Template, nil)
	if h != ComputeHash(&ds.Spec.Template, nil) {
		t.Fatal("hash is not deterministic")
	}
	for _, c := range h {
		if !strings.ContainsRune("bcdfghjklmnpqrstvwxz2456789", c) {
			t.Fatalf("hash %q is not safe-encoded", h)
		}
	}
	zero, one := int32(0), int32(1)
	if ComputeHash(&ds.Spec.Template, &zero) == h || ComputeHash(&ds.Spec.Template, &one) == ComputeHash(&ds.Spec.Template, &zero) {
		t.Fatal("collision count does not change the hash")
	}
	other := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "busybox:2" })
	if ComputeHash(&other.Spec.Template, nil) == h {
		t.Fatal("a template change keeps the hash")
	}
	// Labels are part of the template, and map order must not matter.
	a := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Labels = map[string]string{"x": "1", "y": "2", "z": "3"} })
	b := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Labels = map[string]string{"z": "3", "y": "2", "x": "1"} })
	if ComputeHash(&a.Spec.Template, nil) != ComputeHash(&b.Spec.Template, nil) {
		t.Fatal("map order changes the hash")
	}
}

func TestRevisionData(t *testing.T) {
	ds := newDS()
	data, err := revisionData(ds)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"agent"}},"spec":{"containers":[{"image":"busybox","name":"c","resources":{}}]}}}}`
	if string(data) != want {
		t.Fatalf("data\n got %s\nwant %s", data, want)
	}
	rev, err := newRevision(ds, "h1", 3)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Name != "agent-h1" || rev.Revision != 3 || rev.Labels["controller-revision-hash"] != "h1" || rev.Labels["app"] != "agent" || !revisionMatches(ds, rev) {
		t.Fatalf("revision %+v", rev)
	}
	if ref := metav1.GetControllerOf(rev); ref == nil || ref.UID != ds.UID {
		t.Fatal("no controller ref")
	}
}

func TestPlanHistory(t *testing.T) {
	v1 := newDS()
	v2 := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "busybox:2" })
	rev := func(ds *appsv1.DaemonSet, name string, n int64) *appsv1.ControllerRevision {
		r, _ := newRevision(ds, name, n)
		return r
	}
	tests := []struct {
		name    string
		ds      *appsv1.DaemonSet
		revs    []*appsv1.ControllerRevision
		current string
		next    int64
		dups    int
		old     int
	}{
		{"creates the initial revision", v1, nil, "", 1, 0, 0},
		{"keeps the current revision", v1, []*appsv1.ControllerRevision{rev(v1, "a", 1)}, "agent-a", 1, 0, 0},
		{"new template: a new revision", v2, []*appsv1.ControllerRevision{rev(v1, "a", 1)}, "", 2, 0, 1},
		{"rollback reuses the old revision, renumbered", v1, []*appsv1.ControllerRevision{rev(v1, "a", 1), rev(v2, "b", 2)}, "agent-a", 3, 0, 1},
		{"duplicates keep the highest", v1, []*appsv1.ControllerRevision{rev(v1, "a", 1), rev(v1, "c", 4), rev(v2, "b", 2)}, "agent-c", 3, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := planHistory(tt.ds, tt.revs)
			name := ""
			if hp.Current != nil {
				name = hp.Current.Name
			}
			if name != tt.current || hp.Next != tt.next || len(hp.Duplicates) != tt.dups || len(hp.Old) != tt.old {
				t.Fatalf("current %q next %d dups %d old %d", name, hp.Next, len(hp.Duplicates), len(hp.Old))
			}
		})
	}
}

func TestRevisionsToDelete(t *testing.T) {
	var old []*appsv1.ControllerRevision
	for i, h := range []string{"h1", "h2", "h3", "h4", "h5"} {
		r, _ := newRevision(newDS(), h, int64(i+1))
		old = append(old, r)
	}
	two := int32(2)
	ds := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.RevisionHistoryLimit = &two })
	live := []*corev1.Pod{daemonPod("p", "a", "h1", true, t0)}
	var got []string
	for _, r := range revisionsToDelete(ds, old, live) {
		got = append(got, r.Name)
	}
	if want := []string{"agent-h2", "agent-h3", "agent-h4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("deleted %v, want %v (h1 is still running)", got, want)
	}
}
