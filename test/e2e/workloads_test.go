package e2e

import (
	"strings"
	"testing"
)

// TestDeployment follows seed 001's Deployment section: create, look, set image, scale,
// patch, edit, replace, delete.
func TestDeployment(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.run("create", "-f", "testdata/myapp-deploy-v1.yaml"), "deployment.apps/myapp-deploy created")

	deploy := k.table("deploy")
	deploy.wantHeader(t, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
	deploy.wantCells(t, "myapp-deploy", "READY", "#/3", "UP-TO-DATE", "#", "AVAILABLE", "#")
	wide := k.table("deploy", "-o", "wide")
	wide.wantHeader(t, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	wide.wantCells(t, "myapp-deploy",
		"CONTAINERS", "myapp", "IMAGES", "ghcr.io/c1t1d0s7/go-myweb:v1.0", "SELECTOR", "app=myapp-deploy")

	// The manifest's strategy is kept as written (integers, not percentages); what it
	// leaves out is defaulted.
	k.object("deploy", "myapp-deploy").want(
		"metadata.generation", "1",
		"spec.strategy.type", "RollingUpdate",
		"spec.strategy.rollingUpdate.maxUnavailable", "1",
		"spec.strategy.rollingUpdate.maxSurge", "1",
		"spec.minReadySeconds", "20",
		"spec.progressDeadlineSeconds", "600",
		"spec.revisionHistoryLimit", "10",
		"spec.template.spec.restartPolicy", "Always",
		"spec.template.spec.dnsPolicy", "ClusterFirst",
		"spec.template.spec.terminationGracePeriodSeconds", "30",
		"spec.template.spec.containers.0.imagePullPolicy", "IfNotPresent",
	)
	wantDescribe(t, k.run("describe", "deploy", "myapp-deploy"),
		"Name", "myapp-deploy",
		"Selector", "app=myapp-deploy",
		"StrategyType", "RollingUpdate",
		"MinReadySeconds", "20",
		"RollingUpdateStrategy", "1 max unavailable, 1 max surge",
	)

	// A deployment made by `kubectl create deployment` says nothing about its strategy:
	// 25%/25%, and an untagged image is pulled Always.
	wantLines(t, k.run("create", "deployment", "web", "--image=nginx"), "deployment.apps/web created")
	k.object("deploy", "web").want(
		"spec.replicas", "1",
		"spec.strategy.type", "RollingUpdate",
		"spec.strategy.rollingUpdate.maxUnavailable", "25%",
		"spec.strategy.rollingUpdate.maxSurge", "25%",
		"spec.progressDeadlineSeconds", "600",
		"spec.revisionHistoryLimit", "10",
		"spec.template.spec.containers.0.imagePullPolicy", "Always",
	)
	wantDescribe(t, k.run("describe", "deploy", "web"), "RollingUpdateStrategy", "25% max unavailable, 25% max surge")

	// The blog's new version: set image.
	wantLines(t, k.run("set", "image", "deployment", "myapp-deploy", "myapp=ghcr.io/c1t1d0s7/go-myweb:v2.0"),
		"deployment.apps/myapp-deploy image updated")
	k.object("deploy", "myapp-deploy").want(
		"metadata.generation", "2",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v2.0",
	)

	wantLines(t, k.run("scale", "deployment", "myapp-deploy", "--replicas=5"), "deployment.apps/myapp-deploy scaled")
	k.object("deploy", "myapp-deploy").want("spec.replicas", "5", "metadata.generation", "3")
	k.table("deploy", "myapp-deploy").wantCells(t, "myapp-deploy", "READY", "#/5")

	// Strategic merge keeps maxUnavailable; a merge patch to Recreate must drop
	// rollingUpdate, or validation refuses it.
	k.run("patch", "deploy", "myapp-deploy", "-p", `{"spec":{"strategy":{"rollingUpdate":{"maxSurge":"50%"}}}}`)
	k.object("deploy", "myapp-deploy").want(
		"spec.strategy.rollingUpdate.maxSurge", "50%",
		"spec.strategy.rollingUpdate.maxUnavailable", "1",
	)
	out := k.fails("patch", "deploy", "myapp-deploy", "--type", "merge", "-p", `{"spec":{"strategy":{"type":"Recreate"}}}`)
	wantContains(t, out, `The Deployment "myapp-deploy" is invalid`,
		"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'")
	k.run("patch", "deploy", "myapp-deploy", "--type", "merge", "-p", `{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}`)
	recreate := k.object("deploy", "myapp-deploy")
	recreate.want("spec.strategy.type", "Recreate")
	recreate.wantAbsent("spec.strategy.rollingUpdate")
	wantDescribe(t, k.run("describe", "deploy", "myapp-deploy"), "StrategyType", "Recreate")

	k.run("patch", "deploy", "myapp-deploy", "--type", "json", "-p", `[{"op":"replace","path":"/spec/minReadySeconds","value":5}]`)
	k.object("deploy", "myapp-deploy").want("spec.minReadySeconds", "5")

	editor := editorScript(t, "s|minReadySeconds: 5|minReadySeconds: 30|")
	wantLines(t, k.withEnv("KUBE_EDITOR="+editor).run("edit", "deploy", "myapp-deploy"), "deployment.apps/myapp-deploy edited")
	k.object("deploy", "myapp-deploy").want("spec.minReadySeconds", "30")

	wantLines(t, k.run("replace", "-f", "testdata/myapp-deploy-v1.yaml"), "deployment.apps/myapp-deploy replaced")
	k.object("deploy", "myapp-deploy").want(
		"spec.replicas", "3",
		"spec.minReadySeconds", "20",
		"spec.strategy.type", "RollingUpdate",
		"spec.strategy.rollingUpdate.maxSurge", "1",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v1.0",
	)

	// The selector of an apps/v1 Deployment is fixed at creation.
	out = k.fails("patch", "deploy", "myapp-deploy", "--type", "merge", "-p",
		`{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}`)
	wantContains(t, out, "spec.selector: Invalid value:", "field is immutable")

	wantLines(t, k.run("delete", "deploy", "myapp-deploy", "web"),
		`deployment.apps "myapp-deploy" deleted`, `deployment.apps "web" deleted`)
	wantContains(t, k.fails("get", "deploy", "web"), `Error from server (NotFound): deployments.apps "web" not found`)

	// kubectl apply, as the blog goes from v1 to v3: created, unchanged, configured.
	wantLines(t, k.run("apply", "-f", "testdata/myapp-deploy-v1.yaml"), "deployment.apps/myapp-deploy created")
	wantLines(t, k.run("apply", "-f", "testdata/myapp-deploy-v1.yaml"), "deployment.apps/myapp-deploy unchanged")
	v1 := mustRead(t, "testdata/myapp-deploy-v1.yaml")
	// The blog shows only v3's new annotation; its image is the blog's next version.
	v3 := strings.Replace(v1, "  labels:\n    app: myapp-deploy\n",
		"  labels:\n    app: myapp-deploy\n  annotations:\n    kubernetes.io/change-cause: My Golang Web App Version 3\n", 1)
	v3 = strings.Replace(v3, "go-myweb:v1.0", "go-myweb:v3.0", 1)
	wantLines(t, k.apply(v3), "deployment.apps/myapp-deploy configured")
	k.object("deploy", "myapp-deploy").want(
		"metadata.generation", "2",
		"metadata.annotations.kubernetes\\.io/change-cause", "My Golang Web App Version 3",
		"spec.template.spec.containers.0.image", "ghcr.io/c1t1d0s7/go-myweb:v3.0",
	)
	wantLines(t, k.apply(v3), "deployment.apps/myapp-deploy unchanged")
}

// TestReplicaSetsAndReplicationControllers creates a ReplicaSet (Kubernetes' documentation
// example) and seed 002's ReplicationController with its claim.
func TestReplicaSetsAndReplicationControllers(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.apply(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels:
    app: guestbook
    tier: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: php-redis
        image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5
`), "replicaset.apps/frontend created")
	rs := k.table("rs", "-o", "wide")
	rs.wantHeader(t, "NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	rs.wantCells(t, "frontend", "DESIRED", "3", "CURRENT", "#", "READY", "#",
		"CONTAINERS", "php-redis", "IMAGES", "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
		"SELECTOR", "tier=frontend")
	wantLines(t, k.run("scale", "rs", "frontend", "--replicas=1"), "replicaset.apps/frontend scaled")
	k.object("rs", "frontend").want("spec.replicas", "1", "metadata.generation", "2")
	wantDescribe(t, k.run("describe", "rs", "frontend"), "Name", "frontend", "Selector", "tier=frontend",
		"Replicas", "# current / 1 desired")

	// A template whose labels do not match the selector is refused.
	out := k.failsStdin(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: mismatched
spec:
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: backend
    spec:
      containers:
      - name: c
        image: busybox
`, "apply", "-f", "-")
	wantContains(t, out, `The ReplicaSet "mismatched" is invalid`,
		"spec.template.metadata.labels: Invalid value:", "`selector` does not match template `labels`")

	out = k.run("create", "-f", "testdata/helloweb-rc.yaml")
	wantLines(t, out, "persistentvolumeclaim/helloweb-disk created", "replicationcontroller/nginx created")
	rc := k.table("rc", "-o", "wide")
	rc.wantHeader(t, "NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	rc.wantCells(t, "nginx", "DESIRED", "3", "CURRENT", "#", "READY", "#",
		"CONTAINERS", "nginx", "IMAGES", "nginx:1.7.9", "SELECTOR", "app=nginx")
	k.object("rc", "nginx").want(
		"metadata.generation", "1",
		"spec.template.spec.restartPolicy", "Always",
		"spec.template.spec.containers.0.ports.0.containerPort", "8090",
		"spec.template.spec.volumes.0.persistentVolumeClaim.claimName", "helloweb-disk",
	)
	wantLines(t, k.run("scale", "rc", "nginx", "--replicas=1"), "replicationcontroller/nginx scaled")
	k.object("rc", "nginx").want("spec.replicas", "1", "metadata.generation", "2")
	k.table("pvc").row(t, "helloweb-disk")

	wantLines(t, k.run("delete", "-f", "testdata/helloweb-rc.yaml"),
		`persistentvolumeclaim "helloweb-disk" deleted`, `replicationcontroller "nginx" deleted`)
	wantLines(t, k.run("delete", "rs", "frontend"), `replicaset.apps "frontend" deleted`)
}

// TestDaemonSetsAndControllerRevisions covers the two other apps/v1 kinds.
func TestDaemonSetsAndControllerRevisions(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.apply(`
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
`), "daemonset.apps/fluentd-elasticsearch created")
	ds := k.table("ds", "-n", "kube-system", "-o", "wide")
	ds.wantHeader(t, "NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE",
		"CONTAINERS", "IMAGES", "SELECTOR")
	ds.wantCells(t, "fluentd-elasticsearch", "DESIRED", "#", "CURRENT", "#", "READY", "#", "UP-TO-DATE", "#",
		"AVAILABLE", "#", "NODE SELECTOR", "<none>", "CONTAINERS", "fluentd-elasticsearch",
		"IMAGES", "quay.io/fluentd_elasticsearch/fluentd:v2.5.2", "SELECTOR", "name=fluentd-elasticsearch")
	k.object("ds", "-n", "kube-system", "fluentd-elasticsearch").want(
		"metadata.generation", "1",
		"metadata.annotations.deprecated\\.daemonset\\.template\\.generation", "1",
		"spec.updateStrategy.type", "RollingUpdate",
		"spec.updateStrategy.rollingUpdate.maxUnavailable", "1",
		"spec.updateStrategy.rollingUpdate.maxSurge", "0",
		"spec.revisionHistoryLimit", "10",
		"spec.template.spec.restartPolicy", "Always",
	)

	// A new template is a new template generation.
	k.run("set", "image", "-n", "kube-system", "ds/fluentd-elasticsearch", "fluentd-elasticsearch=quay.io/fluentd_elasticsearch/fluentd:v2.6.0")
	k.object("ds", "-n", "kube-system", "fluentd-elasticsearch").want(
		"metadata.generation", "2",
		"metadata.annotations.deprecated\\.daemonset\\.template\\.generation", "2",
	)

	// A revision as the StatefulSet controller records one, owned by its set.
	k.run("create", "-f", "testdata/myapp-sts.yaml")
	owner := k.jsonpath("{.metadata.uid}", "sts", "myapp-sts")
	wantLines(t, k.apply(`
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: web-6b8d9c7f4
  ownerReferences:
  - apiVersion: apps/v1
    kind: StatefulSet
    name: myapp-sts
    uid: `+owner+`
    controller: true
revision: 1
data:
  spec:
    template:
      spec:
        containers:
        - name: nginx
          image: nginx:1.25
`), "controllerrevision.apps/web-6b8d9c7f4 created")
	cr := k.table("controllerrevisions")
	cr.wantHeader(t, "NAME", "CONTROLLER", "REVISION", "AGE")
	cr.wantCells(t, "web-6b8d9c7f4", "CONTROLLER", "statefulset.apps/myapp-sts", "REVISION", "1")
	k.object("controllerrevision", "web-6b8d9c7f4").want("data.spec.template.spec.containers.0.image", "nginx:1.25")

	// Revisions are immutable records, save for their revision number.
	out := k.fails("patch", "controllerrevision", "web-6b8d9c7f4", "--type", "merge", "-p", `{"data":{"spec":{"replicas":2}}}`)
	wantContains(t, out, "data: Invalid value:", "field is immutable")
	k.run("patch", "controllerrevision", "web-6b8d9c7f4", "--type", "merge", "-p", `{"revision":3}`)
	k.table("controllerrevisions").wantCells(t, "web-6b8d9c7f4", "REVISION", "3")

	wantLines(t, k.run("delete", "ds", "-n", "kube-system", "fluentd-elasticsearch"), `daemonset.apps "fluentd-elasticsearch" deleted`)
	wantLines(t, k.run("delete", "controllerrevision", "web-6b8d9c7f4"), `controllerrevision.apps "web-6b8d9c7f4" deleted`)
}

// TestJobsAndCronJobs covers batch/v1.
func TestJobsAndCronJobs(t *testing.T) {
	_, k := newSession(t)

	// Kubernetes' documentation example, with a node selector no node matches: its pod
	// never runs, so the job stays Running whatever controllers do.
	wantLines(t, k.apply(`
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      nodeSelector:
        e2e.ordinal.dev/no-such-node: "true"
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
`), "job.batch/pi created")
	jobs := k.table("jobs", "-o", "wide")
	jobs.wantHeader(t, "NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	jobs.wantCells(t, "pi", "STATUS", "Running", "COMPLETIONS", "0/1", "CONTAINERS", "pi", "IMAGES", "perl:5.34.0")
	job := k.object("job", "pi")
	uid := job.value("metadata.uid")
	job.want(
		"spec.completions", "1",
		"spec.parallelism", "1",
		"spec.backoffLimit", "4",
		"spec.completionMode", "NonIndexed",
		"spec.suspend", "false",
		"spec.podReplacementPolicy", "TerminatingOrFailed",
		"spec.selector.matchLabels.batch\\.kubernetes\\.io/controller-uid", uid,
		"spec.template.metadata.labels.batch\\.kubernetes\\.io/controller-uid", uid,
		"spec.template.metadata.labels.batch\\.kubernetes\\.io/job-name", "pi",
		"spec.template.metadata.labels.controller-uid", uid,
		"spec.template.metadata.labels.job-name", "pi",
		"spec.template.spec.restartPolicy", "Never",
	)
	if sel := jobs.row(t, "pi")["SELECTOR"]; sel != "batch.kubernetes.io/controller-uid="+uid {
		t.Errorf("SELECTOR = %q, want batch.kubernetes.io/controller-uid=%s", sel, uid)
	}

	// A job's pod template cannot change once created.
	out := k.fails("patch", "job", "pi", "--type", "merge", "-p",
		`{"spec":{"template":{"spec":{"containers":[{"name":"pi","image":"perl:5.36.0"}]}}}}`)
	wantContains(t, out, `The Job "pi" is invalid`, "spec.template: Invalid value:", "field is immutable")
	// ...but it can be suspended.
	k.run("patch", "job", "pi", "--type", "merge", "-p", `{"spec":{"suspend":true}}`)
	k.object("job", "pi").want("spec.suspend", "true")

	// Jobs only run pods that stop: restartPolicy Always is refused.
	out = k.failsStdin(`
apiVersion: batch/v1
kind: Job
metadata:
  name: forever
spec:
  template:
    spec:
      containers:
      - name: c
        image: busybox
      restartPolicy: Always
`, "apply", "-f", "-")
	wantContains(t, out, `The Job "forever" is invalid`, "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"")

	wantLines(t, k.run("create", "job", "hello", "--image=busybox:1.28", "--", "echo", "hi"), "job.batch/hello created")
	k.object("job", "hello").want("spec.template.spec.restartPolicy", "Never", "spec.template.spec.containers.0.command.1", "hi")

	// Once a year, so that no run starts while the test looks.
	wantLines(t, k.run("create", "cronjob", "tick", "--image=busybox:1.28", "--schedule=0 0 1 1 *", "--", "date"),
		"cronjob.batch/tick created")
	cj := k.table("cronjobs")
	cj.wantHeader(t, "NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE")
	cj.wantCells(t, "tick", "SCHEDULE", "0 0 1 1 *", "TIMEZONE", "<none>", "SUSPEND", "False",
		"ACTIVE", "0", "LAST SCHEDULE", "<none>")
	k.object("cj", "tick").want(
		"spec.concurrencyPolicy", "Allow",
		"spec.suspend", "false",
		"spec.successfulJobsHistoryLimit", "3",
		"spec.failedJobsHistoryLimit", "1",
		"spec.jobTemplate.spec.template.spec.restartPolicy", "OnFailure",
		"spec.jobTemplate.spec.template.spec.containers.0.imagePullPolicy", "IfNotPresent",
	)
	k.run("patch", "cj", "tick", "-p", `{"spec":{"suspend":true}}`)
	k.table("cj", "tick").wantCells(t, "tick", "SUSPEND", "True")

	out = k.fails("create", "cronjob", "bad", "--image=busybox", "--schedule=bogus")
	wantContains(t, out, `spec.schedule: Invalid value: "bogus"`)

	wantLines(t, k.run("delete", "cj", "tick"), `cronjob.batch "tick" deleted`)
	wantLines(t, k.run("delete", "job", "pi", "hello"), `job.batch "pi" deleted`, `job.batch "hello" deleted`)
}

// TestExplain prints upstream's field documentation, as seed 001 does.
func TestExplain(t *testing.T) {
	_, k := newSession(t)

	out := k.run("explain", "deploy.spec.strategy")
	wantContains(t, out,
		"KIND:       Deployment",
		"VERSION:    v1",
		"FIELD: strategy <DeploymentStrategy>",
		"The deployment strategy to use to replace existing pods with new ones.",
		"rollingUpdate\t<RollingUpdateDeployment>",
		"type\t<string>",
		`Type of deployment. Can be "Recreate" or "RollingUpdate". Default is`,
	)

	out = k.run("explain", "sts.spec.updateStrategy")
	wantContains(t, out,
		"KIND:       StatefulSet",
		"FIELD: updateStrategy <StatefulSetUpdateStrategy>",
		"updateStrategy indicates the StatefulSetUpdateStrategy that will be employed",
		"rollingUpdate\t<RollingUpdateStatefulSetStrategy>",
		"enum: OnDelete, RollingUpdate",
	)

	out = k.run("explain", "sts.spec.updateStrategy.rollingUpdate.partition")
	wantContains(t, out, "FIELD: partition <integer>", "Partition indicates the ordinal at which the StatefulSet should be")

	// The blog's typos, as a new user types them, fail with kubectl's hint.
	wantContains(t, k.fails("explain", "deploy.sepc"), `field "sepc" does not exist`)
}
