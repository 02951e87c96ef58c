// Package controlplane assembles a running cluster control plane: storage (an embedded etcd
// member or an external cluster), the apiserver, the objects every cluster starts with, and
// the controllers. `ordinal up` and `ordinal server` are thin commands around it, and tests
// start it in-process.
package controlplane
