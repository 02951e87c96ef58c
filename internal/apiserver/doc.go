// Package apiserver is the HTTP surface of the Kubernetes API: authentication, routing of
// /api and /apis paths to the registry's verbs, discovery, OpenAPI, content negotiation
// (JSON and server-side tables), watch streams, patches and the Status errors kubectl reads.
package apiserver
