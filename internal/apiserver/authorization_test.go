package apiserver

import (
	"net/http/httptest"
	"testing"

	"ordinal.dev/ordinal/internal/apiserver/auth"
)

func TestRequestAttributes(t *testing.T) {
	cases := []struct {
		method, target string
		want           auth.Attributes
	}{
		{"GET", "/api/v1/namespaces/default/secrets/db", auth.Attributes{Verb: "get", ResourceRequest: true, APIVersion: "v1", Namespace: "default", Resource: "secrets", Name: "db"}},
		{"GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Ddb&watch=true", auth.Attributes{Verb: "watch", ResourceRequest: true, APIVersion: "v1", Namespace: "default", Resource: "secrets", Name: "db"}},
		{"GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Ddb,type%3Dx", auth.Attributes{Verb: "list", ResourceRequest: true, APIVersion: "v1", Namespace: "default", Resource: "secrets", Name: "db"}},
		{"GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%21%3Ddb", auth.Attributes{Verb: "list", ResourceRequest: true, APIVersion: "v1", Namespace: "default", Resource: "secrets"}},
		{"GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1", auth.Attributes{Verb: "list", ResourceRequest: true, APIVersion: "v1", Resource: "pods"}},
		{"PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval", auth.Attributes{Verb: "update", ResourceRequest: true, APIGroup: "certificates.k8s.io", APIVersion: "v1", Resource: "certificatesigningrequests", Subresource: "approval", Name: "c"}},
		{"DELETE", "/api/v1/namespaces/default/pods", auth.Attributes{Verb: "deletecollection", ResourceRequest: true, APIVersion: "v1", Namespace: "default", Resource: "pods"}},
		{"GET", "/apis/apps/v1", auth.Attributes{Verb: "get", Path: "/apis/apps/v1"}},
		{"POST", "/metrics", auth.Attributes{Verb: "post", Path: "/metrics"}},
	}
	for _, tc := range cases {
		got := requestAttributes(httptest.NewRequest(tc.method, tc.target, nil), nil)
		want := tc.want
		if want.ResourceRequest {
			want.Path = got.Path
		}
		if *got != want {
			t.Errorf("%s %s:\n got %+v\nwant %+v", tc.method, tc.target, *got, want)
		}
	}
}
