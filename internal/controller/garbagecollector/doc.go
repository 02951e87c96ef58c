// Package garbagecollector deletes objects whose owners are gone and carries out the
// foreground and orphan deletion policies, as upstream's garbage collector does.
//
// Words, as upstream uses them:
//
//   - owner, dependent: an object names its owners in metadata.ownerReferences; it is their
//     dependent. Identity is the UID.
//   - absent ("dangling"): no object with the reference's UID exists where the reference
//     points (same name with another UID counts as absent). Absence is always confirmed with a
//     live GET, never taken from the informers alone, because they may lag behind.
//   - deleting dependents: an owner with a deletionTimestamp and the foregroundDeletion
//     finalizer. It waits until no dependent with blockOwnerDeletion=true is left.
//   - orphaning: an owner with a deletionTimestamp and the orphan finalizer. Its reference is
//     removed from every dependent before it may go.
//   - virtual node: a UID the graph knows only because a dependent names it as owner.
//
// The work is split as everywhere in ordinal: plan.go decides (no I/O, table tests), graph.go
// keeps the ownerReference graph from metadata-only informers, controller.go runs the queue,
// operations.go does the writes.
package garbagecollector
