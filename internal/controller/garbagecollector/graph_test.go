package garbagecollector

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var (
	podsGVR        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	replicasetsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
)

type object struct {
	uid        types.UID
	deleting   bool
	finalizers []string
	owners     []metav1.OwnerReference
	rv         string
}

func (o object) meta() *metav1.ObjectMeta {
	m := &metav1.ObjectMeta{Name: string(o.uid), Namespace: "demo", UID: o.uid, Finalizers: o.finalizers, OwnerReferences: o.owners, ResourceVersion: o.rv}
	if o.deleting {
		now := metav1.Now()
		m.DeletionTimestamp = &now
	}
	return m
}

func ref(uid types.UID, block bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: string(uid), UID: uid, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(block)}
}

// TestGraphScenario drives the graph through one owner's life and checks, after every event,
// what is queued and that the edges agree with the owner references.
func TestGraphScenario(t *testing.T) {
	g := newGraph()
	type step struct {
		name    string
		observe *object
		forget  types.UID // when observe is nil
		want    []types.UID
	}
	steps := []step{
		{name: "dependent seen before its owner is looked at", observe: &object{uid: "pod-a", owners: []metav1.OwnerReference{ref("rs", true)}}, want: []types.UID{"pod-a"}},
		{name: "second dependent", observe: &object{uid: "pod-b", owners: []metav1.OwnerReference{ref("rs", true)}}, want: []types.UID{"pod-b"}},
		{name: "owner observed: nothing to do", observe: &object{uid: "rs"}},
		{name: "owner status update: nothing to do", observe: &object{uid: "rs", rv: "2"}},
		{name: "dependent status update: nothing to do", observe: &object{uid: "pod-a", rv: "2", owners: []metav1.OwnerReference{ref("rs", true)}}},
		{name: "owner starts deleting its dependents", observe: &object{uid: "rs", deleting: true, finalizers: []string{foregroundFinalizer}}, want: []types.UID{"rs"}},
		{name: "same state again: nothing new", observe: &object{uid: "rs", rv: "3", deleting: true, finalizers: []string{foregroundFinalizer}}},
		{name: "dependent starts terminating: the owner still waits", observe: &object{uid: "pod-a", rv: "3", deleting: true, owners: []metav1.OwnerReference{ref("rs", true)}}},
		{name: "dependent unblocks: owner and dependent looked at", observe: &object{uid: "pod-b", rv: "2", owners: []metav1.OwnerReference{ref("rs", false), ref("other", false)}}, want: []types.UID{"rs", "pod-b"}},
		{name: "dependent gone: owner looked at", forget: "pod-a", want: []types.UID{"rs"}},
		{name: "owner gone: its remaining dependent looked at", forget: "rs", want: []types.UID{"pod-b"}},
		{name: "dependent released from both owners: virtual nodes dropped", observe: &object{uid: "pod-b", rv: "3"}, want: nil},
		{name: "orphaning starts", observe: &object{uid: "pod-b", rv: "4", deleting: true, finalizers: []string{orphanFinalizer}}, want: []types.UID{"pod-b"}},
		{name: "forgetting an unknown object", forget: "nope"},
		{name: "last object gone", forget: "pod-b"},
	}
	for _, s := range steps {
		var got []types.UID
		if s.observe != nil {
			got = g.observe(podsGVR, s.observe.meta())
		} else {
			got = g.forget(s.forget)
		}
		slices.Sort(got)
		want := slices.Clone(s.want)
		slices.Sort(want)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s: queued (-want +got):\n%s", s.name, diff)
		}
		checkEdges(t, s.name, g)
	}
	if len(g.nodes) != 0 {
		t.Fatalf("graph not empty at the end: %v", g.nodes)
	}
}

// checkEdges asserts that every owner reference of an observed node has the matching edge,
// every edge comes from such a reference, and no virtual node is kept without edges.
func checkEdges(t *testing.T, step string, g *graph) {
	t.Helper()
	for uid, n := range g.nodes {
		if !n.observed && len(n.dependents) == 0 {
			t.Fatalf("%s: virtual node %s has no dependents", step, uid)
		}
		for _, r := range n.owners {
			if o := g.nodes[r.UID]; o == nil {
				t.Fatalf("%s: owner %s of %s missing from the graph", step, r.UID, uid)
			} else if _, ok := o.dependents[uid]; !ok {
				t.Fatalf("%s: %s not among the dependents of %s", step, uid, r.UID)
			}
		}
		for d := range n.dependents {
			dn := g.nodes[d]
			if dn == nil || !dn.observed || !hasOwner(dn.owners, uid) {
				t.Fatalf("%s: edge %s -> %s without an owner reference", step, uid, d)
			}
		}
	}
}

func TestGraphOwnerView(t *testing.T) {
	g := newGraph()
	g.observe(replicasetsGVR, object{uid: "rs", deleting: true, finalizers: []string{foregroundFinalizer}}.meta())
	g.observe(podsGVR, object{uid: "a", owners: []metav1.OwnerReference{ref("rs", true)}}.meta())
	g.observe(podsGVR, object{uid: "b", deleting: true, owners: []metav1.OwnerReference{ref("rs", false)}}.meta())
	g.observe(podsGVR, object{uid: "c", deleting: true, finalizers: []string{foregroundFinalizer}, owners: []metav1.OwnerReference{ref("a", true)}}.meta())

	got, ok := g.owner("rs")
	if !ok {
		t.Fatal("owner rs not found")
	}
	want := Owner{Deleting: true, Finalizers: []string{foregroundFinalizer}, Dependents: []DependentOfOwner{
		{UID: "a", BlockOwnerDeletion: true}, {UID: "b", Deleting: true},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("owner view (-want +got):\n%s", diff)
	}
	if has, cycle := g.dependentsState("a"); !has || !cycle {
		t.Fatalf("dependentsState(a) = %v, %v; want true, true", has, cycle)
	}
	if has, cycle := g.dependentsState("rs"); !has || cycle {
		t.Fatalf("dependentsState(rs) = %v, %v; want true, false", has, cycle)
	}
	if _, ok := g.owner("nope"); ok {
		t.Fatal("owner view of an unknown UID")
	}
}

func TestGraphOwnerSeenAfterDependent(t *testing.T) {
	// An owner that turns up after its dependent keeps the edge the dependent made.
	g := newGraph()
	g.observe(podsGVR, object{uid: "a", owners: []metav1.OwnerReference{ref("rs", true)}}.meta())
	if _, ok := g.get("rs"); ok {
		t.Fatal("virtual owner reported as observed")
	}
	g.observe(replicasetsGVR, object{uid: "rs"}.meta())
	o, _ := g.owner("rs")
	if len(o.Dependents) != 1 || o.Dependents[0].UID != "a" {
		t.Fatalf("dependents of rs = %+v", o.Dependents)
	}
}
