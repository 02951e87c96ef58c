// Package printers builds the server-side tables (meta.k8s.io/v1 Table) that
// `kubectl get` prints for the built-in kinds.
//
// Columns, column types, priorities and cell values follow upstream
// Kubernetes 1.32 (kubernetes/kubernetes pkg/printers/internalversion), written
// here for the external v1 types because ordinal never holds internal types.
// Like upstream's apiserver, every table carries all columns, wide ones
// (priority 1) included: kubectl hides priority>0 columns unless -o wide.
//
// Kinds without a printer get upstream's default table: Name and Created At.
package printers
