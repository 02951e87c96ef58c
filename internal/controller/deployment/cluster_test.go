package deployment

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// cluster is an in-memory API server for planner scenarios. It applies planned actions
// and plays the ReplicaSet controller and the kubelet: pods appear and disappear at
// once, and become available only when the test says so.
type cluster struct {
	t   *testing.T
	d   *apps.Deployment
	rss []*apps.ReplicaSet
	// available is the number of available pods per ReplicaSet name.
	available map[string]int32
	// lingering are terminated pods of a ReplicaSet still running (Recreate waits).
	lingering map[string]int
	now       time.Time
	uids      int
	// sizes records spec.replicas of all ReplicaSets, oldest first, after each change.
	sizes  []string
	events []string
	// check runs after every action.
	check func(c *cluster)
}

func newCluster(t *testing.T, d *apps.Deployment) *cluster {
	c := &cluster{t: t, d: d, available: map[string]int32{}, lingering: map[string]int{}, now: t0}
	return c
}

// sync runs the controller until it has nothing more to do.
func (c *cluster) sync() {
	c.t.Helper()
	for range 100 {
		p := planSync(input{deployment: c.d, rsList: c.rss, podMap: c.podMap(), now: c.now})
		if p.err != nil {
			c.t.Fatalf("plan: %v", p.err)
		}
		if len(p.actions) == 0 {
			return
		}
		for _, a := range p.actions {
			c.apply(a)
			if c.check != nil {
				c.check(c)
			}
		}
		c.now = c.now.Add(time.Millisecond)
	}
	c.t.Fatal("the controller does not converge")
}

func (c *cluster) apply(a action) {
	switch a.kind {
	case createReplicaSet:
		rs := a.rs.DeepCopy()
		for _, old := range c.rss {
			if old.Name == rs.Name {
				c.t.Fatalf("create %s: already exists", rs.Name)
			}
		}
		c.uids++
		c.now = c.now.Add(time.Second)
		rs.UID = types.UID(fmt.Sprintf("rs-%d", c.uids))
		rs.CreationTimestamp = metav1.NewTime(c.now)
		rs.Generation = 1
		c.rss = append(c.rss, rs)
	case updateReplicaSet:
		i := c.index(a.rs.Name)
		rs := a.rs.DeepCopy()
		rs.Status = c.rss[i].Status
		if !equality.Semantic.DeepEqual(rs.Spec, c.rss[i].Spec) {
			rs.Generation = c.rss[i].Generation + 1
		}
		c.rss[i] = rs
	case deleteReplicaSet:
		i := c.index(a.rs.Name)
		c.rss = append(c.rss[:i], c.rss[i+1:]...)
	case updateDeploymentStatus:
		c.d.Status = a.deployment.Status
		c.d.Annotations = a.deployment.Annotations
	case updateDeployment:
		if !equality.Semantic.DeepEqual(c.d.Spec, a.deployment.Spec) {
			c.d.Generation++
		}
		c.d.Spec = a.deployment.Spec
		c.d.Annotations = a.deployment.Annotations
	}
	if a.event != nil {
		c.events = append(c.events, a.event.reason+": "+a.event.message)
	}
	c.runReplicaSetController()
	c.recordSizes()
}

func (c *cluster) index(name string) int {
	for i, rs := range c.rss {
		if rs.Name == name {
			return i
		}
	}
	c.t.Fatalf("no replica set %s", name)
	return -1
}

// runReplicaSetController brings every ReplicaSet's status to its spec at once.
func (c *cluster) runReplicaSetController() {
	for _, rs := range c.rss {
		n := *rs.Spec.Replicas
		c.available[rs.Name] = min(c.available[rs.Name], n)
		rs.Status = apps.ReplicaSetStatus{
			Replicas: n, FullyLabeledReplicas: n,
			ReadyReplicas: c.available[rs.Name], AvailableReplicas: c.available[rs.Name],
			ObservedGeneration: rs.Generation,
		}
	}
}

func (c *cluster) recordSizes() {
	sorted := append([]*apps.ReplicaSet(nil), c.rss...)
	sort.Sort(byCreationTimestamp(sorted))
	var parts []string
	for _, rs := range sorted {
		parts = append(parts, fmt.Sprint(*rs.Spec.Replicas))
	}
	s := strings.Join(parts, ",")
	if n := len(c.sizes); n == 0 || c.sizes[n-1] != s {
		c.sizes = append(c.sizes, s)
	}
}

// podMap has one running pod per replica, plus the lingering ones.
func (c *cluster) podMap() map[types.UID][]*v1.Pod {
	m := map[types.UID][]*v1.Pod{}
	for _, rs := range c.rss {
		n := int(rs.Status.Replicas) + c.lingering[rs.Name]
		m[rs.UID] = []*v1.Pod{}
		for range n {
			m[rs.UID] = append(m[rs.UID], &v1.Pod{Status: v1.PodStatus{Phase: v1.PodRunning}})
		}
	}
	return m
}

// makeAvailable makes n more pods of the ReplicaSet available and syncs.
func (c *cluster) makeAvailable(rsName string, n int32) {
	c.t.Helper()
	rs := c.rss[c.index(rsName)]
	c.available[rsName] = min(c.available[rsName]+n, *rs.Spec.Replicas)
	c.runReplicaSetController()
	c.sync()
}

// newest is the most recently created ReplicaSet.
func (c *cluster) newest() *apps.ReplicaSet {
	sorted := append([]*apps.ReplicaSet(nil), c.rss...)
	sort.Sort(byCreationTimestamp(sorted))
	return sorted[len(sorted)-1]
}

// rolloutAll makes every pod available, one at a time, oldest ReplicaSet first, until
// nothing is left to make available.
func (c *cluster) rolloutAll() {
	c.t.Helper()
	for range 1000 {
		progressed := false
		for _, rs := range c.rss {
			if c.available[rs.Name] < *rs.Spec.Replicas {
				c.makeAvailable(rs.Name, 1)
				progressed = true
				break
			}
		}
		if !progressed {
			return
		}
	}
	c.t.Fatal("rollout does not end")
}

func (c *cluster) setImage(image string) {
	c.d.Spec.Template.Spec.Containers[0].Image = image
	c.d.Generation++
}

func (c *cluster) condition(t apps.DeploymentConditionType) *apps.DeploymentCondition {
	return getCondition(c.d.Status, t)
}

// rollingInvariants checks the promises of a rolling update after every write: never
// more than replicas + maxSurge pods wanted, never fewer than replicas - maxUnavailable
// available (once the first rollout made them available).
func rollingInvariants(minAvailableFrom *bool) func(c *cluster) {
	return func(c *cluster) {
		d := c.d
		if total, limit := specReplicas(c.rss), *d.Spec.Replicas+MaxSurge(d); total > limit {
			c.t.Fatalf("%d replicas wanted, more than %d: %v", total, limit, c.sizes)
		}
		if *minAvailableFrom {
			if avail, floor := availableReplicas(c.rss), *d.Spec.Replicas-MaxUnavailable(d); avail < floor {
				c.t.Fatalf("%d replicas available, fewer than %d: %v", avail, floor, c.sizes)
			}
		}
	}
}
