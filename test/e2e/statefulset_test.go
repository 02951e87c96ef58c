package e2e

import (
	"regexp"
	"slices"
	"testing"
)

// TestStatefulSet follows the blog in seed 001: create the StatefulSet and its headless
// Service, look at them every way kubectl offers, change them every way kubectl offers, and
// delete them. Only the API's side is checked; counts that a StatefulSet controller moves
// (READY) are matched as "#/replicas".
func TestStatefulSet(t *testing.T) {
	_, k := newSession(t)

	// Whether the watch starts before or after the create, it prints the set as ADDED.
	watch := k.start("get", "sts", "--watch", "--output-watch-events")

	out := k.run("create", "-f", "testdata/myapp-sts.yaml", "-f", "testdata/myapp-svc-headless.yaml")
	wantLines(t, out, "statefulset.apps/myapp-sts created", "service/myapp-svc-headless created")
	watch.next("EVENT", "NAME", "READY", "AGE")
	watch.next("ADDED", "myapp-sts", "/2")

	// `kubectl get sts,svc,ep` prints a table per kind, names qualified by kind.
	tabs := tables(t, k.run("get", "sts,svc,ep"))
	if len(tabs) < 2 {
		t.Fatalf("want a table for statefulsets and one for services, got %d", len(tabs))
	}
	tabs[0].wantHeader(t, "NAME", "READY", "AGE")
	tabs[0].wantCells(t, "statefulset.apps/myapp-sts", "READY", "#/2")
	wantAge(t, tabs[0].row(t, "statefulset.apps/myapp-sts")["AGE"])
	tabs[1].wantHeader(t, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
	tabs[1].wantCells(t, "service/myapp-svc-headless",
		"TYPE", "ClusterIP", "CLUSTER-IP", "None", "EXTERNAL-IP", "<none>", "PORT(S)", "80/TCP")

	wide := k.table("sts", "-o", "wide")
	wide.wantHeader(t, "NAME", "READY", "AGE", "CONTAINERS", "IMAGES")
	wide.wantCells(t, "myapp-sts", "READY", "#/2", "CONTAINERS", "myapp", "IMAGES", "ghcr.io/c1t1d0s7/go-myweb:alpine")

	// The manifest leaves all of these out; -o yaml shows upstream's defaults.
	sts := k.object("sts", "myapp-sts")
	sts.want(
		"metadata.generation", "1",
		"spec.replicas", "2",
		"spec.serviceName", "myapp-svc-headless",
		"spec.updateStrategy.type", "RollingUpdate",
		"spec.updateStrategy.rollingUpdate.partition", "0",
		"spec.podManagementPolicy", "OrderedReady",
		"spec.revisionHistoryLimit", "10",
		"spec.persistentVolumeClaimRetentionPolicy.whenDeleted", "Retain",
		"spec.persistentVolumeClaimRetentionPolicy.whenScaled", "Retain",
		"spec.template.spec.restartPolicy", "Always",
		"spec.template.spec.dnsPolicy", "ClusterFirst",
		"spec.template.spec.terminationGracePeriodSeconds", "30",
		"spec.template.spec.schedulerName", "default-scheduler",
		"spec.template.spec.containers.0.imagePullPolicy", "IfNotPresent", // tagged, not :latest
		"spec.template.spec.containers.0.ports.0.protocol", "TCP",
		"spec.template.spec.containers.0.terminationMessagePath", "/dev/termination-log",
		"spec.template.spec.containers.0.terminationMessagePolicy", "File",
	)
	if sts.value("metadata.uid") == "" || sts.value("metadata.resourceVersion") == "" {
		t.Errorf("metadata.uid and metadata.resourceVersion must be set:\n%s", sts.text)
	}

	describe := k.run("describe", "sts", "myapp-sts")
	wantDescribe(t, describe,
		"Name", "myapp-sts",
		"Namespace", "default",
		"Selector", "app=myapp-sts",
		"Replicas", "2 desired | # total",
		"Update Strategy", "RollingUpdate",
		"Partition", "0",
	)

	// Labels and annotations are not spec: the generation stays.
	wantLines(t, k.run("label", "sts", "myapp-sts", "tier=web"), "statefulset.apps/myapp-sts labeled")
	wantLines(t, k.run("annotate", "sts", "myapp-sts", "owner=team-a"), "statefulset.apps/myapp-sts annotated")
	k.object("sts", "myapp-sts").want("metadata.generation", "1", "metadata.labels.tier", "web")

	// kubectl scale goes through the /scale subresource and changes spec.replicas.
	wantLines(t, k.run("scale", "sts", "myapp-sts", "--replicas", "4"), "statefulset.apps/myapp-sts scaled")
	k.object("sts", "myapp-sts").want("spec.replicas", "4", "metadata.generation", "2")
	k.table("sts").wantCells(t, "myapp-sts", "READY", "#/4")
	watch.next("MODIFIED", "myapp-sts", "/4")
	scale := parseObject(t, k.run("get", "--raw", "/apis/apps/v1/namespaces/default/statefulsets/myapp-sts/scale"))
	scale.want("kind", "Scale", "apiVersion", "autoscaling/v1", "spec.replicas", "4", "status.selector", "app=myapp-sts")

	// Status goes through /status; it is not spec either. Status sent to the main resource
	// is dropped, so nothing changes at all.
	k.run("patch", "sts", "myapp-sts", "--subresource=status", "--type=merge", "-p", `{"status":{"observedGeneration":2}}`)
	k.object("sts", "myapp-sts").want("metadata.generation", "2", "status.observedGeneration", "2")
	wantLines(t, k.run("patch", "sts", "myapp-sts", "--type=merge", "-p", `{"status":{"replicas":7}}`),
		"statefulset.apps/myapp-sts patched (no change)")

	// A strategic merge patch (kubectl's default) merges containers by name: ports stay.
	wantLines(t, k.run("patch", "sts", "myapp-sts", "-p",
		`{"spec":{"template":{"spec":{"containers":[{"name":"myapp","image":"ghcr.io/c1t1d0s7/go-myweb:v2"}]}}}}`),
		"statefulset.apps/myapp-sts patched")
	k.object("sts", "myapp-sts").want(
		"metadata.generation", "3",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v2",
		"spec.template.spec.containers.0.ports.0.containerPort", "8080",
	)

	// A JSON merge patch replaces the whole list: the ports are gone, and the container's
	// defaults are filled in again.
	k.run("patch", "sts", "myapp-sts", "--type", "merge", "-p",
		`{"spec":{"template":{"spec":{"containers":[{"name":"myapp","image":"ghcr.io/c1t1d0s7/go-myweb:v3"}]}}}}`)
	merged := k.object("sts", "myapp-sts")
	merged.want(
		"metadata.generation", "4",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v3",
		"spec.template.spec.containers.0.imagePullPolicy", "IfNotPresent",
	)
	merged.wantAbsent("spec.template.spec.containers.0.ports")

	// A JSON patch, operation by operation.
	k.run("patch", "sts", "myapp-sts", "--type", "json", "-p",
		`[{"op":"replace","path":"/spec/replicas","value":1},`+
			`{"op":"add","path":"/spec/template/spec/containers/0/ports","value":[{"containerPort":8080}]}]`)
	k.object("sts", "myapp-sts").want(
		"metadata.generation", "5",
		"spec.replicas", "1",
		"spec.template.spec.containers.0.ports.0.containerPort", "8080",
		"spec.template.spec.containers.0.ports.0.protocol", "TCP",
	)

	// kubectl edit, with an "editor" that changes the image.
	editor := editorScript(t, "s|go-myweb:v3|go-myweb:v4|")
	wantLines(t, k.withEnv("KUBE_EDITOR="+editor).run("edit", "sts", "myapp-sts"), "statefulset.apps/myapp-sts edited")
	k.object("sts", "myapp-sts").want(
		"metadata.generation", "6",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v4",
	)

	// An edit the server refuses: kubectl keeps a copy with the reason on top.
	editor = editorScript(t, "s|^  replicas: 1$|  replicas: -1|")
	r := k.withEnv("KUBE_EDITOR="+editor).exec("", "edit", "sts", "myapp-sts")
	if r.code == 0 {
		t.Fatalf("an edit to replicas -1 succeeded: %s", r)
	}
	wantContains(t, r.stderr, `error: statefulsets.apps "myapp-sts" is invalid`, "error: Edit cancelled, no valid changes were saved.")
	if m := regexp.MustCompile(`A copy of your changes has been stored to "([^"]+)"`).FindStringSubmatch(r.stderr); m == nil {
		t.Errorf("kubectl edit kept no copy of the refused edit:\n%s", r.stderr)
	} else {
		wantContains(t, mustRead(t, m[1]), "# * spec.replicas: Invalid value: -1: must be greater than or equal to 0")
	}
	k.object("sts", "myapp-sts").want("spec.replicas", "1", "metadata.generation", "6")

	// kubectl replace puts the manifest back as it is: the label and annotation go too.
	wantLines(t, k.run("replace", "-f", "testdata/myapp-sts.yaml"), "statefulset.apps/myapp-sts replaced")
	replaced := k.object("sts", "myapp-sts")
	replaced.want(
		"metadata.generation", "7",
		"spec.replicas", "2",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:alpine",
		"spec.updateStrategy.rollingUpdate.partition", "0",
	)
	replaced.wantAbsent("metadata.labels.tier", "metadata.annotations.owner")

	wantLines(t, k.run("delete", "sts", "myapp-sts"), `statefulset.apps "myapp-sts" deleted`)
	watch.next("DELETED", "myapp-sts")
	wantContains(t, k.fails("get", "sts", "myapp-sts"),
		`Error from server (NotFound): statefulsets.apps "myapp-sts" not found`)
	wantLines(t, k.run("delete", "-f", "testdata/myapp-svc-headless.yaml"), `service "myapp-svc-headless" deleted`)
}

// TestStatefulSetVolumeClaimTemplates creates the StatefulSets of seeds 001 and 002 that
// carry volumeClaimTemplates, and checks what may and may not change afterwards.
func TestStatefulSetVolumeClaimTemplates(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.run("create", "-f", "testdata/myapp-sts-vol.yaml"), "statefulset.apps/myapp-sts-vol created")
	k.object("sts", "myapp-sts-vol").want(
		"spec.volumeClaimTemplates.0.metadata.name", "myapp-data",
		"spec.volumeClaimTemplates.0.spec.accessModes.0", "ReadWriteOnce",
		"spec.volumeClaimTemplates.0.spec.resources.requests.storage", "1Gi",
		"spec.volumeClaimTemplates.0.spec.storageClassName", "nfs-client",
		"spec.volumeClaimTemplates.0.spec.volumeMode", "Filesystem",
		"spec.volumeClaimTemplates.0.status.phase", "Pending",
		"spec.template.spec.containers.0.volumeMounts.0.mountPath", "/data",
	)

	// The blog scales up and down; only spec.replicas moves (no pods yet: no controller).
	wantLines(t, k.run("scale", "sts", "myapp-sts-vol", "--replicas", "4"), "statefulset.apps/myapp-sts-vol scaled")
	wantLines(t, k.run("scale", "sts", "myapp-sts-vol", "--replicas", "2"), "statefulset.apps/myapp-sts-vol scaled")
	k.object("sts", "myapp-sts-vol").want("spec.replicas", "2", "metadata.generation", "3")

	// Seed 002: what the manifest says is kept, not overwritten by defaults.
	wantLines(t, k.run("create", "-f", "testdata/nginx-sts.yaml"), "statefulset.apps/nginx created")
	k.object("sts", "nginx").want(
		"spec.serviceName", "nginx",
		"spec.podManagementPolicy", "OrderedReady",
		"spec.template.spec.terminationGracePeriodSeconds", "10",
		"spec.template.spec.containers.0.ports.0.name", "web",
		"spec.template.spec.containers.0.ports.0.containerPort", "80",
		"spec.volumeClaimTemplates.0.spec.storageClassName", "standard",
	)
	k.table("sts", "nginx", "-o", "wide").wantCells(t, "nginx",
		"READY", "#/3", "CONTAINERS", "nginx", "IMAGES", "k8s.gcr.io/nginx-slim:0.8")

	// Seed 002's Parallel variant cannot be applied over the existing set:
	// podManagementPolicy is fixed at creation.
	out := k.fails("apply", "-f", "testdata/nginx-sts-parallel.yaml")
	wantContains(t, out, `The StatefulSet "nginx" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas'`)
	k.object("sts", "nginx").want("spec.podManagementPolicy", "OrderedReady")

	// The same goes for volumeClaimTemplates.
	out = k.fails("patch", "sts", "nginx", "--type", "json", "-p",
		`[{"op":"replace","path":"/spec/volumeClaimTemplates/0/spec/resources/requests/storage","value":"2Gi"}]`)
	wantContains(t, out, "spec: Forbidden: updates to statefulset spec for fields other than 'replicas'")

	// In a namespace of its own the Parallel variant is created as written.
	wantLines(t, k.run("create", "namespace", "parallel"), "namespace/parallel created")
	wantLines(t, k.run("create", "-n", "parallel", "-f", "testdata/nginx-sts-parallel.yaml"), "statefulset.apps/nginx created")
	k.object("-n", "parallel", "sts", "nginx").want("spec.podManagementPolicy", "Parallel", "spec.replicas", "3")
}

// TestStatefulSetMySQL creates seed 001's replicated MySQL example the way the blog does,
// `kubectl create -f .` on the directory of its four manifests.
func TestStatefulSetMySQL(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.run("create", "-f", "testdata/mydb"),
		"configmap/mydb-config created",
		"statefulset.apps/mydb created",
		"service/mydb-read created",
		"service/mydb created",
	)

	svc := k.table("svc", "-o", "wide")
	svc.wantHeader(t, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR")
	svc.wantCells(t, "mydb", "TYPE", "ClusterIP", "CLUSTER-IP", "None", "PORT(S)", "3306/TCP",
		"SELECTOR", "app.kubernetes.io/name=mydb,app=mydb")
	svc.wantCells(t, "mydb-read", "TYPE", "ClusterIP", "PORT(S)", "3306/TCP",
		"SELECTOR", "app.kubernetes.io/name=mysql,app=mydb")
	wantServiceIP(t, svc.row(t, "mydb-read")["CLUSTER-IP"])

	k.table("sts", "mydb", "-o", "wide").wantCells(t, "mydb",
		"READY", "#/2",
		"CONTAINERS", "mysql,xtrabackup",
		"IMAGES", "mysql:5.7,gcr.io/google-samples/xtrabackup:1.0",
	)
	k.object("sts", "mydb").want(
		"spec.template.spec.initContainers.0.name", "init-mysql",
		"spec.template.spec.initContainers.0.imagePullPolicy", "IfNotPresent",
		"spec.template.spec.initContainers.1.name", "clone-mysql",
		"spec.template.spec.containers.0.livenessProbe.exec.command.0", "mysqladmin",
		"spec.template.spec.containers.0.livenessProbe.initialDelaySeconds", "30",
		"spec.template.spec.containers.0.livenessProbe.successThreshold", "1",
		"spec.template.spec.containers.0.livenessProbe.failureThreshold", "3",
		"spec.template.spec.containers.0.readinessProbe.periodSeconds", "2",
		"spec.template.spec.containers.0.env.0.value", "1",
		"spec.template.spec.volumes.0.emptyDir", "{}",
		"spec.template.spec.volumes.1.configMap.name", "mydb-config",
		"spec.template.spec.volumes.1.configMap.defaultMode", "420",
		"spec.volumeClaimTemplates.0.spec.volumeMode", "Filesystem",
	)

	// `kubectl get all` lists the kinds in the "all" category.
	var kinds []string
	for _, tab := range tables(t, k.run("get", "all")) {
		kinds = append(kinds, tab.column("NAME")...)
	}
	for _, want := range []string{"service/kubernetes", "service/mydb", "service/mydb-read", "statefulset.apps/mydb"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("kubectl get all does not list %s: %q", want, kinds)
		}
	}

	cm := k.table("cm", "mydb-config")
	cm.wantHeader(t, "NAME", "DATA", "AGE")
	cm.wantCells(t, "mydb-config", "DATA", "2")
	wantContains(t, k.run("describe", "cm", "mydb-config"), "primary.cnf:", "log-bin", "replica.cnf:", "super-read-only")

	// The blog's `kubectl scale sts mydb --replicas 3`.
	wantLines(t, k.run("scale", "sts", "mydb", "--replicas", "3"), "statefulset.apps/mydb scaled")
	k.table("sts", "mydb").wantCells(t, "mydb", "READY", "#/3")
}
