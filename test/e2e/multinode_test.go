package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Several machines: `ordinal server` on a 3-member etcd cluster and agents that join with a
// bootstrap token, each in a network namespace of its own on a shared LAN.

const spreadStatefulSet = `
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector: {app: web}
  ports:
  - {name: http, port: 80}
---
apiVersion: v1
kind: Service
metadata:
  name: web-read
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: web}}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: httpd
        image: busybox
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html && echo started && exec httpd -f -p 80 -h /www"]
        readinessProbe:
          tcpSocket: {port: 80}
          periodSeconds: 1
`

func TestMultiNodeJoinAndCrossNodeTraffic(t *testing.T) {
	needKubectl(t)
	lan := newLAN(t)
	etcd := startEtcdCluster(t, 3)
	srv := startServer(t, lan.serverIP(1), etcd)
	k := srv.kubectl(t)
	token, hash := srv.joinToken(t)
	nodes := []*node{lan.addNode("node-a"), lan.addNode("node-b")}
	for _, n := range nodes {
		n.startAgent(t, "https://"+srv.addr, token, hash)
	}
	eventually(t, 60*time.Second, func() string {
		out := k.run("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}")
		if !strings.Contains(out, "node-a=True") || !strings.Contains(out, "node-b=True") {
			return "nodes not Ready: " + out
		}
		return ""
	})
	// Each node joined with credentials of its own, through an approved request.
	csrs := k.run("get", "csr")
	wantContains(t, csrs, "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "Approved,Issued")

	k.apply(spreadStatefulSet)
	k.run("rollout", "status", "statefulset/web", "--timeout=120s")
	hosts := map[string]string{}
	for _, p := range []string{"web-0", "web-1"} {
		hosts[p] = k.jsonpath("{.spec.nodeName}", "pod", p)
	}
	if hosts["web-0"] == hosts["web-1"] {
		t.Fatalf("anti-affinity ignored: both pods on %s", hosts["web-0"])
	}

	t.Run("logs and exec reach pods on any node", func(t *testing.T) {
		for _, p := range []string{"web-0", "web-1"} {
			if out := k.run("logs", p); !strings.Contains(out, "started") {
				t.Errorf("kubectl logs %s (on %s) = %q", p, hosts[p], out)
			}
			if out := strings.TrimSpace(k.run("exec", p, "--", "hostname")); out != p {
				t.Errorf("kubectl exec %s -- hostname = %q", p, out)
			}
		}
	})
	t.Run("port-forward reaches a pod on another machine", func(t *testing.T) {
		for _, p := range []string{"web-0", "web-1"} {
			s := k.start("port-forward", "pod/"+p, ":80")
			line := s.next("Forwarding from 127.0.0.1:")
			port := line[strings.LastIndex(line, ":")+1 : strings.Index(line, " ->")]
			if got := httpGet(t, "http://127.0.0.1:"+port+"/", ""); got != "hello from "+p {
				t.Errorf("through port-forward to %s on %s: %q", p, hosts[p], got)
			}
			s.stop()
		}
	})
	t.Run("a DaemonSet runs a pod on every node", func(t *testing.T) {
		k.apply(`
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - {name: agent, image: busybox, imagePullPolicy: IfNotPresent, command: ["sleep", "3600"]}
`)
		k.run("rollout", "status", "daemonset/agent", "--timeout=60s")
		on := k.run("get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.nodeName}")
		if !strings.Contains(on, "node-a") || !strings.Contains(on, "node-b") || len(strings.Fields(on)) != 2 {
			t.Errorf("DaemonSet pods on %q, want one on node-a and one on node-b", on)
		}
	})
	t.Run("pods reach pods and services across nodes by name", func(t *testing.T) {
		for _, from := range []string{"web-0", "web-1"} {
			for _, to := range []string{"web-0", "web-1"} {
				url := fmt.Sprintf("http://%s.web/", to)
				if out := strings.TrimSpace(k.run("exec", from, "--", "wget", "-qO-", url)); out != "hello from "+to {
					t.Errorf("from %s: wget %s = %q", from, url, out)
				}
			}
		}
		seen := map[string]bool{}
		for i := 0; i < 30 && len(seen) < 2; i++ {
			seen[strings.TrimSpace(k.run("exec", "web-0", "--", "wget", "-qO-", "http://web-read/"))] = true
		}
		if len(seen) < 2 {
			t.Errorf("the ClusterIP from web-0 reached only %v, want both nodes' pods", seen)
		}
	})
}
