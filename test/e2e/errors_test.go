package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// status is the part of a metav1.Status error body the tests look at.
type status struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details struct {
		Causes []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"causes"`
	} `json:"details"`
}

func parseStatus(t *testing.T, body string) status {
	t.Helper()
	var s status
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Kind != "Status" {
		t.Fatalf("want a metav1.Status body, got: %s", body)
	}
	return s
}

// TestAuthentication: everything but health and version needs the admin token.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	c := startCluster(t)

	for _, token := range []string{"", "not-the-token"} {
		for _, path := range []string{"/api/v1/namespaces", "/apis/apps/v1/namespaces/default/statefulsets", "/api", "/openapi/v3", "/metrics"} {
			code, body := c.request("GET", path, token, "")
			if code != http.StatusUnauthorized {
				t.Errorf("GET %s with token %q: status %d, want 401\n%s", path, token, code, body)
				continue
			}
			s := parseStatus(t, body)
			if s.Reason != "Unauthorized" || s.Code != 401 || s.Status != "Failure" {
				t.Errorf("GET %s with token %q: %+v, want reason Unauthorized, code 401", path, token, s)
			}
		}
	}
	code, body := c.request("POST", "/api/v1/namespaces/default/configmaps", "wrong", `{"metadata":{"name":"sneaky"}}`)
	if code != http.StatusUnauthorized {
		t.Errorf("POST with a wrong token: status %d, want 401\n%s", code, body)
	}

	token := c.token()
	if code, body := c.request("GET", "/api/v1/namespaces/default/configmaps/sneaky", token, ""); code != http.StatusNotFound {
		t.Errorf("the unauthenticated POST created something: GET answers %d\n%s", code, body)
	}
	if code, body := c.request("GET", "/api/v1/namespaces", token, ""); code != http.StatusOK {
		t.Errorf("GET /api/v1/namespaces with the admin token: status %d\n%s", code, body)
	}
	for _, path := range []string{"/healthz", "/livez", "/readyz", "/version"} {
		if code, body := c.request("GET", path, "", ""); code != http.StatusOK {
			t.Errorf("GET %s without a token: status %d, want 200 (public, as upstream)\n%s", path, code, body)
		}
	}
	_, body = c.request("GET", "/version", "", "")
	var version struct{ Major, Minor string }
	if err := json.Unmarshal([]byte(body), &version); err != nil || version.Major != "1" || version.Minor != "32" {
		t.Errorf("/version = %s, want major 1, minor 32 (the API level kubectl's dispatcher picks its client by)", body)
	}

	// /metrics needs the token and counts requests.
	code, metrics := c.request("GET", "/metrics", token, "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with the admin token: status %d\n%s", code, metrics)
	}
	wantContains(t, metrics, "apiserver_request_total{")
	if !strings.Contains(metrics, `code="401"`) {
		t.Errorf("apiserver_request_total does not count the 401s this test caused:\n%s", grepLines(metrics, "apiserver_request_total"))
	}

	t.Run("kubectl", func(t *testing.T) {
		k := c.kubectl(t)
		out := k.fails("--token=not-the-token", "get", "pods")
		wantContains(t, out, "error: You must be logged in to the server (")
		k.run("get", "pods") // the kubeconfig's token works
	})
}

func grepLines(text, substring string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substring) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestErrors checks the errors a user meets most, as kubectl prints them and as the API
// answers them: 404, 409 AlreadyExists and Conflict, 422 with field paths, 400 for unknown
// fields.
func TestErrors(t *testing.T) {
	c, k := newSession(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	seedSts, err := os.ReadFile("testdata/myapp-sts.yaml")
	if err != nil {
		t.Fatal(err)
	}

	// 404
	wantContains(t, k.fails("get", "sts", "nope"), `Error from server (NotFound): statefulsets.apps "nope" not found`)
	wantContains(t, k.fails("get", "widgets"), `error: the server doesn't have a resource type "widgets"`)
	code, body := c.request("GET", "/api/v1/namespaces/default/configmaps/nope", c.token(), "")
	if s := parseStatus(t, body); code != 404 || s.Reason != "NotFound" {
		t.Errorf("GET a missing configmap: %d %+v, want 404 NotFound", code, s)
	}

	// 409 AlreadyExists
	k.run("create", "-f", "testdata/myapp-sts.yaml")
	wantContains(t, k.fails("create", "-f", "testdata/myapp-sts.yaml"),
		`Error from server (AlreadyExists): error when creating "testdata/myapp-sts.yaml": statefulsets.apps "myapp-sts" already exists`)

	// 409 Conflict: replace with a manifest saved before someone else's change.
	k.run("create", "configmap", "app-config", "--from-literal=mode=blue")
	stale := write("app-config.yaml", k.run("get", "cm", "app-config", "-o", "yaml"))
	k.run("patch", "cm", "app-config", "-p", `{"data":{"mode":"green"}}`)
	wantContains(t, k.fails("replace", "-f", stale),
		`Error from server (Conflict): error when replacing "`+stale+`": Operation cannot be fulfilled on configmaps "app-config": the object has been modified; please apply your changes to the latest version and try again`)
	k.object("cm", "app-config").want("data.mode", "green")
	// The same over the API: PUT with the stale resourceVersion.
	staleRV := parseObject(t, mustRead(t, stale)).value("metadata.resourceVersion")
	code, body = c.request("PUT", "/api/v1/namespaces/default/configmaps/app-config", c.token(),
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app-config","resourceVersion":"`+staleRV+`"},"data":{"mode":"red"}}`)
	if s := parseStatus(t, body); code != http.StatusConflict || s.Reason != "Conflict" {
		t.Errorf("PUT with a stale resourceVersion: %d %+v, want 409 Conflict", code, s)
	}

	// 422 with field paths.
	negative := write("negative.yaml", strings.Replace(strings.Replace(string(seedSts), "replicas: 2", "replicas: -1", 1),
		"name: myapp-sts\n", "name: negative\n", 1))
	wantContains(t, k.fails("create", "-f", negative),
		`The StatefulSet "negative" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`)
	// Several mistakes are all reported.
	wantContains(t, k.failsStdin(`
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: many-mistakes
spec:
  replicas: -2
  selector:
    matchLabels:
      app: one
  template:
    metadata:
      labels:
        app: two
    spec:
      containers:
      - name: Bad_Container
        image: nginx
`, "create", "-f", "-"),
		`The StatefulSet "many-mistakes" is invalid: `,
		"\n* spec.replicas: Invalid value: -2: must be greater than or equal to 0\n",
		"\n* spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"two\"}: `selector` does not match template `labels`\n",
		`* spec.template.spec.containers[0].name: Invalid value: "Bad_Container": a lowercase RFC 1123 label must consist of`,
	)
	code, body = c.request("POST", "/apis/apps/v1/namespaces/default/statefulsets", c.token(),
		`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"raw"},"spec":{"replicas":-1,"selector":{"matchLabels":{"a":"b"}},`+
			`"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}`)
	s := parseStatus(t, body)
	if code != http.StatusUnprocessableEntity || s.Reason != "Invalid" || len(s.Details.Causes) == 0 || s.Details.Causes[0].Field != "spec.replicas" {
		t.Errorf("POST an invalid StatefulSet: %d %+v, want 422 Invalid with a cause for field spec.replicas", code, s)
	}

	// 400 for a field the type does not have (kubectl asks for strict validation).
	bogus := write("bogus.yaml", strings.Replace(strings.Replace(string(seedSts), "  replicas: 2\n", "  replicas: 2\n  bogus: true\n", 1),
		"name: myapp-sts\n", "name: bogus\n", 1))
	wantContains(t, k.fails("create", "-f", bogus),
		`Error from server (BadRequest): error when creating "`+bogus+`": StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.bogus"`)
	wantContains(t, k.fails("get", "sts", "bogus"), "NotFound")
	// --validate=warn creates it and warns; --validate=false drops the field silently.
	r := k.exec("", "create", "-f", bogus, "--validate=warn")
	if r.code != 0 {
		t.Fatalf("create --validate=warn: %s", r)
	}
	wantContains(t, r.stderr, `Warning: unknown field "spec.bogus"`)
	k.run("delete", "sts", "bogus")
	r = k.exec("", "create", "-f", bogus, "--validate=false")
	if r.code != 0 {
		t.Fatalf("create --validate=false: %s", r)
	}
	wantNotContains(t, r.stderr, "bogus")
	k.object("sts", "bogus").wantAbsent("spec.bogus")
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestWatchFromCompactedRevisionIsGone: once etcd has compacted past a resourceVersion, a
// watch from it answers 410 Gone (or an ERROR event carrying 410), so that clients re-list.
// ORDINAL_COMPACTION_INTERVAL makes `ordinal up` compact every second.
func TestWatchFromCompactedRevisionIsGone(t *testing.T) {
	t.Parallel()
	c := startCluster(t, withEnv("ORDINAL_COMPACTION_INTERVAL=1s"))
	token := c.token()
	const cms = "/api/v1/namespaces/default/configmaps"

	code, body := c.request("POST", cms, token, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"old"},"data":{"v":"1"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	oldRV := parseObject(t, body).value("metadata.resourceVersion")
	for i := 2; i <= 3; i++ {
		code, body := c.request("PUT", cms+"/old", token, fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"old"},"data":{"v":"%d"}}`, i))
		if code != http.StatusOK {
			t.Fatalf("update: %d %s", code, body)
		}
	}

	var last string
	eventually(t, 30*time.Second, func() string {
		code, first := c.watchStart(cms+"?watch=true&resourceVersion="+oldRV, token)
		if code == http.StatusGone {
			return ""
		}
		if code == http.StatusOK && strings.Contains(first, `"type":"ERROR"`) && strings.Contains(first, `"code":410`) {
			return ""
		}
		last = fmt.Sprintf("%d %s", code, first)
		return "a watch from resourceVersion " + oldRV + " still answers " + last
	})
}

// watchStart opens a watch and returns the status code and the first line of the stream
// (or the body of an error), waiting at most two seconds for it.
func (c *cluster) watchStart(path, token string) (int, string) {
	c.t.Helper()
	client, err := c.httpClient()
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	return resp.StatusCode, strings.TrimSpace(line)
}
