package openapi

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
)

// Resource describes one served resource (and its subresources) of a group-version.
type Resource struct {
	Group, Version string // "" for core
	Resource       string // plural, e.g. "deployments"
	Kind           string // "Deployment"
	ListKind       string // "DeploymentList"
	Namespaced     bool
	// Subresources are served under the item path, e.g.
	// {Name: "status", Group: "apps", Version: "v1", Kind: "Deployment"} or
	// {Name: "scale", Group: "autoscaling", Version: "v1", Kind: "Scale"}.
	Subresources []Subresource
	// Verbs as in discovery: get list watch create update patch delete deletecollection.
	Verbs []string
}

// Subresource is served at <item path>/<Name>. An empty Group and Version
// mean the resource's own; an empty Kind means the resource's kind.
type Subresource struct {
	Name, Group, Version, Kind string
	Verbs                      []string // get create update patch
}

// gvPath is the name of a group-version in the /openapi/v3 index, which is
// also its document's path below /openapi/v3/.
func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// buildDocuments builds the OpenAPI v3 document of every group-version that
// serves at least one of resources, keyed by gvPath.
func buildDocuments(resources []Resource) (map[string]*spec3.OpenAPI, error) {
	served := map[schema.GroupVersion]bool{}
	var subresourceGVKs []schema.GroupVersionKind
	for _, r := range resources {
		served[schema.GroupVersion{Group: r.Group, Version: r.Version}] = true
		for _, s := range r.Subresources {
			if s.Kind != "" && s.Version != "" {
				subresourceGVKs = append(subresourceGVKs, schema.GroupVersionKind{Group: s.Group, Version: s.Version, Kind: s.Kind})
			}
		}
	}
	schemas := newSchemaSet(served, subresourceGVKs)

	// Sorted so that errors, and the order paths are added in, do not depend on the caller's order.
	sorted := append([]Resource(nil), resources...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Resource < b.Resource
	})
	builders := map[string]*docBuilder{}
	for _, r := range sorted {
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		kindType, ok := goTypeName(gv.WithKind(r.Kind))
		if !ok {
			return nil, fmt.Errorf("openapi: %s: unknown kind %s", r.Resource, gv.WithKind(r.Kind))
		}
		listKind := r.ListKind
		if listKind == "" {
			listKind = r.Kind + "List"
		}
		listType, ok := goTypeName(gv.WithKind(listKind))
		if !ok {
			return nil, fmt.Errorf("openapi: %s: unknown list kind %s", r.Resource, gv.WithKind(listKind))
		}
		b := builders[gvPath(gv)]
		if b == nil {
			b = newDocBuilder(schemas, gv)
			builders[gvPath(gv)] = b
		}
		if err := b.addResource(r, kindType, listType); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", r.Resource, err)
		}
	}
	docs := make(map[string]*spec3.OpenAPI, len(builders))
	for path, b := range builders {
		docs[path] = b.doc
	}
	return docs, nil
}
