package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The StatefulSet failover of issue 8 with real containers: a node is cut off the LAN, its
// agent stops its containers within the fencing period, the control plane recreates its
// StatefulSet pod on another node with the same claim (on the shared-path class), and no
// ordinal ever runs twice, nor loses a write.

// Short periods so that a round takes seconds: the agents renew every second and fence
// after 3 s without a renewal; the controller fails a node over 4 + 3 + 2 = 9 s after its
// last heartbeat.
var (
	failoverServerFlags = []string{"--node-monitor-grace-period=4s", "--node-monitor-period=500ms", "--fencing-period=3s", "--failover-safety-margin=2s"}
	failoverAgentFlags  = []string{"--fencing-period=3s", "--node-lease-duration=4s"}
)

// counterStatefulSet writes a numbered line to its volume every 100 ms, continuing the
// numbering it finds there: two writers at once (an ordinal running twice) would repeat
// numbers, a lost write would leave a gap.
const counterStatefulSet = `
apiVersion: v1
kind: Service
metadata:
  name: counter
spec:
  clusterIP: None
  selector: {app: counter}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: counter
spec:
  serviceName: counter
  replicas: 3
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: counter}
  template:
    metadata:
      labels: {app: counter}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: counter}}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: counter
        image: busybox
        imagePullPolicy: IfNotPresent
        command:
        - sh
        - -c
        - |
          touch /data/log
          i=$(wc -l < /data/log)
          while true; do echo "$i $(hostname)" >> /data/log; i=$((i+1)); sleep 0.1; done
        volumeMounts:
        - {name: data, mountPath: /data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: nfs-client
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
`

func TestStatefulSetFailover(t *testing.T) {
	needKubectl(t)
	rounds := 2
	if v := os.Getenv("ORDINAL_E2E_FAILOVER_ROUNDS"); v != "" {
		rounds, _ = strconv.Atoi(v)
	}
	lan := newLAN(t)
	etcd := startEtcdCluster(t, 3)
	shared := t.TempDir()
	srv := startServer(t, lan.serverIP(1), etcd, append([]string{"--shared-volume-dir", shared}, failoverServerFlags...)...)
	k := srv.kubectl(t)
	token, hash := srv.joinToken(t)
	nodes := map[string]*node{}
	for _, name := range []string{"node-a", "node-b", "node-c", "node-d"} {
		n := lan.addNode(name)
		n.startAgent(t, "https://"+srv.addr, token, hash, failoverAgentFlags...)
		nodes[name] = n
	}
	nodesReady(t, k, len(nodes), 60*time.Second)
	k.apply(counterStatefulSet)
	k.run("rollout", "status", "statefulset/counter", "--timeout=120s")

	// The sampler: every 50 ms, which pods run on which node, from the runtimes' own state,
	// and how many lines each volume's log had (a write once seen must never go missing).
	watch := newOrdinalWatch(nodes, shared)
	go watch.run()
	defer watch.stop()

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 1; round <= rounds; round++ {
		victim := rng.Intn(3)
		pod := fmt.Sprintf("counter-%d", victim)
		lost := nodes[k.jsonpath("{.spec.nodeName}", "pod", pod)]
		claim := k.jsonpath("{.spec.volumes[0].persistentVolumeClaim.claimName}", "pod", pod)
		time.Sleep(time.Duration(rng.Intn(1000)) * time.Millisecond) // a random moment in the writes
		cut := time.Now()
		lan.cut(lost)
		t.Logf("round %d: cut %s off (it runs %s)", round, lost.name, pod)

		// Within the fencing period (3 s, plus a second of slack for the 50 ms sampler and
		// the stop itself) the node has stopped its containers by itself.
		eventually(t, 5*time.Second, func() string {
			if running := watch.on(lost.name); len(running) > 0 {
				return fmt.Sprintf("%s still runs %v %v after the cut", lost.name, running, time.Since(cut).Round(time.Millisecond))
			}
			return ""
		})
		stopped := time.Since(cut)
		// Heal at a random moment: before the failover moment (9 s after the last
		// heartbeat), around it, or after the pod moved.
		healAfter := time.Duration(5000+rng.Intn(9000)) * time.Millisecond
		healed := make(chan struct{})
		go func() {
			defer close(healed)
			time.Sleep(time.Until(cut.Add(healAfter)))
			lan.heal(lost)
		}()
		eventually(t, 60*time.Second, func() string {
			on := k.jsonpath("{.spec.nodeName}", "pod", pod)
			ready := k.jsonpath(`{.status.conditions[?(@.type=="Ready")].status}`, "pod", pod)
			if on == "" || ready != "True" {
				return fmt.Sprintf("%s on %q, Ready=%q", pod, on, ready)
			}
			if got := k.jsonpath("{.spec.volumes[0].persistentVolumeClaim.claimName}", "pod", pod); got != claim {
				return fmt.Sprintf("%s uses claim %s, want %s", pod, got, claim)
			}
			return ""
		})
		<-healed
		t.Logf("round %d: containers stopped %v after the cut; healed after %v; %s now on %s", round,
			stopped.Round(time.Millisecond), healAfter, pod, k.jsonpath("{.spec.nodeName}", "pod", pod))
		nodesReady(t, k, len(nodes), 60*time.Second)
		k.run("rollout", "status", "statefulset/counter", "--timeout=60s")
	}

	// An agent that dies leaves its containers behind; their shims stop them within the
	// fencing period (they watch the heartbeat the agent wrote), and the pod moves.
	pod := "counter-0"
	dead := nodes[k.jsonpath("{.spec.nodeName}", "pod", pod)]
	killed := time.Now()
	dead.kill()
	eventually(t, 5*time.Second, func() string {
		if running := watch.on(dead.name); len(running) > 0 {
			return fmt.Sprintf("%s still runs %v %v after its agent died", dead.name, running, time.Since(killed).Round(time.Millisecond))
		}
		return ""
	})
	t.Logf("the containers of %s stopped %v after its agent was killed", dead.name, time.Since(killed).Round(time.Millisecond))
	eventually(t, 60*time.Second, func() string {
		if on := k.jsonpath("{.spec.nodeName}", "pod", pod); on == dead.name || on == "" {
			return fmt.Sprintf("%s still on %q", pod, on)
		}
		if ready := k.jsonpath(`{.status.conditions[?(@.type=="Ready")].status}`, "pod", pod); ready != "True" {
			return pod + " not Ready"
		}
		return ""
	})
	dead.launch(t)
	nodesReady(t, k, len(nodes), 60*time.Second)
	k.run("rollout", "status", "statefulset/counter", "--timeout=60s")

	watch.stop()
	if twice := watch.twice(); len(twice) > 0 {
		t.Errorf("an ordinal ran on two nodes at once: %v", twice)
	}
	// Every volume's log is one unbroken sequence: no number twice, none missing.
	for i := 0; i < 3; i++ {
		dirs, _ := filepath.Glob(filepath.Join(shared, fmt.Sprintf("default-data-counter-%d-*", i)))
		if len(dirs) != 1 {
			t.Fatalf("volume directories of counter-%d: %v", i, dirs)
		}
		data, err := os.ReadFile(filepath.Join(dirs[0], "log"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for n, line := range lines {
			f := strings.Fields(line)
			if len(f) != 2 || f[0] != strconv.Itoa(n) || f[1] != fmt.Sprintf("counter-%d", i) {
				t.Errorf("counter-%d's log, line %d: %q (want %d counter-%d): a write lost or made twice", i, n, line, n, i)
				break
			}
		}
		if seen := watch.maxLines(dirs[0]); len(lines) < seen {
			t.Errorf("counter-%d's log has %d lines, but %d were seen during the test: writes lost", i, len(lines), seen)
		}
		t.Logf("counter-%d wrote %d lines without a gap or a repeat", i, len(lines))
	}
}

// ordinalWatch samples the containers running on each node, by pod hostname.
type ordinalWatch struct {
	nodes  map[string]*node
	shared string         // the shared volume directory
	lines  map[string]int // volume directory -> most lines its log was seen with
	mu     sync.Mutex
	now    map[string][]string // node -> hostnames running
	seen   []string            // hostnames seen on two nodes at once, with when
	done   chan struct{}
	once   sync.Once
}

func newOrdinalWatch(nodes map[string]*node, shared string) *ordinalWatch {
	return &ordinalWatch{nodes: nodes, shared: shared, lines: map[string]int{}, now: map[string][]string{}, done: make(chan struct{})}
}

// maxLines is the most lines dir's log was seen with.
func (w *ordinalWatch) maxLines(dir string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lines[dir]
}

func (w *ordinalWatch) run() {
	for {
		select {
		case <-w.done:
			return
		case <-time.After(50 * time.Millisecond):
		}
		where := map[string][]string{} // hostname -> nodes
		now := map[string][]string{}
		for name, n := range w.nodes {
			for _, h := range runningHostnames(n) {
				where[h] = append(where[h], name)
				now[name] = append(now[name], h)
			}
		}
		logs, _ := filepath.Glob(filepath.Join(w.shared, "*", "log"))
		counts := map[string]int{}
		for _, l := range logs {
			if data, err := os.ReadFile(l); err == nil {
				counts[filepath.Dir(l)] = strings.Count(string(data), "\n")
			}
		}
		w.mu.Lock()
		for dir, c := range counts {
			w.lines[dir] = max(w.lines[dir], c)
		}
		w.now = now
		for h, on := range where {
			if len(on) > 1 {
				w.seen = append(w.seen, fmt.Sprintf("%s on %v at %s", h, on, time.Now().Format(time.StampMilli)))
			}
		}
		w.mu.Unlock()
	}
}

func (w *ordinalWatch) on(node string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now[node]
}

func (w *ordinalWatch) twice() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}

func (w *ordinalWatch) stop() { w.once.Do(func() { close(w.done) }) }

// runningHostnames are the hostnames (pod names) of the containers running on a node, read
// from runc's state and each container's /etc/hostname.
func runningHostnames(n *node) []string {
	out, err := exec.Command("runc", "--root", filepath.Join(n.dataDir, "runc"), "list", "-f", "json").Output()
	if err != nil {
		return nil
	}
	var list []struct {
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	if json.Unmarshal(out, &list) != nil {
		return nil
	}
	var hosts []string
	for _, c := range list {
		if c.Status != "running" || c.Pid == 0 {
			continue
		}
		if h, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/etc/hostname", c.Pid)); err == nil {
			hosts = append(hosts, strings.TrimSpace(string(h)))
		}
	}
	return hosts
}
