package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPods creates pods the ways a user does and looks at them. The pods select a node
// that does not exist, so they stay Pending whatever schedulers and node agents run.
func TestPods(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.run("run", "web", "--image=nginx", "--labels=app=web", stayPending), "pod/web created")
	pods := k.table("pods")
	pods.wantHeader(t, "NAME", "READY", "STATUS", "RESTARTS", "AGE")
	pods.wantCells(t, "web", "READY", "0/1", "STATUS", "Pending", "RESTARTS", "0")
	wantAge(t, pods.row(t, "web")["AGE"])
	wide := k.table("pods", "-o", "wide")
	wide.wantHeader(t, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES")
	wide.wantCells(t, "web", "IP", "<none>", "NODE", "<none>", "NOMINATED NODE", "<none>", "READINESS GATES", "<none>")

	k.object("pod", "web").want(
		"metadata.labels.app", "web",
		"spec.restartPolicy", "Always",
		"spec.dnsPolicy", "ClusterFirst",
		"spec.terminationGracePeriodSeconds", "30",
		"spec.schedulerName", "default-scheduler",
		"spec.enableServiceLinks", "true",
		"spec.containers.0.imagePullPolicy", "Always", // untagged image
		"spec.containers.0.terminationMessagePath", "/dev/termination-log",
		"spec.containers.0.terminationMessagePolicy", "File",
		"status.phase", "Pending",
		"status.qosClass", "BestEffort",
	)
	wantDescribe(t, k.run("describe", "pod", "web"),
		"Name", "web",
		"Namespace", "default",
		"Node", "<none>",
		"Labels", "app=web",
		"Status", "Pending",
		"Image", "nginx",
		"QoS Class", "BestEffort",
	)

	// :latest is pulled Always, a pinned tag IfNotPresent; limits without requests make
	// requests equal to the limits, hence Guaranteed.
	wantLines(t, k.apply(`
apiVersion: v1
kind: Pod
metadata:
  name: limited
spec:
  nodeSelector:
    e2e.ordinal.dev/no-such-node: "true"
  containers:
  - name: app
    image: nginx:latest
    resources:
      limits:
        cpu: 500m
        memory: 128Mi
  - name: sidecar
    image: busybox:1.36
    command: ["sleep", "3600"]
    resources:
      limits:
        cpu: 100m
        memory: 64Mi
`), "pod/limited created")
	k.object("pod", "limited").want(
		"spec.containers.0.imagePullPolicy", "Always",
		"spec.containers.1.imagePullPolicy", "IfNotPresent",
		"spec.containers.0.resources.requests.cpu", "500m",
		"spec.containers.0.resources.requests.memory", "128Mi",
		"status.qosClass", "Guaranteed",
	)
	k.table("pods").wantCells(t, "limited", "READY", "0/2", "STATUS", "Pending")

	wantLines(t, k.run("label", "pod", "web", "tier=frontend"), "pod/web labeled")
	k.table("pods", "-l", "tier=frontend").wantCells(t, "web", "STATUS", "Pending")

	// A container's image may change; most of a pod's spec may not.
	wantLines(t, k.run("patch", "pod", "web", "-p", `{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}`), "pod/web patched")
	k.object("pod", "web").want("spec.containers.0.image", "nginx:1.27")
	out := k.fails("patch", "pod", "web", "--type", "merge", "-p", `{"spec":{"restartPolicy":"Never"}}`)
	wantContains(t, out, `The Pod "web" is invalid`, "spec: Forbidden: pod updates may not change fields other than")

	k.run("patch", "pod", "web", "--type", "json", "-p", `[{"op":"add","path":"/metadata/annotations","value":{"note":"hello"}}]`)
	k.object("pod", "web").want("metadata.annotations.note", "hello")

	editor := editorScript(t, "s|image: nginx:1.27|image: nginx:1.28|")
	wantLines(t, k.withEnv("KUBE_EDITOR="+editor).run("edit", "pod", "web"), "pod/web edited")
	k.object("pod", "web").want("spec.containers.0.image", "nginx:1.28")

	// replace with a manifest saved from the server, edited.
	saved := strings.Replace(k.run("get", "pod", "web", "-o", "yaml"), "note: hello", "note: replaced", 1)
	file := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(file, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	wantLines(t, k.run("replace", "-f", file), "pod/web replaced")
	k.object("pod", "web").want("metadata.annotations.note", "replaced")

	// Pods from an invalid manifest are refused with the field at fault.
	out = k.failsStdin(`
apiVersion: v1
kind: Pod
metadata:
  name: Bad_Name
spec:
  containers:
  - name: app
    image: nginx
`, "apply", "-f", "-")
	wantContains(t, out, `The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"`)
	out = k.failsStdin(`
apiVersion: v1
kind: Pod
metadata:
  name: noimage
spec:
  containers:
  - name: app
`, "apply", "-f", "-")
	wantContains(t, out, `The Pod "noimage" is invalid: spec.containers[0].image: Required value`)
}

// TestPodDeletion checks the three ways a pod goes: at once when no node runs it, after
// the grace period when one does, and at once with --grace-period=0 --force.
func TestPodDeletion(t *testing.T) {
	_, k := newSession(t)

	// A pod no node has taken is deleted at once: it is gone when kubectl returns.
	k.run("run", "unscheduled", "--image=nginx", stayPending)
	wantLines(t, k.run("delete", "pod", "unscheduled", "--wait=false"), `pod "unscheduled" deleted`)
	wantContains(t, k.fails("get", "pod", "unscheduled"), `Error from server (NotFound): pods "unscheduled" not found`)

	// A pod bound to a node waits for that node's agent to confirm; there is none, so it
	// stays Terminating...
	wantLines(t, k.apply(`
apiVersion: v1
kind: Pod
metadata:
  name: bound
spec:
  nodeName: node-1
  containers:
  - name: app
    image: nginx:1.27
`), "pod/bound created")
	wantLines(t, k.run("delete", "pod", "bound", "--wait=false"), `pod "bound" deleted`)
	k.table("pod", "bound").wantCells(t, "bound", "STATUS", "Terminating")
	o := k.object("pod", "bound")
	o.want("metadata.deletionGracePeriodSeconds", "30")
	if _, ok := o.get("metadata.deletionTimestamp"); !ok {
		t.Errorf("a terminating pod has metadata.deletionTimestamp:\n%s", o.text)
	}

	// ...until it is deleted by force.
	out := k.exec("", "delete", "pod", "bound", "--grace-period=0", "--force")
	if out.code != 0 {
		t.Fatalf("command failed: %s", out)
	}
	wantLines(t, out.stdout, `pod "bound" force deleted`)
	wantContains(t, out.stderr, "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.")
	wantContains(t, k.fails("get", "pod", "bound"), `Error from server (NotFound): pods "bound" not found`)

	// The seed's `kubectl delete pods <pod> --grace-period=0 --force` on a pod never bound.
	k.run("run", "forced", "--image=nginx", stayPending)
	wantLines(t, k.run("delete", "pods", "forced", "--grace-period=0", "--force"), `pod "forced" force deleted`)
	wantContains(t, k.fails("get", "pod", "forced"), `pods "forced" not found`)

	// Deleting what is not there says so.
	wantContains(t, k.fails("delete", "pod", "ghost"), `Error from server (NotFound): pods "ghost" not found`)
}
