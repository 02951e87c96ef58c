package garbagecollector

import (
	"slices"
	"sort"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// objectID names one object the collector watches.
type objectID struct {
	resource  schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
}

// node is one object of the ownerReference graph. Only observed nodes carry state; a virtual
// node (observed false) exists because dependents name its UID, and holds the edges back to
// them so that they can be found when the owner turns up or is found absent.
type node struct {
	id              objectID
	observed        bool
	resourceVersion string
	deleting        bool
	finalizers      []string
	owners          []metav1.OwnerReference
	dependents      map[types.UID]struct{}
}

func (n *node) deletingDependents() bool {
	return n.observed && n.deleting && slices.Contains(n.finalizers, metav1.FinalizerDeleteDependents)
}

func (n *node) orphaning() bool {
	return n.observed && n.deleting && slices.Contains(n.finalizers, metav1.FinalizerOrphanDependents)
}

// graph is the collector's picture of ownerReferences, keyed by UID. The informers write it
// and the workers read it; each change returns the UIDs that need another look, so the
// callers never have to compare states themselves.
type graph struct {
	mu    sync.RWMutex
	nodes map[types.UID]*node
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]*node{}}
}

// observe records the state of an object an informer reported (added or updated) and
// returns the UIDs to look at: the object itself when its owner references are new or
// changed, or when it has just started orphaning or deleting its dependents; and any owner
// deleting its dependents whose reference from this object changed (it may be unblocked).
func (g *graph) observe(resource schema.GroupVersionResource, obj metav1.Object) []types.UID {
	g.mu.Lock()
	defer g.mu.Unlock()
	uid := obj.GetUID()
	n := g.nodes[uid]
	if n == nil {
		n = &node{}
		g.nodes[uid] = n
	}
	old := *n
	if !old.observed {
		old.owners, old.finalizers = nil, nil
	}
	n.id = objectID{resource: resource, namespace: obj.GetNamespace(), name: obj.GetName(), uid: uid}
	n.observed = true
	n.resourceVersion = obj.GetResourceVersion()
	n.deleting = obj.GetDeletionTimestamp() != nil
	n.finalizers = obj.GetFinalizers()
	n.owners = obj.GetOwnerReferences()

	var enqueue []types.UID
	changed := changedOwners(old.owners, n.owners)
	for _, owner := range changed {
		if hasOwner(n.owners, owner) {
			g.link(owner, uid)
		} else {
			g.unlink(owner, uid)
		}
		if o := g.nodes[owner]; o != nil && o.deletingDependents() {
			enqueue = append(enqueue, owner)
		}
	}
	if len(n.owners) > 0 && (!old.observed || len(changed) > 0) {
		enqueue = append(enqueue, uid)
	}
	if (n.orphaning() || n.deletingDependents()) && (!old.observed || !old.deleting || !slices.Equal(old.finalizers, n.finalizers)) {
		enqueue = append(enqueue, uid)
	}
	return enqueue
}

// forget removes an object that was deleted and returns the UIDs to look at: its dependents
// (their owner is gone) and its owners that are deleting their dependents (one fewer to wait
// for).
func (g *graph) forget(uid types.UID) []types.UID {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.nodes[uid]
	if n == nil || !n.observed {
		return nil
	}
	var enqueue []types.UID
	for _, owner := range ownerUIDs(n.owners) {
		g.unlink(owner, uid)
		if o := g.nodes[owner]; o != nil && o.deletingDependents() {
			enqueue = append(enqueue, owner)
		}
	}
	enqueue = append(enqueue, sortedUIDs(n.dependents)...)
	if len(n.dependents) == 0 {
		delete(g.nodes, uid)
	} else {
		*n = node{dependents: n.dependents}
	}
	return enqueue
}

func (g *graph) link(owner, dependent types.UID) {
	o := g.nodes[owner]
	if o == nil {
		o = &node{}
		g.nodes[owner] = o
	}
	if o.dependents == nil {
		o.dependents = map[types.UID]struct{}{}
	}
	o.dependents[dependent] = struct{}{}
}

func (g *graph) unlink(owner, dependent types.UID) {
	o := g.nodes[owner]
	if o == nil {
		return
	}
	delete(o.dependents, dependent)
	if !o.observed && len(o.dependents) == 0 {
		delete(g.nodes, owner)
	}
}

// get returns a copy of the observed node uid, without its edges.
func (g *graph) get(uid types.UID) (node, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := g.nodes[uid]
	if n == nil || !n.observed {
		return node{}, false
	}
	c := *n
	c.dependents = nil
	return c, true
}

// dependentsState says whether uid has dependents, and whether one of them is deleting its
// own dependents in the foreground.
func (g *graph) dependentsState(uid types.UID) (has, deletingDependents bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := g.nodes[uid]
	if n == nil {
		return false, false
	}
	for d := range n.dependents {
		if dn := g.nodes[d]; dn != nil && dn.deletingDependents() {
			deletingDependents = true
		}
	}
	return len(n.dependents) > 0, deletingDependents
}

// owner returns the planner's view of the observed node uid and its dependents.
func (g *graph) owner(uid types.UID) (Owner, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := g.nodes[uid]
	if n == nil || !n.observed {
		return Owner{}, false
	}
	o := Owner{Deleting: n.deleting, Finalizers: n.finalizers}
	for _, d := range sortedUIDs(n.dependents) {
		dn := g.nodes[d]
		if dn == nil || !dn.observed {
			continue
		}
		dep := DependentOfOwner{UID: d, Deleting: dn.deleting}
		for _, ref := range dn.owners {
			if ref.UID == uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				dep.BlockOwnerDeletion = true
			}
		}
		o.Dependents = append(o.Dependents, dep)
	}
	return o, true
}

// changedOwners returns the owner UIDs whose reference was added, removed or altered.
func changedOwners(before, after []metav1.OwnerReference) []types.UID {
	var out []types.UID
	for _, uid := range ownerUIDs(slices.Concat(before, after)) {
		b, a := refsTo(before, uid), refsTo(after, uid)
		if !slices.EqualFunc(b, a, equalRef) {
			out = append(out, uid)
		}
	}
	return out
}

func equalRef(a, b metav1.OwnerReference) bool {
	return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Name == b.Name && a.UID == b.UID &&
		boolValue(a.Controller) == boolValue(b.Controller) && boolValue(a.BlockOwnerDeletion) == boolValue(b.BlockOwnerDeletion)
}

func boolValue(b *bool) bool { return b != nil && *b }

func refsTo(refs []metav1.OwnerReference, uid types.UID) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, r := range refs {
		if r.UID == uid {
			out = append(out, r)
		}
	}
	return out
}

func hasOwner(refs []metav1.OwnerReference, uid types.UID) bool {
	return slices.ContainsFunc(refs, func(r metav1.OwnerReference) bool { return r.UID == uid })
}

// ownerUIDs returns the distinct UIDs refs name, in order of first appearance.
func ownerUIDs(refs []metav1.OwnerReference) []types.UID {
	var out []types.UID
	for _, r := range refs {
		if !slices.Contains(out, r.UID) {
			out = append(out, r.UID)
		}
	}
	return out
}

func sortedUIDs(set map[types.UID]struct{}) []types.UID {
	out := make([]types.UID, 0, len(set))
	for uid := range set {
		out = append(out, uid)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
