package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The StatefulSet scenarios of seeds 000, 001, 002 and 004 on the simulated runtime, with the
// real scheduler, controllers and node agent, seen through kubectl (issue 3's checklist).

func webStatefulSet(name string, replicas int, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  clusterIP: None
  selector:
    app: %[1]s
  ports:
  - port: 80
    name: web
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: %[1]s
spec:
  serviceName: %[1]s
  replicas: %[2]d
%[3]s  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.8
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
`, name, replicas, extra)
}

// podNames lists the pods of app in name order, with their phase and readiness.
func podStates(k *kubectl, app string) string {
	return strings.TrimSpace(k.run("get", "pods", "-l", "app="+app, "--sort-by=.metadata.name",
		"-o", `jsonpath={range .items[*]}{.metadata.name}={.status.phase}/{.status.conditions[?(@.type=="Ready")].status} {end}`))
}

func claimUIDs(k *kubectl, app string) string {
	return strings.TrimSpace(k.run("get", "pvc", "-l", "app="+app, "--sort-by=.metadata.name",
		"-o", `jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}/{.status.phase} {end}`))
}

func TestStatefulSetOrderedLifecycleOnSim(t *testing.T) {
	_, k := newSession(t)
	k.apply(webStatefulSet("web", 3, ""))
	// Each pod is created only once its predecessor is Running and Ready: watch the names
	// appear and check the order.
	out := k.run("rollout", "status", "sts/web", "--timeout=60s")
	wantContains(t, out, "partitioned roll out complete: 3 new pods have been updated...")
	if got := podStates(k, "web"); got != "web-0=Running/True web-1=Running/True web-2=Running/True" {
		t.Fatalf("pods: %s", got)
	}
	events := k.run("get", "events", "--field-selector", "involvedObject.kind=StatefulSet,reason=SuccessfulCreate", "--sort-by=.metadata.creationTimestamp", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
	wantContains(t, events, "create Claim www-web-0 Pod web-0 in StatefulSet web success", "create Pod web-2 in StatefulSet web successful")
	if i0, i1, i2 := strings.Index(events, "Pod web-0 in"), strings.Index(events, "Pod web-1 in"), strings.Index(events, "Pod web-2 in"); !(i0 < i1 && i1 < i2) {
		t.Errorf("pods not created in order:\n%s", events)
	}
	// Identity: labels, hostname and subdomain, the claim per ordinal.
	pod := k.object("pod", "web-1")
	pod.want("metadata.labels.statefulset\\.kubernetes\\.io/pod-name", "web-1", "metadata.labels.apps\\.kubernetes\\.io/pod-index", "1",
		"spec.hostname", "web-1", "spec.subdomain", "web")
	claims := claimUIDs(k, "web")

	// Scale 3→5→2: the highest ordinals go first, every claim stays.
	k.run("scale", "sts", "web", "--replicas=5")
	k.run("rollout", "status", "sts/web", "--timeout=60s")
	k.run("scale", "sts", "web", "--replicas=2")
	eventually(t, 30*time.Second, func() string {
		if got := podStates(k, "web"); got != "web-0=Running/True web-1=Running/True" {
			return "pods: " + got
		}
		return ""
	})
	if n := strings.Count(claimUIDs(k, "web"), "/Bound"); n != 5 {
		t.Fatalf("claims after scale-down: %s", claimUIDs(k, "web"))
	}
	// Scaling up again reuses the same claims.
	k.run("scale", "sts", "web", "--replicas=3")
	k.run("rollout", "status", "sts/web", "--timeout=60s")
	for _, c := range strings.Fields(claims) {
		if !strings.Contains(claimUIDs(k, "web"), c) {
			t.Errorf("claim %s not kept (now %s)", c, claimUIDs(k, "web"))
		}
	}

	// A deleted pod comes back with the same name and claim.
	uid := k.jsonpath("{.metadata.uid}", "pod", "web-1")
	k.run("delete", "pod", "web-1", "--wait=false")
	eventually(t, 30*time.Second, func() string {
		if got := podStates(k, "web"); got != "web-0=Running/True web-1=Running/True web-2=Running/True" {
			return "pods: " + got
		}
		if k.jsonpath("{.metadata.uid}", "pod", "web-1") == uid {
			return "web-1 not replaced yet"
		}
		return ""
	})
	k.object("pod", "web-1").want("spec.volumes.0.persistentVolumeClaim.claimName", "www-web-1")

	// An image change rolls from the highest ordinal down; history and undo follow.
	k.run("set", "image", "sts/web", "nginx=registry.k8s.io/nginx-slim:0.9")
	wantContains(t, k.run("rollout", "status", "sts/web", "--timeout=60s"), "partitioned roll out complete: 3 new pods have been updated...")
	if got := k.jsonpath("{.spec.containers[0].image}", "pod", "web-0"); got != "registry.k8s.io/nginx-slim:0.9" {
		t.Errorf("web-0 runs %s after the rollout", got)
	}
	wantContains(t, k.run("rollout", "history", "sts/web"), "REVISION", "1 ", "2 ")
	wantContains(t, k.run("rollout", "undo", "sts/web"), "statefulset.apps/web rolled back")
	k.run("rollout", "status", "sts/web", "--timeout=60s")
	if got := k.jsonpath("{.spec.template.spec.containers[0].image}", "sts", "web"); got != "registry.k8s.io/nginx-slim:0.8" {
		t.Errorf("undo left the template at %s", got)
	}

	// Deleting the set keeps the claims; a new set with the same name takes them back.
	k.run("delete", "sts", "web")
	eventually(t, 30*time.Second, func() string {
		if got := podStates(k, "web"); got != "" {
			return "pods left: " + got
		}
		return ""
	})
	if n := strings.Count(claimUIDs(k, "web"), "/Bound"); n != 5 {
		t.Fatalf("claims after deleting the set: %s", claimUIDs(k, "web"))
	}
	k.apply(webStatefulSet("web", 3, ""))
	k.run("rollout", "status", "sts/web", "--timeout=60s")
	for _, c := range strings.Fields(claims) {
		if !strings.Contains(claimUIDs(k, "web"), c) {
			t.Errorf("claim %s not re-attached (now %s)", c, claimUIDs(k, "web"))
		}
	}
}

func TestStatefulSetPolicyAndUpdatesOnSim(t *testing.T) {
	_, k := newSession(t)
	// OrderedReady halts behind a pod that never becomes ready; Parallel does not.
	halted := strings.Replace(webStatefulSet("halt", 3, ""), "      labels:\n        app: halt\n",
		"      labels:\n        app: halt\n      annotations:\n        sim.ordinal.dev/never-ready: \"true\"\n", 1)
	parallel := strings.Replace(webStatefulSet("par", 3, "  podManagementPolicy: Parallel\n"), "      labels:\n        app: par\n",
		"      labels:\n        app: par\n      annotations:\n        sim.ordinal.dev/never-ready: \"true\"\n", 1)
	k.apply(halted)
	k.apply(parallel)
	eventually(t, 30*time.Second, func() string {
		if got := podStates(k, "par"); got != "par-0=Running/False par-1=Running/False par-2=Running/False" {
			return "parallel pods: " + got
		}
		return ""
	})
	// By now the ordered set has had every chance to go on; it has not.
	if got := podStates(k, "halt"); got != "halt-0=Running/False" {
		t.Errorf("ordered set behind a never-ready pod: %s", got)
	}

	// partition: 2 on 5 replicas updates only 4, 3, 2.
	k.apply(webStatefulSet("canary", 5, ""))
	k.run("rollout", "status", "sts/canary", "--timeout=60s")
	old := k.jsonpath("{.status.updateRevision}", "sts", "canary")
	k.run("patch", "sts", "canary", "-p", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}`)
	k.run("set", "image", "sts/canary", "nginx=registry.k8s.io/nginx-slim:0.9")
	wantContains(t, k.run("rollout", "status", "sts/canary", "--timeout=60s"), "partitioned roll out complete: 3 new pods have been updated...")
	updated := k.jsonpath("{.status.updateRevision}", "sts", "canary")
	for i := 0; i < 5; i++ {
		want := updated
		if i < 2 {
			want = old
		}
		if got := k.jsonpath("{.metadata.labels.controller-revision-hash}", "pod", fmt.Sprintf("canary-%d", i)); got != want {
			t.Errorf("canary-%d at revision %s, want %s", i, got, want)
		}
	}

	// OnDelete updates only the pods that are deleted.
	k.apply(webStatefulSet("ondel", 2, "  updateStrategy:\n    type: OnDelete\n"))
	eventually(t, 30*time.Second, func() string {
		if got := podStates(k, "ondel"); got != "ondel-0=Running/True ondel-1=Running/True" {
			return "pods: " + got
		}
		return ""
	})
	before := k.jsonpath("{.metadata.labels.controller-revision-hash}", "pod", "ondel-0")
	k.run("set", "image", "sts/ondel", "nginx=registry.k8s.io/nginx-slim:0.9")
	// --wait=false: on the sim runtime the pod is gone and replaced within milliseconds,
	// and kubectl's wait can then miss the DELETED event (it lists after its GET and finds
	// the replacement); polling for the new pod is what a user would do.
	k.run("delete", "pod", "ondel-1", "--wait=false")
	eventually(t, 30*time.Second, func() string {
		if got := k.jsonpath("{.spec.containers[0].image}", "pod", "ondel-1"); got != "registry.k8s.io/nginx-slim:0.9" {
			return "ondel-1 runs " + got
		}
		return ""
	})
	if got := k.jsonpath("{.metadata.labels.controller-revision-hash}", "pod", "ondel-0"); got != before {
		t.Errorf("OnDelete updated ondel-0 (%s → %s) without a delete", before, got)
	}
}
