package garbagecollector

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// ignoredResources are never watched, as upstream's default: events are many, short-lived
// and never owners.
var ignoredResources = []schema.GroupResource{
	{Group: "", Resource: "events"},
	{Group: "events.k8s.io", Resource: "events"},
}

// apiResource is where objects of one kind live.
type apiResource struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

// resourceMap resolves an owner reference's apiVersion and kind to a resource. The kind is
// looked up in the reference's version first and then in any version the server serves: the
// owner is fetched by name and compared by UID, which no version changes.
type resourceMap struct {
	byGVK map[schema.GroupVersionKind]apiResource
	byGK  map[schema.GroupKind]apiResource
}

func (m resourceMap) lookup(apiVersion, kind string) (apiResource, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return apiResource{}, fmt.Errorf("owner reference apiVersion %q: %w", apiVersion, err)
	}
	if r, ok := m.byGVK[gv.WithKind(kind)]; ok {
		return r, nil
	}
	if r, ok := m.byGK[schema.GroupKind{Group: gv.Group, Kind: kind}]; ok {
		return r, nil
	}
	return apiResource{}, fmt.Errorf("owner reference to %s %s: the server serves no such kind", apiVersion, kind)
}

// discoverResources returns the resources to watch (the preferred version of every resource
// that supports list, watch and delete) and the kind-to-resource map for owner references.
// A group whose discovery failed is left out and logged, as upstream: the rest still works.
func discoverResources(client discovery.DiscoveryInterface) ([]apiResource, resourceMap, error) {
	preferred, err := client.ServerPreferredResources()
	if err != nil {
		if len(preferred) == 0 {
			return nil, resourceMap{}, fmt.Errorf("discovering resources: %w", err)
		}
		slog.Warn("garbage collector: partial discovery", "err", err)
	}
	m := resourceMap{byGVK: map[schema.GroupVersionKind]apiResource{}, byGK: map[schema.GroupKind]apiResource{}}
	var watched []apiResource
	for _, list := range preferred {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			res := apiResource{gvr: gv.WithResource(r.Name), namespaced: r.Namespaced}
			m.byGK[schema.GroupKind{Group: gv.Group, Kind: r.Kind}] = res
			if hasVerbs(r.Verbs, "list", "watch", "delete") && !slices.Contains(ignoredResources, res.gvr.GroupResource()) {
				watched = append(watched, res)
			}
		}
	}
	// Every served version resolves references written in it.
	_, all, err := client.ServerGroupsAndResources()
	if err != nil && len(all) == 0 {
		return nil, resourceMap{}, fmt.Errorf("discovering resources: %w", err)
	}
	for _, list := range all {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") {
				m.byGVK[gv.WithKind(r.Kind)] = apiResource{gvr: gv.WithResource(r.Name), namespaced: r.Namespaced}
			}
		}
	}
	return watched, m, nil
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(verbs, w) {
			return false
		}
	}
	return true
}
