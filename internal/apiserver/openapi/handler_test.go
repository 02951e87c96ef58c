package openapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// get sends one request to h and returns the response.
func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := NewHandler(testResources())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// index fetches /openapi/v3 and returns the URL of each document by GV path.
func index(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	resp := get(t, h, "/openapi/v3")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi/v3: %s", resp.Status)
	}
	var idx struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body(t, resp), &idx); err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for gv, entry := range idx.Paths {
		urls[gv] = entry.ServerRelativeURL
	}
	return urls
}

// documents fetches every document the index names, decoded as plain JSON,
// so that the tests see what a client sees.
func documents(t *testing.T, h http.Handler) map[string]map[string]any {
	t.Helper()
	docs := map[string]map[string]any{}
	for gv, u := range index(t, h) {
		resp := get(t, h, u, "Accept", "application/json")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
		var doc map[string]any
		if err := json.Unmarshal(body(t, resp), &doc); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		docs[gv] = doc
	}
	return docs
}

// at walks a decoded JSON value along keys (object keys or list indexes as "0").
func at(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func schemaOf(doc map[string]any, name string) map[string]any {
	s, _ := at(doc, "components", "schemas", name).(map[string]any)
	return s
}

func gvks(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, at(e, "group").(string)+"/"+at(e, "version").(string)+"/"+at(e, "kind").(string))
	}
	return out
}

func TestIndexNamesEveryServedGroupVersion(t *testing.T) {
	urls := index(t, newTestHandler(t))
	want := []string{"api/v1", "apis/apps/v1", "apis/autoscaling/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1",
		"apis/discovery.k8s.io/v1", "apis/events.k8s.io/v1", "apis/networking.k8s.io/v1", "apis/policy/v1",
		"apis/rbac.authorization.k8s.io/v1", "apis/storage.k8s.io/v1"}
	var got []string
	for gv, u := range urls {
		got = append(got, gv)
		if !strings.HasPrefix(u, "/openapi/v3/"+gv+"?hash=") {
			t.Errorf("%s: serverRelativeURL %q", gv, u)
		}
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("index paths = %v, want %v", got, want)
	}
}

func TestDeploymentSchema(t *testing.T) {
	apps := documents(t, newTestHandler(t))["apis/apps/v1"]
	if at(apps, "openapi") != "3.0.0" || at(apps, "info", "title") == nil {
		t.Errorf("openapi/info = %v / %v", at(apps, "openapi"), at(apps, "info"))
	}

	deploy := schemaOf(apps, "io.k8s.api.apps.v1.Deployment")
	if deploy == nil {
		t.Fatal("no io.k8s.api.apps.v1.Deployment schema")
	}
	if got := gvks(deploy["x-kubernetes-group-version-kind"]); !reflect.DeepEqual(got, []string{"apps/v1/Deployment"}) {
		t.Errorf("Deployment GVKs = %v", got)
	}
	if d, _ := deploy["description"].(string); !strings.Contains(d, "Deployment enables declarative updates for Pods and ReplicaSets.") {
		t.Errorf("Deployment description = %q", d)
	}
	// In v3 a $ref has no siblings: the field's own description sits next to an allOf.
	if ref := at(deploy, "properties", "spec", "allOf", "0", "$ref"); ref != "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec" {
		t.Errorf("Deployment.spec $ref = %v", ref)
	}
	strategy := at(schemaOf(apps, "io.k8s.api.apps.v1.DeploymentSpec"), "properties", "strategy").(map[string]any)
	if strategy["description"] != "The deployment strategy to use to replace existing pods with new ones." {
		t.Errorf("DeploymentSpec.strategy description = %v", strategy["description"])
	}
	if strategy["x-kubernetes-patch-strategy"] != "retainKeys" {
		t.Errorf("DeploymentSpec.strategy patch strategy = %v", strategy["x-kubernetes-patch-strategy"])
	}
	if got := gvks(schemaOf(apps, "io.k8s.api.apps.v1.DeploymentList")["x-kubernetes-group-version-kind"]); !reflect.DeepEqual(got, []string{"apps/v1/DeploymentList"}) {
		t.Errorf("DeploymentList GVKs = %v", got)
	}
	// The scale subresource pulls in autoscaling/v1 Scale, tagged with its own GVK.
	if got := gvks(schemaOf(apps, "io.k8s.api.autoscaling.v1.Scale")["x-kubernetes-group-version-kind"]); !reflect.DeepEqual(got, []string{"autoscaling/v1/Scale"}) {
		t.Errorf("Scale GVKs = %v", got)
	}
	// Types registered in every group-version carry one entry per served one.
	if got := gvks(schemaOf(apps, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")["x-kubernetes-group-version-kind"]); len(got) != 11 || !contains(got, "apps/v1/DeleteOptions") || !contains(got, "/v1/DeleteOptions") {
		t.Errorf("DeleteOptions GVKs = %v", got)
	}
	if got := gvks(schemaOf(apps, "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent")["x-kubernetes-group-version-kind"]); len(got) != 11 || !contains(got, "apps/v1/WatchEvent") {
		t.Errorf("WatchEvent GVKs = %v", got)
	}
	if got := gvks(schemaOf(apps, "io.k8s.apimachinery.pkg.apis.meta.v1.Status")["x-kubernetes-group-version-kind"]); !reflect.DeepEqual(got, []string{"/v1/Status"}) {
		t.Errorf("Status GVKs = %v", got)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// kubectl computes strategic merge patches from these extensions, and
// validates quantities and int-or-strings from the special types.
func TestVendorExtensionsAndSpecialTypes(t *testing.T) {
	core := documents(t, newTestHandler(t))["api/v1"]
	containers := at(schemaOf(core, "io.k8s.api.core.v1.PodSpec"), "properties", "containers").(map[string]any)
	for k, want := range map[string]any{
		"x-kubernetes-patch-merge-key": "name",
		"x-kubernetes-patch-strategy":  "merge",
		"x-kubernetes-list-type":       "map",
		"x-kubernetes-list-map-keys":   []any{"name"},
	} {
		if !reflect.DeepEqual(containers[k], want) {
			t.Errorf("PodSpec.containers %s = %v, want %v", k, containers[k], want)
		}
	}
	if s := schemaOf(core, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"); s["format"] != "int-or-string" || s["oneOf"] == nil || s["x-kubernetes-v2-schema"] != nil {
		t.Errorf("IntOrString = %v", s)
	}
	if s := schemaOf(core, "io.k8s.apimachinery.pkg.api.resource.Quantity"); s["oneOf"] == nil || s["x-kubernetes-v2-schema"] != nil {
		t.Errorf("Quantity = %v", s)
	}
	if s := schemaOf(core, "io.k8s.apimachinery.pkg.apis.meta.v1.Time"); s["type"] != "string" || s["format"] != "date-time" {
		t.Errorf("Time = %v", s)
	}
}

// Every $ref must resolve inside its own document: kubectl resolves them
// against the one group-version document it downloaded.
func TestEveryRefResolves(t *testing.T) {
	for gv, doc := range documents(t, newTestHandler(t)) {
		schemas := at(doc, "components", "schemas").(map[string]any)
		var walk func(v any, where string)
		walk = func(v any, where string) {
			switch x := v.(type) {
			case map[string]any:
				if ref, ok := x["$ref"].(string); ok {
					name, found := strings.CutPrefix(ref, "#/components/schemas/")
					if !found || schemas[name] == nil {
						t.Errorf("%s: %s: dangling $ref %q", gv, where, ref)
					}
					if len(x) != 1 {
						t.Errorf("%s: %s: $ref with siblings %v", gv, where, x)
					}
				}
				for k, c := range x {
					walk(c, where+"/"+k)
				}
			case []any:
				for _, c := range x {
					walk(c, where+"[]")
				}
			}
		}
		walk(doc, "")
	}
}

// kubectl sends fieldValidation=Strict (and skips its own validation) only
// when the PATCH operation of the kind lists that query parameter; it looks
// at the first PATCH operation it finds for the GVK, so all must have it.
func TestPatchOperations(t *testing.T) {
	seen := 0
	for gv, doc := range documents(t, newTestHandler(t)) {
		for path, item := range at(doc, "paths").(map[string]any) {
			op, ok := at(item, "patch").(map[string]any)
			if !ok {
				continue
			}
			seen++
			if op["x-kubernetes-action"] != "patch" || at(op, "x-kubernetes-group-version-kind", "kind") == nil {
				t.Errorf("%s PATCH %s: action %v, gvk %v", gv, path, op["x-kubernetes-action"], op["x-kubernetes-group-version-kind"])
			}
			params := map[string]bool{}
			for _, p := range op["parameters"].([]any) {
				if at(p, "in") == "query" {
					params[at(p, "name").(string)] = true
				}
			}
			for _, name := range []string{"fieldValidation", "dryRun", "fieldManager", "force"} {
				if !params[name] {
					t.Errorf("%s PATCH %s: no %s query parameter", gv, path, name)
				}
			}
			for _, ct := range patchMediaTypes {
				if at(op, "requestBody", "content", ct, "schema", "$ref") != "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" {
					t.Errorf("%s PATCH %s: no %s body", gv, path, ct)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no PATCH operations")
	}
}

func TestPathsAndOperations(t *testing.T) {
	docs := documents(t, newTestHandler(t))
	apps, core := docs["apis/apps/v1"], docs["api/v1"]
	deployment := map[string]any{"group": "apps", "version": "v1", "kind": "Deployment"}
	scaleGVK := map[string]any{"group": "autoscaling", "version": "v1", "kind": "Scale"}
	for _, c := range []struct {
		doc            map[string]any
		path, method   string
		action, opID   string
		gvk            map[string]any
		responseSchema string
	}{
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments", "get", "list", "listAppsV1NamespacedDeployment", deployment, "io.k8s.api.apps.v1.DeploymentList"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments", "post", "post", "createAppsV1NamespacedDeployment", deployment, "io.k8s.api.apps.v1.Deployment"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments", "delete", "deletecollection", "deleteAppsV1CollectionNamespacedDeployment", deployment, "io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{apps, "/apis/apps/v1/deployments", "get", "list", "listAppsV1DeploymentForAllNamespaces", deployment, "io.k8s.api.apps.v1.DeploymentList"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "get", "get", "readAppsV1NamespacedDeployment", deployment, "io.k8s.api.apps.v1.Deployment"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "put", "put", "replaceAppsV1NamespacedDeployment", deployment, "io.k8s.api.apps.v1.Deployment"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch", "patch", "patchAppsV1NamespacedDeployment", deployment, "io.k8s.api.apps.v1.Deployment"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "delete", "delete", "deleteAppsV1NamespacedDeployment", deployment, "io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status", "patch", "patch", "patchAppsV1NamespacedDeploymentStatus", deployment, "io.k8s.api.apps.v1.Deployment"},
		{apps, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "put", "put", "replaceAppsV1NamespacedDeploymentScale", scaleGVK, "io.k8s.api.autoscaling.v1.Scale"},
		{apps, "/apis/apps/v1/watch/namespaces/{namespace}/deployments", "get", "watchlist", "watchAppsV1NamespacedDeploymentList", deployment, "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"},
		{core, "/api/v1/nodes/{name}", "get", "get", "readCoreV1Node", map[string]any{"group": "", "version": "v1", "kind": "Node"}, "io.k8s.api.core.v1.Node"},
		{core, "/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post", "post", "createCoreV1NamespacedPodEviction", map[string]any{"group": "policy", "version": "v1", "kind": "Eviction"}, "io.k8s.api.policy.v1.Eviction"},
		{core, "/api/v1/namespaces/{namespace}/pods/{name}/log", "get", "get", "readCoreV1NamespacedPodLog", map[string]any{"group": "", "version": "v1", "kind": "Pod"}, ""},
		{core, "/api/v1/namespaces/{namespace}/pods/{name}/exec", "post", "connect", "connectCoreV1PostNamespacedPodExec", map[string]any{"group": "", "version": "v1", "kind": "PodExecOptions"}, ""},
	} {
		op, ok := at(c.doc, "paths", c.path, c.method).(map[string]any)
		if !ok {
			t.Errorf("no %s %s", c.method, c.path)
			continue
		}
		if op["x-kubernetes-action"] != c.action || op["operationId"] != c.opID || !reflect.DeepEqual(op["x-kubernetes-group-version-kind"], c.gvk) {
			t.Errorf("%s %s: action %v, operationId %v, gvk %v", c.method, c.path, op["x-kubernetes-action"], op["operationId"], op["x-kubernetes-group-version-kind"])
		}
		if c.responseSchema != "" {
			for mediaType, content := range at(op, "responses", "200", "content").(map[string]any) {
				if ref := at(content, "schema", "$ref"); ref != "#/components/schemas/"+c.responseSchema {
					t.Errorf("%s %s: 200 %s response %v", c.method, c.path, mediaType, ref)
				}
			}
		} else if at(op, "responses", "200") == nil {
			t.Errorf("%s %s: no 200 response", c.method, c.path)
		}
	}
	// Path parameters sit on the path item; cluster-scoped kinds have no namespace.
	if names := paramNames(at(apps, "paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "parameters")); !reflect.DeepEqual(names, []string{"namespace", "name"}) {
		t.Errorf("deployment item path parameters = %v", names)
	}
	if names := paramNames(at(core, "paths", "/api/v1/nodes/{name}", "parameters")); !reflect.DeepEqual(names, []string{"name"}) {
		t.Errorf("node item path parameters = %v", names)
	}
	if at(core, "paths", "/api/v1/namespaces/{namespace}/nodes") != nil {
		t.Error("cluster-scoped nodes served under a namespace")
	}
	if names := paramNames(at(apps, "paths", "/apis/apps/v1/namespaces/{namespace}/deployments", "get", "parameters")); !contains(names, "labelSelector") || !contains(names, "watch") {
		t.Errorf("list parameters = %v", names)
	}
}

func paramNames(v any) []string {
	var names []string
	list, _ := v.([]any)
	for _, p := range list {
		names = append(names, at(p, "name").(string))
	}
	return names
}

func TestHandlerServesByHash(t *testing.T) {
	h := newTestHandler(t)
	current := index(t, h)["apis/apps/v1"]

	resp := get(t, h, current)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, immutable" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET %s: %s, Cache-Control %q, Content-Type %q", current, resp.Status, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	plain := body(t, resp)
	etag := resp.Header.Get("Etag")
	u, _ := url.Parse(current)
	if want := `"` + u.Query().Get("hash") + `"`; etag != want || len(etag) != 128+2 {
		t.Errorf("ETag %q, want %q (the SHA-512 hash)", etag, want)
	}

	if resp := get(t, h, current, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %s", resp.Status)
	}
	if resp := get(t, h, "/openapi/v3/apis/apps/v1"); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "" {
		t.Errorf("GET without hash: %s, Cache-Control %q", resp.Status, resp.Header.Get("Cache-Control"))
	}
	if resp := get(t, h, "/openapi/v3/apis/apps/v1?hash=0123"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != current {
		t.Errorf("stale hash: %s, Location %q, want 301 to %s", resp.Status, resp.Header.Get("Location"), current)
	}

	resp = get(t, h, current, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) {
		t.Error("gzipped document differs from the plain one")
	}

	for _, c := range []struct {
		target, accept string
		code           int
	}{
		{"/openapi/v3/apis/nosuch/v1", "", http.StatusNotFound},
		{"/openapi/v3/", "", http.StatusNotFound},
		{"/openapi/v3/apis/apps/v1", "application/com.github.proto-openapi.spec.v3.v1.0+protobuf", http.StatusNotAcceptable},
		{"/openapi/v3/apis/apps/v1", "application/json, */*", http.StatusOK},
	} {
		if resp := get(t, h, c.target, "Accept", c.accept); resp.StatusCode != c.code {
			t.Errorf("GET %s (Accept %q): %s, want %d", c.target, c.accept, resp.Status, c.code)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/openapi/v3", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// The hashes must not change between two starts of the same binary, or every
// kubectl cache entry would go stale on every restart.
func TestHashesAreStable(t *testing.T) {
	first, second := index(t, newTestHandler(t)), index(t, newTestHandler(t))
	if !reflect.DeepEqual(first, second) {
		t.Errorf("index differs between two handlers:\n%v\n%v", first, second)
	}
}

func TestNewHandlerRejectsUnknownKinds(t *testing.T) {
	for _, r := range []Resource{
		{Group: "apps", Version: "v1", Resource: "widgets", Kind: "Widget", Verbs: allVerbs},
		{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", ListKind: "Nope", Verbs: allVerbs},
		{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Verbs: allVerbs,
			Subresources: []Subresource{{Name: "scale", Group: "autoscaling", Version: "v9", Kind: "Scale", Verbs: []string{"get"}}}},
		// Known to client-go's scheme, but its package is not generated.
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "x", Kind: "X"},
		{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses", Kind: "PriorityClass", Verbs: allVerbs},
	} {
		if _, err := NewHandler([]Resource{r}); err == nil {
			t.Errorf("NewHandler(%s %s) succeeded", r.Resource, r.Kind)
		} else {
			t.Log(err)
		}
	}
}

// The first requests race to render the documents; all must get the same index.
func TestConcurrentFirstRequests(t *testing.T) {
	h := newTestHandler(t)
	bodies := make([][]byte, 8)
	done := make(chan int)
	for i := range bodies {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Root, nil))
			bodies[i] = rec.Body.Bytes()
			done <- i
		}()
	}
	for range bodies {
		<-done
	}
	for i := range bodies {
		if len(bodies[i]) == 0 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("request %d got %q, request 0 got %q", i, bodies[i], bodies[0])
		}
	}
}
