package streaming_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"ordinal.dev/ordinal/internal/agent/streaming"
	"ordinal.dev/ordinal/internal/runtime/sim"
)

func TestLocalNodesTellClustersApartByNodeUID(t *testing.T) {
	local := &streaming.LocalNodes{}
	node := func(uid string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "twin", UID: types.UID(uid)}}
	}
	server := func(uid string) *streaming.Server {
		s, err := streaming.NewServer(streaming.Config{NodeName: "twin", Client: fake.NewClientset(node(uid)), Runtime: sim.New(sim.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	if h := local.Lookup(ctx, node("a")); h != nil {
		t.Fatal("found a server in an empty registry")
	}
	a, b := server("a"), server("b")
	unregisterA := local.Register(a)
	if h := local.Lookup(ctx, node("anything")); h != a {
		t.Error("a single server for a name must be found without asking its API")
	}
	unregisterB := local.Register(b)
	if h := local.Lookup(ctx, node("b")); h != b {
		t.Error("node b's UID did not find its server")
	}
	if h := local.Lookup(ctx, node("a")); h != a {
		t.Error("node a's UID did not find its server")
	}
	if h := local.Lookup(ctx, node("c")); h != nil {
		t.Error("a node of neither cluster found a server")
	}
	unregisterA()
	if h := local.Lookup(ctx, node("b")); h != b {
		t.Error("unregistering a dropped b")
	}
	unregisterB()
	if h := local.Lookup(ctx, node("b")); h != nil {
		t.Error("b still found after unregistering")
	}
}
