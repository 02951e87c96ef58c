package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Several servers on one etcd cluster: one leads the controllers and the scheduler; when it
// is killed another takes over within 15 s, and the agents, which know every server, keep
// their nodes Ready through the one left.

const leadingLine = "leader election: leading"

func TestLeaderFailover(t *testing.T) {
	needKubectl(t)
	lan := newLAN(t)
	etcd := startEtcdCluster(t, 3)
	flags := []string{"--node-monitor-grace-period=6s", "--node-monitor-period=500ms"}
	servers := []*server{startServer(t, lan.serverIP(1), etcd, flags...), startServer(t, lan.serverIP(2), etcd, flags...)}
	k := servers[1].kubectl(t)
	token, hash := servers[0].joinToken(t)
	urls := "https://" + servers[0].addr + ",https://" + servers[1].addr
	for _, name := range []string{"node-a", "node-b"} {
		lan.addNode(name).startAgent(t, urls, token, hash, "--runtime=sim", "--node-lease-duration=4s", "--fencing-period=0")
	}
	var leader, other *server
	eventually(t, 30*time.Second, func() string {
		for i, s := range servers {
			if strings.Contains(s.log.String(), leadingLine) {
				leader, other = s, servers[1-i]
				return ""
			}
		}
		return "no server leads"
	})
	if strings.Contains(other.log.String(), leadingLine) {
		t.Fatalf("both servers lead:\n%s\n%s", servers[0].log.String(), servers[1].log.String())
	}
	k = other.kubectl(t)
	nodesReady(t, k, 2, 60*time.Second)
	k.apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: web, image: busybox, command: ["sleep", "3600"]}
`)
	k.run("rollout", "status", "statefulset/web", "--timeout=60s")

	killed := time.Now()
	leader.kill(syscall.SIGKILL)
	eventually(t, 20*time.Second, func() string {
		if !strings.Contains(other.log.String(), leadingLine) {
			return "the remaining server does not lead"
		}
		return ""
	})
	took := time.Since(killed)
	t.Logf("the other server took over %v after the leader was killed", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Errorf("take-over took %v, want at most 15 s", took)
	}
	// The new leader's controllers do the work, and the nodes stay Ready through it (their
	// agents renew through the server that is left).
	k.run("scale", "statefulset/web", "--replicas=4")
	k.run("rollout", "status", "statefulset/web", "--timeout=60s")
	// For longer than the grace period: a node that lost its only server would turn NotReady.
	consistently(t, 8*time.Second, func() string {
		if out := k.run("get", "nodes"); strings.Count(out, " Ready ") != 2 {
			return "after the leader's death not every node is Ready:\n" + out
		}
		return ""
	})
}

// consistently checks cond every 200 ms for d; it fails t the first time cond complains.
func consistently(t *testing.T, d time.Duration, cond func() string) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if complaint := cond(); complaint != "" {
			t.Fatal(complaint)
		}
	}
}

func TestServerKilledDuringRollingUpdate(t *testing.T) {
	needKubectl(t)
	lan := newLAN(t)
	etcd := startEtcdCluster(t, 3)
	srv := startServer(t, lan.serverIP(1), etcd)
	k := srv.kubectl(t)
	token, hash := srv.joinToken(t)
	for _, name := range []string{"node-a", "node-b"} {
		lan.addNode(name).startAgent(t, "https://"+srv.addr, token, hash, "--runtime=sim")
	}
	nodesReady(t, k, 2, 60*time.Second)
	k.apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 50
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - {name: db, image: busybox, command: ["sleep", "3600"]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`)
	k.run("rollout", "status", "statefulset/db", "--timeout=180s")
	claims := k.run("get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}={.spec.volumeName}{\"\\n\"}{end}")

	// A rolling update, one pod at a time from the highest ordinal; the server dies in the
	// middle of it, without any chance to clean up.
	k.run("patch", "statefulset/db", "-p", `{"spec":{"template":{"metadata":{"annotations":{"rev":"2"}}}}}`)
	eventually(t, 120*time.Second, func() string {
		if n, _ := strconv.Atoi(k.jsonpath("{.status.updatedReplicas}", "statefulset", "db")); n < 5 {
			return fmt.Sprintf("%d pods updated, waiting for 5", n)
		}
		return ""
	})
	srv.kill(syscall.SIGKILL)
	srv.start()
	k.run("rollout", "status", "statefulset/db", "--timeout=300s")

	update := k.jsonpath("{.status.updateRevision}", "statefulset", "db")
	pods := k.run("get", "pods", "-l", "app=db", "-o", `jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.controller-revision-hash}{"\n"}{end}`)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(pods), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || f[1] != update {
			t.Errorf("pod not at the update revision %s: %q", update, line)
			continue
		}
		seen[f[0]]++
	}
	for i := 0; i < 50; i++ {
		if name := fmt.Sprintf("db-%d", i); seen[name] != 1 {
			t.Errorf("%s exists %d times", name, seen[name])
		}
	}
	if len(seen) != 50 {
		t.Errorf("%d pods, want 50", len(seen))
	}
	if after := k.run("get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}={.spec.volumeName}{\"\\n\"}{end}"); after != claims {
		t.Errorf("claims changed across the restart:\nbefore:\n%s\nafter:\n%s", claims, after)
	}
}
