// Package storage keeps API objects in etcd.
//
// Keys are /registry/<resource>/<namespace>/<name> (cluster-scoped objects have no namespace
// segment; non-core groups prefix the resource with the group). Values are the objects in
// protobuf, stored without a resourceVersion: an object's resourceVersion is the etcd
// modification revision of its key, filled in when it is read, as upstream does. Lists read at
// one revision, watches start from a revision, and a revision older than the last compaction
// is reported as ErrExpired so that callers answer 410 Gone.
//
// The package knows nothing of HTTP, validation or kinds: the registry decides what to write,
// the store makes the writes atomic (compare-and-swap on the modification revision).
package storage
