package apiserver

import (
	"net/http/httptest"
	"testing"
)

func TestParseResourcePath(t *testing.T) {
	tests := []struct {
		method, url string
		want        requestInfo
		ok          bool
	}{
		{"GET", "/api/v1/namespaces/default/pods", requestInfo{Verb: "list", Version: "v1", Namespace: "default", Resource: "pods"}, true},
		{"GET", "/api/v1/pods?watch=true", requestInfo{Verb: "watch", Version: "v1", Resource: "pods"}, true},
		{"GET", "/api/v1/watch/namespaces/default/pods", requestInfo{Verb: "watch", Version: "v1", Namespace: "default", Resource: "pods"}, true},
		{"GET", "/api/v1/namespaces/default/pods/web-0", requestInfo{Verb: "get", Version: "v1", Namespace: "default", Resource: "pods", Name: "web-0"}, true},
		{"PUT", "/api/v1/namespaces/default/pods/web-0/status", requestInfo{Verb: "update", Version: "v1", Namespace: "default", Resource: "pods", Name: "web-0", Subresource: "status"}, true},
		{"POST", "/api/v1/namespaces/default/pods/web-0/binding", requestInfo{Verb: "create", Version: "v1", Namespace: "default", Resource: "pods", Name: "web-0", Subresource: "binding"}, true},
		{"GET", "/api/v1/namespaces", requestInfo{Verb: "list", Version: "v1", Resource: "namespaces"}, true},
		{"GET", "/api/v1/namespaces/demo", requestInfo{Verb: "get", Version: "v1", Resource: "namespaces", Name: "demo"}, true},
		{"PUT", "/api/v1/namespaces/demo/finalize", requestInfo{Verb: "update", Version: "v1", Resource: "namespaces", Name: "demo", Subresource: "finalize"}, true},
		{"PATCH", "/api/v1/namespaces/demo/status", requestInfo{Verb: "patch", Version: "v1", Resource: "namespaces", Name: "demo", Subresource: "status"}, true},
		{"PATCH", "/apis/apps/v1/namespaces/default/statefulsets/web/scale", requestInfo{Verb: "patch", Group: "apps", Version: "v1", Namespace: "default", Resource: "statefulsets", Name: "web", Subresource: "scale"}, true},
		{"DELETE", "/apis/apps/v1/namespaces/default/statefulsets", requestInfo{Verb: "deletecollection", Group: "apps", Version: "v1", Namespace: "default", Resource: "statefulsets"}, true},
		{"DELETE", "/api/v1/nodes/n1", requestInfo{Verb: "delete", Version: "v1", Resource: "nodes", Name: "n1"}, true},
		{"GET", "/api/v1/namespaces/default/pods/a/b/c", requestInfo{}, false},
		{"GET", "/apis/apps", requestInfo{}, false},
		{"GET", "/healthz", requestInfo{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			got, ok := parseResourcePath(httptest.NewRequest(tt.method, tt.url, nil))
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept, query string
		table         bool
		include       string
	}{
		{"application/json", "", false, "Metadata"},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "", true, "Metadata"},
		{"application/json;as=Table;v=v1;g=meta.k8s.io", "?includeObject=Object", true, "Object"},
		{"application/vnd.kubernetes.protobuf,application/json", "", false, "Metadata"},
		{"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json", "", false, "Metadata"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api/v1/pods"+tt.query, nil)
		r.Header.Set("Accept", tt.accept)
		got := negotiate(r)
		if got.table != tt.table || string(got.includeObject) != tt.include {
			t.Errorf("Accept %q%s: got table=%v include=%s, want %v %s", tt.accept, tt.query, got.table, got.includeObject, tt.table, tt.include)
		}
	}
}
