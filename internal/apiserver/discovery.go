package apiserver

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"ordinal.dev/ordinal/internal/registry"
)

var openapiGR = schema.GroupResource{Resource: "openapi"}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// subresource is a discovery entry for resource/sub.
type subresource struct {
	name  string
	kind  schema.GroupVersionKind
	verbs []string
}

func subresourcesOf(res *registry.Resource) []subresource {
	var subs []subresource
	gvk := res.GroupVersionKind()
	if res.PrepareForApprovalUpdate != nil {
		subs = append(subs, subresource{registry.SubresourceApproval, gvk, []string{"get", "patch", "update"}})
	}
	if res.Status {
		subs = append(subs, subresource{"status", gvk, []string{"get", "patch", "update"}})
	}
	if res.Scale != nil {
		subs = append(subs, subresource{"scale", schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, []string{"get", "patch", "update"}})
	}
	switch {
	case res.Group == "" && res.Name == "pods":
		subs = append(subs, subresource{"binding", schema.GroupVersionKind{Version: "v1", Kind: "Binding"}, []string{"create"}})
	case res.Group == "" && res.Name == "namespaces":
		subs = append(subs, subresource{"finalize", gvk, []string{"update"}})
	}
	return subs
}

// discovery holds the discovery documents, built once: the served resources never change
// while the server runs.
type discovery struct {
	aggregatedCore, aggregatedGroups []byte
	versions, groupList              []byte
	groups                           map[string][]byte // "/apis/<group>" → APIGroup
	resourceLists                    map[string][]byte // "/api/v1", "/apis/<g>/<v>" → APIResourceList
}

const aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

func newDiscovery(resources []*registry.Resource) *discovery {
	d := &discovery{groups: map[string][]byte{}, resourceLists: map[string][]byte{}}
	type gv = schema.GroupVersion
	var order []gv
	byGV := map[gv][]*registry.Resource{}
	for _, r := range resources {
		k := r.GroupVersion()
		if _, ok := byGV[k]; !ok {
			order = append(order, k)
		}
		byGV[k] = append(byGV[k], r)
	}

	core := apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	groups := apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: core.TypeMeta}
	groupList := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, k := range order {
		list := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: k.String()}
		var aggregated []apidiscoveryv2.APIResourceDiscovery
		for _, r := range byGV[k] {
			list.APIResources = append(list.APIResources, metav1.APIResource{
				Name: r.Name, SingularName: r.Singular, Namespaced: r.Namespaced, Kind: r.Kind,
				Verbs: allVerbs, ShortNames: r.ShortNames, Categories: r.Categories,
			})
			scope := apidiscoveryv2.ScopeCluster
			if r.Namespaced {
				scope = apidiscoveryv2.ScopeNamespace
			}
			entry := apidiscoveryv2.APIResourceDiscovery{
				Resource: r.Name, SingularResource: r.Singular, Scope: scope, Verbs: allVerbs,
				ResponseKind: &metav1.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind},
				ShortNames:   r.ShortNames, Categories: r.Categories,
			}
			for _, sub := range subresourcesOf(r) {
				list.APIResources = append(list.APIResources, metav1.APIResource{
					Name: r.Name + "/" + sub.name, Namespaced: r.Namespaced, Kind: sub.kind.Kind,
					Group: sub.kind.Group, Version: sub.kind.Version, Verbs: sub.verbs,
				})
				entry.Subresources = append(entry.Subresources, apidiscoveryv2.APISubresourceDiscovery{
					Subresource: sub.name, Verbs: sub.verbs,
					ResponseKind: &metav1.GroupVersionKind{Group: sub.kind.Group, Version: sub.kind.Version, Kind: sub.kind.Kind},
				})
			}
			aggregated = append(aggregated, entry)
		}
		sort.Slice(list.APIResources, func(i, j int) bool { return list.APIResources[i].Name < list.APIResources[j].Name })
		sort.Slice(aggregated, func(i, j int) bool { return aggregated[i].Resource < aggregated[j].Resource })
		version := apidiscoveryv2.APIVersionDiscovery{Version: k.Version, Resources: aggregated, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		if k.Group == "" {
			d.resourceLists["/api/"+k.Version] = mustJSON(list)
			core.Items = append(core.Items, apidiscoveryv2.APIGroupDiscovery{Versions: []apidiscoveryv2.APIVersionDiscovery{version}})
			continue
		}
		d.resourceLists["/apis/"+k.String()] = mustJSON(list)
		gvd := metav1.GroupVersionForDiscovery{GroupVersion: k.String(), Version: k.Version}
		group := metav1.APIGroup{Name: k.Group, Versions: []metav1.GroupVersionForDiscovery{gvd}, PreferredVersion: gvd}
		groupList.Groups = append(groupList.Groups, group)
		group.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
		d.groups["/apis/"+k.Group] = mustJSON(group)
		groups.Items = append(groups.Items, apidiscoveryv2.APIGroupDiscovery{
			ObjectMeta: metav1.ObjectMeta{Name: k.Group},
			Versions:   []apidiscoveryv2.APIVersionDiscovery{version},
		})
	}
	d.aggregatedCore = mustJSON(core)
	d.aggregatedGroups = mustJSON(groups)
	d.versions = mustJSON(metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: ""}},
	})
	d.groupList = mustJSON(groupList)
	return d
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// wantsAggregated reports whether the client accepts the aggregated discovery format.
func wantsAggregated(r *http.Request) bool {
	for _, accept := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(accept, "as=APIGroupDiscoveryList") && strings.Contains(accept, "g=apidiscovery.k8s.io") && strings.Contains(accept, "v=v2") {
			return true
		}
	}
	return false
}

// serve answers discovery paths and reports whether it did.
func (d *discovery) serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	var body []byte
	contentType := contentTypeJSON
	switch path {
	case "/api":
		body = d.versions
		if wantsAggregated(r) {
			body, contentType = d.aggregatedCore, aggregatedContentType
		}
	case "/apis":
		body = d.groupList
		if wantsAggregated(r) {
			body, contentType = d.aggregatedGroups, aggregatedContentType
		}
	default:
		if b, ok := d.resourceLists[path]; ok {
			body = b
		} else if b, ok := d.groups[path]; ok {
			body = b
		} else {
			return false
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(code)
	w.Write(mustJSON(v))
}
