package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// shortNames are the discovery short names the kubectl commands below use.
var shortNames = map[string][]string{"pods": {"po"}, "deployments": {"deploy"}, "statefulsets": {"sts"}, "services": {"svc"}}

// discoveryServer serves what kubectl explain needs besides OpenAPI: /version
// (the Debian kubectl dispatcher picks kubectl 1.32 from it) and legacy
// discovery built from resources. It records the OpenAPI requests it sees.
type discoveryServer struct {
	mux      *http.ServeMux
	mu       sync.Mutex
	requests []string // OpenAPI paths
	creates  []string // query strings of POSTs
}

func newDiscoveryServer(t *testing.T, resources []Resource, openapi http.Handler) *discoveryServer {
	s := &discoveryServer{mux: http.NewServeMux()}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			t.Error(err)
		}
	}
	s.mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, version.Info{Major: "1", Minor: "32", GitVersion: "v1.32.13", Platform: "linux/amd64"})
	})

	lists := map[schema.GroupVersion]*metav1.APIResourceList{}
	var gvs []schema.GroupVersion
	for _, r := range resources {
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		if lists[gv] == nil {
			lists[gv] = &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
			gvs = append(gvs, gv)
		}
		lists[gv].APIResources = append(lists[gv].APIResources, metav1.APIResource{
			Name: r.Resource, SingularName: strings.ToLower(r.Kind), Namespaced: r.Namespaced, Kind: r.Kind,
			Verbs: r.Verbs, ShortNames: shortNames[r.Resource],
		})
	}
	groups := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, gv := range gvs {
		list := lists[gv]
		if gv.Group == "" {
			s.mux.HandleFunc("GET /api/"+gv.Version, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, list) })
			continue
		}
		s.mux.HandleFunc("GET /apis/"+gv.String(), func(w http.ResponseWriter, r *http.Request) { writeJSON(w, list) })
		version := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
		groups.Groups = append(groups.Groups, metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{version}, PreferredVersion: version})
	}
	// Plain JSON answers tell kubectl that aggregated discovery is not served.
	s.mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	})
	s.mux.HandleFunc("GET /apis", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, groups) })
	record := func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.Path)
		s.mu.Unlock()
		openapi.ServeHTTP(w, r)
	}
	// Creation echoes the object back, enough for kubectl create to succeed.
	s.mux.HandleFunc("POST /apis/apps/v1/namespaces/default/deployments", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.creates = append(s.creates, r.URL.RawQuery)
		s.mu.Unlock()
		var obj map[string]any
		if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, obj)
	})
	s.mux.HandleFunc(Root, record)
	s.mux.HandleFunc(Root+"/", record)
	return s
}

func (s *discoveryServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// TestKubectlExplain runs the real kubectl against the generated documents.
func TestKubectlExplain(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	resources := testResources()
	h, err := NewHandler(resources)
	if err != nil {
		t.Fatal(err)
	}
	srv := newDiscoveryServer(t, resources, h)
	server := httptest.NewServer(srv)
	defer server.Close()

	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
users:
- name: test
  user:
    token: test
contexts:
- name: test
  context: {cluster: test, user: test, namespace: default}
current-context: test
`, server.URL)
	if err := os.WriteFile(kubeconfig, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(dir, "cache")}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "KUBECONFIG="+kubeconfig)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	if out := run("version", "-o", "json"); !strings.Contains(out, `"gitVersion": "v1.32.`) {
		t.Fatalf("kubectl is not 1.32:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"explain", "deploy.spec.strategy"}, []string{
			"GROUP:      apps", "KIND:       Deployment", "VERSION:    v1",
			"FIELD: strategy <DeploymentStrategy>",
			"The deployment strategy to use to replace existing pods with new ones.",
			"rollingUpdate\t<RollingUpdateDeployment>", "type\t<string>", `"Recreate"`,
		}},
		{[]string{"explain", "sts.spec.updateStrategy"}, []string{
			"KIND:       StatefulSet",
			"FIELD: updateStrategy <StatefulSetUpdateStrategy>",
			"updateStrategy indicates the StatefulSetUpdateStrategy that will be employed",
			"rollingUpdate\t<RollingUpdateStatefulSetStrategy>", "type\t<string>", "OnDelete",
		}},
		{[]string{"explain", "pods.spec.containers"}, []string{
			"KIND:       Pod", "VERSION:    v1",
			"FIELD: containers <[]Container>",
			"List of containers belonging to the pod.",
			"image\t<string>", "name\t<string> -required-", "resources\t<ResourceRequirements>",
		}},
		{[]string{"explain", "deploy.spec.replicas"}, []string{"FIELD: replicas <integer>"}},
		{[]string{"explain", "svc.spec.ports.targetPort"}, []string{"FIELD: targetPort <IntOrString>"}},
	} {
		out := run(c.args...)
		for _, want := range c.want {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl %s: output lacks %q:\n%s", strings.Join(c.args, " "), want, out)
			}
		}
	}

	// kubectl leaves validation to the server only when the PATCH operation of
	// the kind lists fieldValidation; otherwise it validates itself and sends no parameter.
	manifest := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run("create", "-f", manifest); !strings.Contains(out, "deployment.apps/web created") {
		t.Errorf("kubectl create: %s", out)
	}

	// Four commands read apps/v1, but the document named by its
	// hash is immutable, so kubectl's HTTP cache fetched it only once.
	srv.mu.Lock()
	defer srv.mu.Unlock()
	fetched := map[string]int{}
	for _, path := range srv.requests {
		fetched[path]++
	}
	if len(srv.creates) != 1 || !strings.Contains(srv.creates[0], "fieldValidation=Strict") {
		t.Errorf("kubectl create sent %q, want fieldValidation=Strict", srv.creates)
	}
	if fetched[Root] == 0 || fetched[Root+"/apis/apps/v1"] != 1 || fetched[Root+"/api/v1"] != 1 {
		t.Errorf("OpenAPI requests: %v", srv.requests)
	}
}
