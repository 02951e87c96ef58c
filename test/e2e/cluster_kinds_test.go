package e2e

import (
	"testing"
	"time"
)

// TestNodesLeasesAndEvents covers the kinds a node agent and the controllers write. None
// runs yet, so the test writes them as those components would.
func TestNodesLeasesAndEvents(t *testing.T) {
	_, k := newSession(t)

	// A node registers with its status, as a kubelet does, its heartbeat fresh.
	now := time.Now().UTC().Format(time.RFC3339)
	wantLines(t, k.apply(`
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    kubernetes.io/hostname: node-1
    node-role.kubernetes.io/worker: ""
status:
  addresses:
  - type: InternalIP
    address: 192.0.2.10
  - type: Hostname
    address: node-1
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "`+now+`"
    lastTransitionTime: "`+now+`"
  nodeInfo:
    kubeletVersion: v1.32.13
    osImage: Debian GNU/Linux 13 (trixie)
    kernelVersion: 6.12.0-1-amd64
    containerRuntimeVersion: ordinal://0.1.0
    architecture: amd64
    operatingSystem: linux
    bootID: ""
    machineID: ""
    systemUUID: ""
    kubeProxyVersion: ""
---
apiVersion: v1
kind: Node
metadata:
  name: node-2
`), "node/node-1 created", "node/node-2 created")
	nodes := k.table("nodes", "-o", "wide")
	nodes.wantHeader(t, "NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
		"KERNEL-VERSION", "CONTAINER-RUNTIME")
	nodes.wantCells(t, "node-1", "STATUS", "Ready", "ROLES", "worker", "VERSION", "v1.32.13",
		"INTERNAL-IP", "192.0.2.10", "EXTERNAL-IP", "<none>", "OS-IMAGE", "Debian GNU/Linux 13 (trixie)",
		"KERNEL-VERSION", "6.12.0-1-amd64", "CONTAINER-RUNTIME", "ordinal://0.1.0")
	nodes.wantCells(t, "node-2", "STATUS", "Unknown", "ROLES", "<none>", "VERSION", "",
		"INTERNAL-IP", "<none>", "OS-IMAGE", "<unknown>", "KERNEL-VERSION", "<unknown>", "CONTAINER-RUNTIME", "<unknown>")

	wantLines(t, k.run("cordon", "node-1"), "node/node-1 cordoned")
	k.table("nodes").wantCells(t, "node-1", "STATUS", "Ready,SchedulingDisabled")
	k.object("node", "node-1").want("spec.unschedulable", "true")
	wantLines(t, k.run("uncordon", "node-1"), "node/node-1 uncordoned")
	k.table("nodes").wantCells(t, "node-1", "STATUS", "Ready")

	wantLines(t, k.run("label", "node", "node-2", "disk=ssd"), "node/node-2 labeled")
	k.table("nodes", "-l", "disk=ssd").row(t, "node-2")
	wantLines(t, k.run("taint", "node", "node-2", "dedicated=db:NoSchedule"), "node/node-2 tainted")
	if got := k.jsonpath(`{.spec.taints[?(@.key=="dedicated")].value}:{.spec.taints[?(@.key=="dedicated")].effect}`, "node", "node-2"); got != "db:NoSchedule" {
		t.Errorf("node-2's taint dedicated = %q, want db:NoSchedule", got)
	}

	// The node's heartbeat lease, in kube-node-lease.
	wantLines(t, k.apply(`
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: node-1
  namespace: kube-node-lease
spec:
  holderIdentity: node-1
  leaseDurationSeconds: 40
  renewTime: "2026-01-01T00:00:00.000000Z"
`), "lease.coordination.k8s.io/node-1 created")
	leases := k.table("leases", "-n", "kube-node-lease")
	leases.wantHeader(t, "NAME", "HOLDER", "AGE")
	leases.wantCells(t, "node-1", "HOLDER", "node-1")
	k.run("patch", "lease", "-n", "kube-node-lease", "node-1", "--type", "merge", "-p", `{"spec":{"renewTime":"2026-01-01T00:00:10.000000Z"}}`)
	k.object("lease", "-n", "kube-node-lease", "node-1").want("spec.renewTime", "2026-01-01T00:00:10.000000Z")

	// kubectl describe node reads the node's pods (by field selector), events and lease.
	wantDescribe(t, k.run("describe", "node", "node-1"),
		"Name", "node-1",
		"Roles", "worker",
		"HolderIdentity", "node-1",
		"Non-terminated Pods", "(0 in total)",
	)

	// An event about a pod, as the scheduler writes it.
	wantLines(t, k.apply(`
apiVersion: v1
kind: Event
metadata:
  name: web-0.17a1b2c3d4e5f6a7
involvedObject:
  apiVersion: v1
  kind: Pod
  name: web-0
  namespace: default
  uid: 6f1e2d3c-4b5a-4978-8899-aabbccddeeff
reason: Scheduled
message: Successfully assigned default/web-0 to node-1
type: Normal
source:
  component: default-scheduler
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
count: 1
`), "event/web-0.17a1b2c3d4e5f6a7 created")
	events := k.table("events")
	events.wantHeader(t, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
	ev := events.rowWhere(t, "OBJECT", "pod/web-0")
	if ev["TYPE"] != "Normal" || ev["REASON"] != "Scheduled" || ev["MESSAGE"] != "Successfully assigned default/web-0 to node-1" {
		t.Errorf("event row = %v\n%s", ev, events.text)
	}
	wideEvents := k.table("events", "-o", "wide")
	wideEvents.wantHeader(t, "LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME")
	wideEvents.wantCells(t, "web-0.17a1b2c3d4e5f6a7", "SOURCE", "default-scheduler", "COUNT", "1")

	// A second sighting bumps the count.
	k.run("patch", "event", "web-0.17a1b2c3d4e5f6a7", "--type", "merge", "-p", `{"count":2,"lastTimestamp":"2026-01-01T00:01:00Z"}`)
	k.table("events", "-o", "wide").wantCells(t, "web-0.17a1b2c3d4e5f6a7", "COUNT", "2")
	wantLines(t, k.run("delete", "event", "web-0.17a1b2c3d4e5f6a7"), `event "web-0.17a1b2c3d4e5f6a7" deleted`)

	wantLines(t, k.run("delete", "node", "node-1", "node-2"), `node "node-1" deleted`, `node "node-2" deleted`)
}

// TestNetworkingKinds covers Endpoints, EndpointSlices, Ingresses and IngressClasses. Seed
// 004 creates an Ingress for its pacman service without showing it; this one is written
// after it.
func TestNetworkingKinds(t *testing.T) {
	_, k := newSession(t)

	wantLines(t, k.apply(`
apiVersion: v1
kind: Endpoints
metadata:
  name: my-service
subsets:
- addresses:
  - ip: 192.0.2.42
  - ip: 192.0.2.43
  ports:
  - port: 9376
`), "endpoints/my-service created")
	ep := k.table("endpoints")
	ep.wantHeader(t, "NAME", "ENDPOINTS", "AGE")
	ep.wantCells(t, "my-service", "ENDPOINTS", "192.0.2.42:9376,192.0.2.43:9376")
	k.object("ep", "my-service").want("subsets.0.ports.0.protocol", "TCP")

	wantLines(t, k.apply(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: my-service-abc12
  labels:
    kubernetes.io/service-name: my-service
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 9376
endpoints:
- addresses:
  - 192.0.2.42
  conditions:
    ready: true
  nodeName: node-1
`), "endpointslice.discovery.k8s.io/my-service-abc12 created")
	epSlices := k.table("endpointslices")
	epSlices.wantHeader(t, "NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE")
	epSlices.wantCells(t, "my-service-abc12", "ADDRESSTYPE", "IPv4", "PORTS", "9376", "ENDPOINTS", "192.0.2.42")
	k.table("endpointslices", "-l", "kubernetes.io/service-name=my-service").row(t, "my-service-abc12")
	wantContains(t, k.failsStdin(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: bad-slice
addressType: IPv4
endpoints:
- addresses:
  - not-an-ip
`, "apply", "-f", "-"), `The EndpointSlice "bad-slice" is invalid`, "endpoints[0].addresses[0]: Invalid value: \"not-an-ip\"")

	wantLines(t, k.apply(`
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
`), "ingressclass.networking.k8s.io/nginx created")
	ic := k.table("ingressclass")
	ic.wantHeader(t, "NAME", "CONTROLLER", "PARAMETERS", "AGE")
	ic.wantCells(t, "nginx", "CONTROLLER", "k8s.io/ingress-nginx", "PARAMETERS", "<none>")

	k.run("create", "namespace", "pacman")
	wantLines(t, k.apply(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: pacman
  namespace: pacman
spec:
  ingressClassName: nginx
  rules:
  - host: pacman.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: pacman
            port:
              number: 80
`), "ingress.networking.k8s.io/pacman created")
	ing := k.table("ingress", "-n", "pacman")
	ing.wantHeader(t, "NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE")
	ing.wantCells(t, "pacman", "CLASS", "nginx", "HOSTS", "pacman.example.com", "ADDRESS", "", "PORTS", "80")
	k.object("ingress", "-n", "pacman", "pacman").want("metadata.generation", "1",
		"spec.rules.0.http.paths.0.backend.service.port.number", "80")
	wantContains(t, k.run("describe", "ingress", "-n", "pacman", "pacman"), "pacman.example.com", "pacman:80")

	// Adding TLS adds port 443.
	k.run("patch", "ingress", "-n", "pacman", "pacman", "--type", "merge", "-p",
		`{"spec":{"tls":[{"hosts":["pacman.example.com"],"secretName":"pacman-tls"}]}}`)
	k.table("ingress", "-n", "pacman").wantCells(t, "pacman", "PORTS", "80, 443")
	k.object("ingress", "-n", "pacman", "pacman").want("metadata.generation", "2")

	out := k.failsStdin(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: no-path-type
  namespace: pacman
spec:
  rules:
  - http:
      paths:
      - path: /
        backend:
          service:
            name: pacman
            port:
              number: 80
`, "apply", "-f", "-")
	wantContains(t, out, `The Ingress "no-path-type" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified`)

	wantLines(t, k.run("delete", "ingress", "-n", "pacman", "pacman"), `ingress.networking.k8s.io "pacman" deleted`)
	wantLines(t, k.run("delete", "ingressclass", "nginx"), `ingressclass.networking.k8s.io "nginx" deleted`)
	wantLines(t, k.run("delete", "endpointslice", "my-service-abc12"), `endpointslice.discovery.k8s.io "my-service-abc12" deleted`)
	wantLines(t, k.run("delete", "ep", "my-service"), `endpoints "my-service" deleted`)
}
