package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// A burst of watches ended at once (clients going away together) must leave the store able
// to watch: etcd's in-process transport deadlocks on such a burst (etcd-io/etcd#18879), so
// watches go over gRPC.
func TestWatchesSurviveACancellationStorm(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		var ws []watch.Interface
		for i := 0; i < 100; i++ {
			w := s.Watch(ctx, "/registry/configmaps/", 0, newCM, WatchOptions{})
			ws = append(ws, w)
			go func() {
				for range w.ResultChan() {
				}
			}()
		}
		for i := 0; i < 20; i++ {
			key := fmt.Sprintf("/registry/configmaps/default/r%d-%d", round, i)
			if err := s.Create(ctx, key, configMap(fmt.Sprintf("r%d-%d", round, i), nil)); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range ws {
			w.Stop()
		}
		w := s.Watch(ctx, "/registry/configmaps/", 0, newCM, WatchOptions{})
		if err := s.Create(ctx, fmt.Sprintf("/registry/configmaps/default/after-%d", round), configMap(fmt.Sprintf("after-%d", round), nil)); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.ResultChan():
			if ev.Type != watch.Added || ev.Object.(*corev1.ConfigMap).Name != fmt.Sprintf("after-%d", round) {
				t.Fatalf("round %d: got %s %v", round, ev.Type, ev.Object)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: a watch made after 100 were stopped saw nothing within 10s", round)
		}
		w.Stop()
	}
}
