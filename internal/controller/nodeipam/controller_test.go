package nodeipam_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"ordinal.dev/ordinal/internal/controller/nodeipam"
	"ordinal.dev/ordinal/internal/controlplane"
)

// runController runs a node IPAM controller until the returned stop is called.
func runController(t *testing.T, client kubernetes.Interface) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := nodeipam.New(client, factory.Core().V1().Nodes(), nodeipam.Options{})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	return func() { cancel(); <-done; factory.Shutdown() }
}

func createNodes(t *testing.T, client kubernetes.Interface, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func podCIDRs(t *testing.T, client kubernetes.Interface, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range names {
		for {
			node, err := client.CoreV1().Nodes().Get(context.Background(), n, metav1.GetOptions{})
			if err == nil && node.Spec.PodCIDR != "" {
				if len(node.Spec.PodCIDRs) != 1 || node.Spec.PodCIDRs[0] != node.Spec.PodCIDR {
					t.Fatalf("node %s: podCIDR %q podCIDRs %v", n, node.Spec.PodCIDR, node.Spec.PodCIDRs)
				}
				out[n] = node.Spec.PodCIDR
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s got no pod CIDR (err %v)", n, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return out
}

func TestNodesGetDistinctCIDRsAcrossRestarts(t *testing.T) {
	cp, err := controlplane.Start(context.Background(), controlplane.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cp.Stop)
	client := kubernetes.NewForConfigOrDie(cp.RestConfig)

	stop := runController(t, client)
	var first []string
	for i := 0; i < 5; i++ {
		first = append(first, fmt.Sprintf("node-%d", i))
	}
	createNodes(t, client, first...) // arriving together, before the cache shows any CIDR
	got := podCIDRs(t, client, first...)
	seen := map[string]string{}
	for n, c := range got {
		if other, dup := seen[c]; dup {
			t.Fatalf("%s and %s both got %s", n, other, c)
		}
		seen[c] = n
	}
	if _, ok := seen["10.42.0.0/24"]; !ok {
		t.Fatalf("CIDRs %v: the first subnet was not used", got)
	}
	stop()

	// A new controller learns what is taken from the nodes themselves.
	if err := client.CoreV1().Nodes().Delete(context.Background(), "node-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	freed := got["node-1"]
	stop = runController(t, client)
	defer stop()
	createNodes(t, client, "late-a", "late-b")
	late := podCIDRs(t, client, "late-a", "late-b")
	for n, c := range late {
		if owner, taken := seen[c]; taken && c != freed {
			t.Fatalf("%s got %s, which %s holds", n, c, owner)
		}
	}
	if late["late-a"] != freed && late["late-b"] != freed {
		t.Errorf("the freed subnet %s was not reused: %v", freed, late)
	}
}
