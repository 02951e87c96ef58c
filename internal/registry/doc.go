// Package registry holds what the apiserver knows about each resource: its names, its
// behaviour on create, update and delete (the upstream "strategy": what the server fills in,
// what a write may change, which fields select it), and the generic verbs that apply that
// behaviour to objects in storage.
//
// Validation lives in the validation subpackage, defaulting in defaults, and the columns
// `kubectl get` prints in printers; this package ties them to the verbs. A resource's own
// rules are in the file named after it (pods.go, services.go, namespaces.go, ...).
package registry
