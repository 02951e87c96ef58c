package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNamespaces: the built-in namespaces exist and stay; deleting a namespace empties it
// and then removes it, refusing new content meanwhile.
func TestNamespaces(t *testing.T) {
	_, k := newSession(t)

	ns := k.table("namespaces")
	ns.wantHeader(t, "NAME", "STATUS", "AGE")
	for _, name := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		ns.wantCells(t, name, "STATUS", "Active")
	}
	k.object("ns", "default").want(
		"metadata.labels.kubernetes\\.io/metadata\\.name", "default",
		"spec.finalizers.0", "kubernetes",
		"status.phase", "Active",
	)
	for _, name := range []string{"default", "kube-system", "kube-public"} {
		wantContains(t, k.fails("delete", "namespace", name),
			`Error from server (Forbidden): namespaces "`+name+`" is forbidden: this namespace may not be deleted`)
	}
	wantContains(t, k.fails("create", "configmap", "lost", "-n", "nowhere"), `namespaces "nowhere" not found`)

	// A namespace with content, one object of which holds a finalizer of ours.
	wantLines(t, k.run("create", "namespace", "doomed"), "namespace/doomed created")
	k.object("ns", "doomed").want("metadata.labels.kubernetes\\.io/metadata\\.name", "doomed", "status.phase", "Active")
	k.apply(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  namespace: doomed
  finalizers:
  - example.com/hold
data:
  k: v
`)
	k.run("create", "configmap", "free", "-n", "doomed", "--from-literal=k=v")
	k.run("create", "secret", "generic", "creds", "-n", "doomed", "--from-literal=k=v")
	k.run("create", "-n", "doomed", "-f", "testdata/myapp-svc-headless.yaml")
	k.run("run", "web", "-n", "doomed", "--image=nginx", stayPending)

	watch := k.start("get", "namespace", "doomed", "--watch", "--output-watch-events")
	watch.next("ADDED", "doomed", "Active")

	wantLines(t, k.run("delete", "namespace", "doomed", "--wait=false"), `namespace "doomed" deleted`)
	watch.next("MODIFIED", "doomed", "Terminating")
	k.table("ns", "doomed").wantCells(t, "doomed", "STATUS", "Terminating")
	k.object("ns", "doomed").want("status.phase", "Terminating")

	// Nothing new may go in while it terminates.
	out := k.fails("create", "configmap", "late", "-n", "doomed")
	wantContains(t, out, `configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated`)
	wantContains(t, k.failsStdin(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: late
  namespace: doomed
spec:
  selector:
    matchLabels:
      app: late
  template:
    metadata:
      labels:
        app: late
    spec:
      containers:
      - name: c
        image: nginx
`, "apply", "-f", "-"), "unable to create new content in namespace doomed because it is being terminated")

	// The content goes; the held configmap waits for its finalizer, and so does the namespace.
	eventually(t, 30*time.Second, func() string {
		r := k.try("get", "all,cm,secret", "-n", "doomed", "-o", "name")
		if got := strings.Fields(r.stdout); r.code != 0 || !slices.Equal(got, []string{"configmap/held"}) {
			return "namespace doomed still holds:\n" + r.stdout + r.stderr
		}
		return ""
	})
	held := k.object("cm", "held", "-n", "doomed")
	if _, ok := held.get("metadata.deletionTimestamp"); !ok {
		t.Errorf("the held configmap is being deleted, so it has a deletionTimestamp:\n%s", held.text)
	}
	k.table("ns", "doomed").wantCells(t, "doomed", "STATUS", "Terminating")

	// Our controller lets go: the configmap goes, then the namespace.
	k.run("patch", "cm", "held", "-n", "doomed", "--type", "json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
	eventually(t, 30*time.Second, func() string {
		r := k.try("get", "namespace", "doomed")
		if r.code != 0 && strings.Contains(r.stderr, `namespaces "doomed" not found`) {
			return ""
		}
		return "namespace doomed is still there:\n" + r.stdout + r.stderr
	})
	watch.next("DELETED", "doomed")

	// The name is free again, and the new namespace starts empty. A plain `kubectl delete
	// namespace` waits until the namespace is gone.
	wantLines(t, k.run("create", "namespace", "doomed"), "namespace/doomed created")
	wantNotContains(t, k.run("get", "all,cm,secret", "-n", "doomed", "-o", "name"), "held", "free", "creds", "myapp")
	k.run("create", "configmap", "again", "-n", "doomed")
	wantLines(t, k.run("delete", "namespace", "doomed"), `namespace "doomed" deleted`)
	wantContains(t, k.fails("get", "namespace", "doomed"), `Error from server (NotFound): namespaces "doomed" not found`)
}
