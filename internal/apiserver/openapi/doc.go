// Package openapi serves the OpenAPI v3 documents of ordinal's API, the ones
// kubectl reads for explain, for client-side apply's strategic merge patches
// and to decide that validation can be left to the server (fieldValidation).
//
// The schemas are generated, never copied: generated/zz_generated.openapi.go
// is kube-openapi's openapi-gen run over the Go types of k8s.io/api and
// k8s.io/apimachinery at the versions in go.mod. It carries each field's
// documentation from the Go comments, the vendor extensions kubectl merges
// with (x-kubernetes-patch-strategy, -patch-merge-key, -list-type,
// -list-map-keys, ...) and the special forms of Quantity, IntOrString, Time
// and friends. To regenerate after a k8s.io/api upgrade, or to describe a
// group that is not generated yet (NewHandler then fails naming the missing
// type), edit the package list in generate.go and run
//
//	go generate ./internal/apiserver/openapi/
//
// What this package writes itself is what upstream's apiserver derives from
// its routes: one document per served group-version with the paths and
// operations of every Resource (x-kubernetes-action and
// x-kubernetes-group-version-kind on each operation, query parameters
// documented from the options types), the schemas those operations reach,
// named as upstream names them (io.k8s.api.apps.v1.Deployment), each tagged
// with the GVKs it is served as, and the handler: GET /openapi/v3 lists the
// documents by content hash, and a document fetched by its current hash is
// cacheable forever, as with kube-openapi's handler3.
package openapi
