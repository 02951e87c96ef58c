package e2e

import (
	"strings"
	"testing"
)

// inventory lists what kubectl sees of the given kinds in all namespaces, one object per
// line with the given fields.
func inventory(k *kubectl, kinds string, fields ...string) string {
	k.t.Helper()
	return k.run("get", kinds, "-A", "-o",
		`jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{" "}`+strings.Join(fields, `{" "}`)+`{"\n"}{end}`)
}

// TestSurvivesKill9: a write that kubectl saw succeed is on disk, even if the server is
// killed the next instant.
func TestSurvivesKill9(t *testing.T) {
	c, k := newSession(t)

	// (Controllers write a StatefulSet's status, so only its uid and generation are fixed.)
	k.run("create", "-f", "testdata/myapp-sts.yaml")
	sts := k.jsonpath("{.metadata.uid} {.metadata.generation}", "sts", "myapp-sts")
	created := k.run("create", "configmap", "precious", "--from-literal=k=v",
		"-o", "jsonpath={.metadata.uid} {.metadata.resourceVersion}")
	c.kill()

	c.restart()
	if got := k.jsonpath("{.metadata.uid} {.metadata.resourceVersion}", "cm", "precious"); got != created {
		t.Errorf("after kill -9 and restart, configmap precious has uid and resourceVersion %q, want %q as created", got, created)
	}
	if got := k.jsonpath("{.metadata.uid} {.metadata.generation}", "sts", "myapp-sts"); got != sts {
		t.Errorf("after kill -9 and restart, statefulset myapp-sts has uid and generation %q, want %q", got, sts)
	}
	k.object("cm", "precious").want("data.k", "v")

	// And the restarted server takes writes again, with later resourceVersions.
	k.run("patch", "cm", "precious", "-p", `{"data":{"k":"w"}}`)
	k.object("cm", "precious").want("data.k", "w")
}

// TestRestartKeepsEverything: SIGTERM, start again on the same data dir, and every object
// is there as it was; the same kubeconfig still works; allocated cluster IPs stay taken.
func TestRestartKeepsEverything(t *testing.T) {
	c, k := newSession(t)

	k.run("create", "namespace", "shop")
	k.run("create", "-n", "shop", "-f", "testdata/mydb")
	k.run("create", "-n", "shop", "-f", "testdata/myapp-deploy-v1.yaml")
	k.run("create", "service", "clusterip", "front", "-n", "shop", "--tcp=80:8080")
	k.run("create", "secret", "generic", "creds", "-n", "shop", "--from-literal=password=s3cret")
	// Controllers write workloads' status, so of those only uid, generation and spec are
	// fixed; nothing writes the other kinds.
	const kinds, workloads = "namespaces,services,configmaps,secrets", "statefulsets,deployments"
	before := inventory(k, kinds, "{.metadata.uid}", "{.metadata.resourceVersion}")
	workloadsBefore := inventory(k, workloads, "{.metadata.uid}", "{.metadata.generation}", "{.spec}")
	frontIP := k.jsonpath("{.spec.clusterIP}", "svc", "front", "-n", "shop")
	kubeconfig := mustRead(t, c.kubeconfig())

	c.stop()
	wantContains(t, c.stdout.String(), "shutting down")
	c.restart()

	if after := inventory(k, kinds, "{.metadata.uid}", "{.metadata.resourceVersion}"); after != before {
		t.Errorf("objects changed across a restart\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if after := inventory(k, workloads, "{.metadata.uid}", "{.metadata.generation}", "{.spec}"); after != workloadsBefore {
		t.Errorf("workloads changed across a restart\nbefore:\n%s\nafter:\n%s", workloadsBefore, after)
	}
	if got := mustRead(t, c.kubeconfig()); got != kubeconfig {
		t.Errorf("the kubeconfig changed across a restart:\nbefore:\n%s\nafter:\n%s", kubeconfig, got)
	}
	k.table("svc", "front", "-n", "shop").wantCells(t, "front", "CLUSTER-IP", frontIP)

	// New services do not get addresses already handed out before the restart.
	taken := map[string]bool{}
	for _, ip := range strings.Fields(k.jsonpath(`{range .items[*]}{.spec.clusterIP}{" "}{end}`, "svc", "-A")) {
		taken[ip] = true
	}
	for _, name := range []string{"new-1", "new-2", "new-3"} {
		k.run("create", "service", "clusterip", name, "-n", "shop", "--tcp=80:80")
		ip := k.jsonpath("{.spec.clusterIP}", "svc", name, "-n", "shop")
		wantServiceIP(t, ip)
		if taken[ip] {
			t.Errorf("service %s got cluster IP %s, which another service already has", name, ip)
		}
		taken[ip] = true
	}
}
