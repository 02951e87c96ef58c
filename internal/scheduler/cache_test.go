package scheduler

import (
	"testing"
)

func nodePods(c *schedulerCache, name string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	if n == nil {
		return nil
	}
	var out []string
	for _, p := range n.pods {
		out = append(out, p.pod.Name)
	}
	return out
}

func assumed(pod string, node string) *podInfo {
	p := makePod(pod, requests("1", "1Gi"))
	p.Spec.NodeName = node
	return newPodInfo(p)
}

func TestCacheAssumeConfirmForget(t *testing.T) {
	c := newSchedulerCache()
	c.setNode(makeNode("a", "4", "8Gi"))
	c.setNode(makeNode("b", "4", "8Gi"))
	before := c.nodeInfos()

	p := assumed("p", "a")
	if err := c.assumePod(p); err != nil {
		t.Fatal(err)
	}
	if err := c.assumePod(p); err == nil {
		t.Fatal("assumed twice")
	}
	if got := c.nodeInfos()[0].requested.milliCPU; got != 1000 {
		t.Errorf("a requests %dm after assume, want 1000m", got)
	}
	if got := before[0].requested.milliCPU; got != 0 {
		t.Errorf("an earlier snapshot changed: %dm", got)
	}

	// The informer shows it bound: no longer assumed, and forgetting it does nothing.
	c.setPod(p.pod)
	if c.isAssumed(p.pod.UID) {
		t.Error("still assumed after the informer showed it")
	}
	c.forgetPod(p.pod.UID)
	if got := nodePods(c, "a"); len(got) != 1 {
		t.Errorf("a holds %v after forgetting a confirmed pod", got)
	}

	// A failed bind takes the assumption back.
	q := assumed("q", "b")
	_ = c.assumePod(q)
	c.forgetPod(q.pod.UID)
	if got := nodePods(c, "b"); len(got) != 0 {
		t.Errorf("b holds %v after forget", got)
	}
	if got := c.nodeInfos()[1].requested.milliCPU; got != 0 {
		t.Errorf("b requests %dm after forget", got)
	}
}

func TestCachePodBoundElsewhereReplacesAssumption(t *testing.T) {
	c := newSchedulerCache()
	c.setNode(makeNode("a", "4", "8Gi"))
	c.setNode(makeNode("b", "4", "8Gi"))
	p := assumed("p", "a")
	_ = c.assumePod(p)
	elsewhere := p.pod.DeepCopy()
	elsewhere.Spec.NodeName = "b"
	c.setPod(elsewhere)
	if a, b := nodePods(c, "a"), nodePods(c, "b"); len(a) != 0 || len(b) != 1 {
		t.Errorf("a %v, b %v", a, b)
	}
}

func TestCacheNodeGoneKeepsItsPods(t *testing.T) {
	c := newSchedulerCache()
	c.setNode(makeNode("a", "4", "8Gi"))
	c.setPod(assumed("p", "a").pod)
	c.removeNode("a")
	if got := len(c.nodeInfos()); got != 0 {
		t.Errorf("%d nodes listed after removal", got)
	}
	c.setNode(makeNode("a", "4", "8Gi"))
	if got := c.nodeInfos()[0].requested.milliCPU; got != 1000 {
		t.Errorf("node back with %dm requested, want its pod's 1000m", got)
	}
	// Pods bound to a node that does not exist yet wait for it.
	c.setPod(assumed("q", "later").pod)
	c.setNode(makeNode("later", "4", "8Gi"))
	if got := nodePods(c, "later"); len(got) != 1 {
		t.Errorf("later holds %v", got)
	}
	if names := c.names; len(names) != 2 || names[0] != "a" || names[1] != "later" {
		t.Errorf("names %v", names)
	}
}
