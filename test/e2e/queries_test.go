package e2e

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestSelectors: label and field selectors, -A, --show-labels, sorting, and a watch with a
// selector.
func TestSelectors(t *testing.T) {
	_, k := newSession(t)

	watch := k.start("get", "pods", "-l", "app=web", "--watch", "--output-watch-events")

	k.run("run", "web-1", "--image=nginx", "--labels=app=web,tier=frontend", stayPending)
	k.run("run", "web-2", "--image=nginx", "--labels=app=web", stayPending)
	k.run("run", "db-1", "--image=mysql:5.7", "--labels=app=db", stayPending)
	// No node agent runs these pods: play its part for db-1.
	k.run("patch", "pod", "db-1", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Running"}}`)

	names := func(args ...string) []string {
		t.Helper()
		out := k.run(append([]string{"get", "pods", "-o", "name"}, args...)...)
		got := strings.Fields(out)
		slices.Sort(got)
		return got
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-l", "app=web"}, []string{"pod/web-1", "pod/web-2"}},
		{[]string{"-l", "app!=web"}, []string{"pod/db-1"}},
		{[]string{"-l", "app in (web,db)"}, []string{"pod/db-1", "pod/web-1", "pod/web-2"}},
		{[]string{"-l", "!tier"}, []string{"pod/db-1", "pod/web-2"}},
		{[]string{"-l", "app=web,tier=frontend"}, []string{"pod/web-1"}},
		{[]string{"--field-selector", "metadata.name=web-2"}, []string{"pod/web-2"}},
		{[]string{"--field-selector", "status.phase=Running"}, []string{"pod/db-1"}},
		{[]string{"--field-selector", "status.phase=Pending"}, []string{"pod/web-1", "pod/web-2"}},
		{[]string{"--field-selector", "status.phase!=Pending,metadata.namespace=default"}, []string{"pod/db-1"}},
		{[]string{"--field-selector", "status.phase=Pending", "-l", "tier=frontend"}, []string{"pod/web-1"}},
		{[]string{"--field-selector", "spec.nodeName="}, []string{"pod/db-1", "pod/web-1", "pod/web-2"}},
	} {
		if got := names(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("kubectl get pods %s = %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	r := k.exec("", "get", "pods", "--field-selector", "status.phase=Failed")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No resources found in default namespace.") {
		t.Errorf("a selector that matches nothing: %s", r)
	}
	wantContains(t, k.fails("get", "pods", "--field-selector", "spec.image=nginx"), `field label not supported: spec.image`)

	labels := k.table("pods", "--show-labels")
	labels.wantHeader(t, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS")
	labels.wantCells(t, "web-1", "LABELS", "app=web,tier=frontend")
	k.table("pods", "-L", "tier").wantCells(t, "web-1", "TIER", "frontend")
	k.table("pods").wantCells(t, "db-1", "STATUS", "Running")
	if got := parseTable(t, k.run("get", "pods", "--sort-by=.metadata.name")).column("NAME"); !slices.Equal(got, []string{"db-1", "web-1", "web-2"}) {
		t.Errorf("get pods --sort-by=.metadata.name lists %q", got)
	}

	// Events by the object they are about, as kubectl describe asks for them.
	web1 := k.jsonpath("{.metadata.uid}", "pod", "web-1")
	for _, ev := range []struct{ name, kind, object, uid string }{
		{"web-1.1", "Pod", "web-1", web1},
		{"web-2.1", "Pod", "web-2", ""},
		{"web.1", "StatefulSet", "web", ""},
	} {
		k.apply(`
apiVersion: v1
kind: Event
metadata:
  name: ` + ev.name + `
involvedObject:
  kind: ` + ev.kind + `
  name: ` + ev.object + `
  namespace: default
  uid: "` + ev.uid + `"
reason: Testing
message: about ` + ev.object + `
type: Normal
source:
  component: e2e
`)
	}
	eventNames := func(selector string) []string {
		got := strings.Fields(k.run("get", "events", "-o", "name", "--field-selector", selector))
		slices.Sort(got)
		return got
	}
	// The scheduler writes events about the same pods; the test's own say reason=Testing.
	if got := eventNames("involvedObject.kind=Pod,involvedObject.name=web-1,reason=Testing"); !slices.Equal(got, []string{"event/web-1.1"}) {
		t.Errorf("events about pod web-1: %q", got)
	}
	if got := eventNames("involvedObject.kind=Pod,reason=Testing"); !slices.Equal(got, []string{"event/web-1.1", "event/web-2.1"}) {
		t.Errorf("events about pods: %q", got)
	}
	if got := eventNames("involvedObject.kind=StatefulSet,involvedObject.namespace=default,reason=Testing,type=Normal"); !slices.Equal(got, []string{"event/web.1"}) {
		t.Errorf("events about statefulsets: %q", got)
	}
	// kubectl describe finds the pod's events by involvedObject name, namespace, kind and uid.
	describe := k.run("describe", "pod", "web-1")
	wantDescribe(t, describe, "Name", "web-1")
	wantContains(t, describe, "Testing", "about web-1")
	wantNotContains(t, describe, "about web-2")

	// -A: every namespace, with a NAMESPACE column.
	k.run("create", "namespace", "team-a")
	k.run("create", "configmap", "settings", "-n", "team-a", "--from-literal=a=1")
	k.run("create", "configmap", "settings", "-n", "default", "--from-literal=a=1", "--from-literal=b=2")
	all := k.table("configmaps", "-A")
	all.wantHeader(t, "NAMESPACE", "NAME", "DATA", "AGE")
	var found []string
	for _, row := range all.rows {
		if row["NAME"] == "settings" {
			found = append(found, row["NAMESPACE"]+"/"+row["DATA"])
		}
	}
	slices.Sort(found)
	if !slices.Equal(found, []string{"default/2", "team-a/1"}) {
		t.Errorf("get configmaps -A: settings rows %q, want default/2 and team-a/1\n%s", found, all.text)
	}
	k.table("pods", "-A", "-l", "app=db").wantCells(t, "db-1", "NAMESPACE", "default")

	// The watch saw only the app=web pods.
	watch.next("ADDED", "web-1")
	watch.next("ADDED", "web-2")
	k.run("label", "pod", "web-2", "tier=backend")
	watch.next("MODIFIED", "web-2")
	k.run("delete", "pod", "web-2")
	watch.next("DELETED", "web-2")
	if strings.Contains(watch.output(), "db-1") {
		t.Errorf("a watch with -l app=web printed db-1:\n%s", watch.output())
	}
}

// TestPagingDryRunAndCollections: limit/continue paging, server-side dry run, and deleting
// many objects at once.
func TestPagingDryRunAndCollections(t *testing.T) {
	c, k := newSession(t)

	k.run("create", "namespace", "paging")
	for _, name := range []string{"cm-1", "cm-2", "cm-3", "cm-4", "cm-5"} {
		k.run("create", "configmap", name, "-n", "paging", "--from-literal=k=v")
	}
	// kubectl asks for 2 at a time and follows the continue tokens: all five are shown.
	// (Other configmaps, such as kube-root-ca.crt upstream, may be there too.)
	chunked := k.table("configmaps", "-n", "paging", "--chunk-size=2")
	if got := withPrefix(chunked.column("NAME"), "cm-"); !slices.Equal(got, []string{"cm-1", "cm-2", "cm-3", "cm-4", "cm-5"}) {
		t.Errorf("get cm --chunk-size=2 lists %q, want cm-1..cm-5", chunked.column("NAME"))
	}
	// The pages themselves: at most 2 items each, together the whole list in order.
	whole := strings.Fields(k.run("get", "configmaps", "-n", "paging", "-o", "custom-columns=:metadata.name"))
	var listed []string
	next, pages := "", 0
	for {
		q := url.Values{"limit": {"2"}}
		if next != "" {
			q.Set("continue", next)
		}
		var page struct {
			Metadata struct {
				Continue           string `json:"continue"`
				RemainingItemCount *int   `json:"remainingItemCount"`
			} `json:"metadata"`
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
			} `json:"items"`
		}
		raw := k.run("get", "--raw", "/api/v1/namespaces/paging/configmaps?"+q.Encode())
		if err := json.Unmarshal([]byte(raw), &page); err != nil {
			t.Fatalf("a page is not a list: %v\n%s", err, raw)
		}
		pages++
		if len(page.Items) > 2 {
			t.Errorf("page %d has %d items, asked for 2", pages, len(page.Items))
		}
		for _, item := range page.Items {
			listed = append(listed, item.Metadata.Name)
		}
		if pages == 1 && (page.Metadata.RemainingItemCount == nil || *page.Metadata.RemainingItemCount != len(whole)-2) {
			t.Errorf("the first page of 2 out of %d says remainingItemCount %v, want %d", len(whole), page.Metadata.RemainingItemCount, len(whole)-2)
		}
		next = page.Metadata.Continue
		if next == "" || pages > len(whole) {
			break
		}
	}
	if !slices.Equal(listed, whole) || pages != (len(whole)+1)/2 {
		t.Errorf("%d pages of 2 listed %q, want %d pages listing %q", pages, listed, (len(whole)+1)/2, whole)
	}

	// Server-side dry run: the answer is the object as it would be, and nothing is stored.
	dry := parseObject(t, k.run("create", "configmap", "dry", "-n", "paging", "--from-literal=a=b", "--dry-run=server", "-o", "yaml"))
	dry.want("metadata.name", "dry", "metadata.namespace", "paging", "data.a", "b")
	wantContains(t, k.fails("get", "configmap", "dry", "-n", "paging"), `configmaps "dry" not found`)
	wantLines(t, k.run("delete", "configmap", "cm-1", "-n", "paging", "--dry-run=server"), `configmap "cm-1" deleted (server dry run)`)
	k.object("configmap", "cm-1", "-n", "paging").want("data.k", "v")
	k.run("patch", "configmap", "cm-1", "-n", "paging", "-p", `{"data":{"k":"changed"}}`, "--dry-run=server")
	k.object("configmap", "cm-1", "-n", "paging").want("data.k", "v")
	k.run("create", "-n", "paging", "-f", "testdata/myapp-sts.yaml")
	wantLines(t, k.run("scale", "--dry-run=server", "-n", "paging", "--replicas=3", "-f", "testdata/myapp-sts.yaml"),
		"statefulset.apps/myapp-sts scaled (server dry run)")
	k.object("sts", "myapp-sts", "-n", "paging").want("spec.replicas", "2")
	// Validation still runs in a dry run.
	wantContains(t, k.fails("create", "deployment", "bad_name", "-n", "paging", "--image=nginx", "--dry-run=server"),
		`metadata.name: Invalid value: "bad_name"`)
	// A dry-run create through the API: 201 and nothing stored.
	code, body := c.request("POST", "/api/v1/namespaces/paging/configmaps?dryRun=All", c.token(),
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw-dry"}}`)
	if code != 201 {
		t.Errorf("POST ?dryRun=All: %d %s, want 201", code, body)
	}
	if code, _ := c.request("GET", "/api/v1/namespaces/paging/configmaps/raw-dry", c.token(), ""); code != 404 {
		t.Errorf("a dry-run create stored the object: GET answers %d", code)
	}

	// deletecollection: DELETE on the collection, with a label selector.
	k.run("label", "configmap", "cm-1", "cm-2", "-n", "paging", "batch=old")
	k.run("delete", "--raw", "/api/v1/namespaces/paging/configmaps?labelSelector=batch%3Dold")
	left := func() []string {
		return withPrefix(strings.Fields(k.run("get", "configmaps", "-n", "paging", "-o", "custom-columns=:metadata.name")), "cm-")
	}
	if got := left(); !slices.Equal(got, []string{"cm-3", "cm-4", "cm-5"}) {
		t.Errorf("after deleting the collection batch=old, left: %q", got)
	}
	// kubectl delete --all.
	wantContains(t, k.run("delete", "configmaps", "--all", "-n", "paging"),
		`configmap "cm-3" deleted`, `configmap "cm-4" deleted`, `configmap "cm-5" deleted`)
	if got := left(); len(got) != 0 {
		t.Errorf("after kubectl delete configmaps --all, left: %q", got)
	}
}

// withPrefix keeps the names that start with prefix.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
