package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestServices covers cluster IP allocation from 10.43.0.0/16, headless services (seed
// 000), node ports, and what may not change once a service exists.
func TestServices(t *testing.T) {
	_, k := newSession(t)

	// The API's own service has the first address of the range.
	svc := k.table("svc")
	svc.wantHeader(t, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
	svc.wantCells(t, "kubernetes", "TYPE", "ClusterIP", "CLUSTER-IP", "10.43.0.1", "EXTERNAL-IP", "<none>", "PORT(S)", "443/TCP")

	wantLines(t, k.run("apply", "-f", "testdata/random-generator-svc.yaml"), "service/random-generator created")
	k.table("svc", "random-generator").wantCells(t, "random-generator", "CLUSTER-IP", "None", "PORT(S)", "8080/TCP")
	k.object("svc", "random-generator").want(
		"spec.type", "ClusterIP",
		"spec.clusterIP", "None",
		"spec.clusterIPs.0", "None",
		"spec.ports.0.name", "http",
		"spec.ports.0.protocol", "TCP",
		"spec.ports.0.targetPort", "8080",
		"spec.sessionAffinity", "None",
	)

	wantLines(t, k.run("create", "service", "clusterip", "my-cs", "--tcp=5678:8080"), "service/my-cs created")
	wide := k.table("svc", "my-cs", "-o", "wide")
	wide.wantHeader(t, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR")
	wide.wantCells(t, "my-cs", "TYPE", "ClusterIP", "EXTERNAL-IP", "<none>", "PORT(S)", "5678/TCP", "SELECTOR", "app=my-cs")
	ip := wide.row(t, "my-cs")["CLUSTER-IP"]
	wantServiceIP(t, ip)
	k.object("svc", "my-cs").want(
		"spec.clusterIP", ip,
		"spec.clusterIPs.0", ip,
		"spec.ipFamilies.0", "IPv4",
		"spec.ipFamilyPolicy", "SingleStack",
		"spec.internalTrafficPolicy", "Cluster",
		"spec.sessionAffinity", "None",
		"spec.ports.0.port", "5678",
		"spec.ports.0.targetPort", "8080",
		"spec.ports.0.protocol", "TCP",
	)
	wantDescribe(t, k.run("describe", "svc", "my-cs"),
		"Name", "my-cs",
		"Selector", "app=my-cs",
		"Type", "ClusterIP",
		"IP", ip,
		"TargetPort", "8080/TCP",
	)

	// An address asked for is kept; the same address twice, or one outside the range, is
	// refused.
	requested := func(name, ip string) string {
		return `
apiVersion: v1
kind: Service
metadata:
  name: ` + name + `
spec:
  clusterIP: ` + ip + `
  selector:
    app: fixed
  ports:
  - port: 80
`
	}
	wantLines(t, k.apply(requested("fixed", "10.43.100.100")), "service/fixed created")
	k.table("svc", "fixed").wantCells(t, "fixed", "CLUSTER-IP", "10.43.100.100")
	out := k.failsStdin(requested("twin", "10.43.100.100"), "apply", "-f", "-")
	wantContains(t, out, `The Service "twin" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.100.100"}`,
		"provided IP is already allocated")
	out = k.failsStdin(requested("outside", "10.0.0.5"), "apply", "-f", "-")
	wantContains(t, out, `The Service "outside" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}`,
		"is not in the valid range")

	// Deleting a service frees its address.
	wantLines(t, k.run("delete", "svc", "fixed"), `service "fixed" deleted`)
	wantLines(t, k.apply(requested("twin", "10.43.100.100")), "service/twin created")

	// The address stays with the service.
	out = k.fails("patch", "svc", "my-cs", "--type", "merge", "-p", `{"spec":{"clusterIP":"10.43.7.7","clusterIPs":["10.43.7.7"]}}`)
	wantContains(t, out, `The Service "my-cs" is invalid`, "may not change once set")
	k.table("svc", "my-cs").wantCells(t, "my-cs", "CLUSTER-IP", ip)

	// Ports can change. A strategic merge patch merges them by port number, a merge patch
	// replaces the list, a JSON patch appends.
	k.run("patch", "svc", "my-cs", "-p", `{"spec":{"ports":[{"name":"metrics","port":9090,"targetPort":9090},{"name":"main","port":5678}]}}`)
	k.object("svc", "my-cs").want("spec.ports.#", "2")
	wantPorts(t, k.table("svc", "my-cs").row(t, "my-cs")["PORT(S)"], "5678/TCP", "9090/TCP")
	k.run("patch", "svc", "my-cs", "--type", "merge", "-p", `{"spec":{"ports":[{"name":"metrics","port":9090,"targetPort":9090}]}}`)
	k.table("svc", "my-cs").wantCells(t, "my-cs", "PORT(S)", "9090/TCP")
	k.run("patch", "svc", "my-cs", "--type", "json", "-p", `[{"op":"add","path":"/spec/ports/-","value":{"name":"http","port":80}}]`)
	k.table("svc", "my-cs").wantCells(t, "my-cs", "PORT(S)", "9090/TCP,80/TCP")

	// Node ports come from 30000-32767.
	wantLines(t, k.run("create", "service", "nodeport", "np", "--tcp=80:8080"), "service/np created")
	np := k.table("svc", "np").row(t, "np")
	if np["TYPE"] != "NodePort" {
		t.Errorf("TYPE = %q, want NodePort", np["TYPE"])
	}
	wantServiceIP(t, np["CLUSTER-IP"])
	m := regexp.MustCompile(`^80:([0-9]+)/TCP$`).FindStringSubmatch(np["PORT(S)"])
	if m == nil {
		t.Fatalf("PORT(S) = %q, want 80:<node port>/TCP", np["PORT(S)"])
	}
	if port, _ := strconv.Atoi(m[1]); port < 30000 || port > 32767 {
		t.Errorf("node port %d is outside 30000-32767", port)
	}
	k.object("svc", "np").want("spec.externalTrafficPolicy", "Cluster", "spec.ports.0.nodePort", m[1])

	// Every service got an address of its own.
	seen := map[string]string{}
	for _, row := range k.table("svc").rows {
		ip := row["CLUSTER-IP"]
		if ip == "None" {
			continue
		}
		if other, dup := seen[ip]; dup {
			t.Errorf("services %s and %s share cluster IP %s", other, row["NAME"], ip)
		}
		seen[ip] = row["NAME"]
	}

	// edit: change the selector.
	editor := editorScript(t, "s|app: my-cs|app: other|")
	wantLines(t, k.withEnv("KUBE_EDITOR="+editor).run("edit", "svc", "my-cs"), "service/my-cs edited")
	k.table("svc", "my-cs", "-o", "wide").wantCells(t, "my-cs", "SELECTOR", "app=other", "CLUSTER-IP", ip)

	wantLines(t, k.run("delete", "svc", "my-cs", "np", "twin", "random-generator"),
		`service "my-cs" deleted`, `service "np" deleted`, `service "twin" deleted`, `service "random-generator" deleted`)
}

// wantPorts checks a PORT(S) cell as a set.
func wantPorts(t *testing.T, cell string, want ...string) {
	t.Helper()
	got := strings.Split(cell, ",")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("PORT(S) = %q, want %q in any order", cell, strings.Join(want, ","))
	}
}
