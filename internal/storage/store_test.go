package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	e, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	s := New(e.Client, scheme.Scheme)
	s.UseWatcher(e.WatchClient)
	return s
}

func configMap(name string, labels map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels}, Data: map[string]string{"k": name}}
}

func newCM() runtime.Object { return &corev1.ConfigMap{} }

func TestCreateGetUpdateDelete(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	key := "/registry/configmaps/default/a"
	cm := configMap("a", nil)
	if err := s.Create(ctx, key, cm); err != nil {
		t.Fatal(err)
	}
	if cm.ResourceVersion == "" {
		t.Fatal("create did not set resourceVersion")
	}
	if err := s.Create(ctx, key, configMap("a", nil)); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("second create: got %v, want ErrAlreadyExists", err)
	}
	got := &corev1.ConfigMap{}
	if err := s.Get(ctx, key, got); err != nil || got.Data["k"] != "a" || got.ResourceVersion != cm.ResourceVersion {
		t.Fatalf("get: %v %+v", err, got)
	}
	updated, err := s.Update(ctx, key, newCM, func(cur runtime.Object) (runtime.Object, error) {
		c := cur.(*corev1.ConfigMap)
		c.Data["k"] = "b"
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.(*corev1.ConfigMap).ResourceVersion == cm.ResourceVersion {
		t.Fatal("update kept the resourceVersion")
	}
	// An update that changes nothing writes nothing.
	same, err := s.Update(ctx, key, newCM, func(cur runtime.Object) (runtime.Object, error) { return cur, nil })
	if err != nil || same.(*corev1.ConfigMap).ResourceVersion != updated.(*corev1.ConfigMap).ResourceVersion {
		t.Fatalf("no-op update: %v, rv %s vs %s", err, same.(*corev1.ConfigMap).ResourceVersion, updated.(*corev1.ConfigMap).ResourceVersion)
	}
	if _, err := s.Delete(ctx, key, newCM, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Get(ctx, key, &corev1.ConfigMap{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestListPagesAtOneRevision(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for i := 0; i < 25; i++ {
		if err := s.Create(ctx, fmt.Sprintf("/registry/configmaps/default/cm-%02d", i), configMap(fmt.Sprintf("cm-%02d", i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	opts := ListOptions{Limit: 10}
	first := int64(0)
	for page := 0; ; page++ {
		res, err := s.List(ctx, "/registry/configmaps/default/", opts, newCM)
		if err != nil {
			t.Fatal(err)
		}
		if first == 0 {
			first = res.Revision
			// A write after the first page must not show up in later pages.
			if err := s.Create(ctx, "/registry/configmaps/default/cm-99", configMap("cm-99", nil)); err != nil {
				t.Fatal(err)
			}
		} else if res.Revision != first {
			t.Fatalf("page %d read at revision %d, first page at %d", page, res.Revision, first)
		}
		for _, o := range res.Items {
			names = append(names, o.(*corev1.ConfigMap).Name)
		}
		if res.Continue == "" {
			break
		}
		opts.Continue = res.Continue
	}
	if len(names) != 25 {
		t.Fatalf("got %d items over the pages, want 25: %v", len(names), names)
	}
}

func TestWatchFromRevisionAndCompaction(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := configMap("a", map[string]string{"app": "x"})
	if err := s.Create(ctx, "/registry/configmaps/default/a", a); err != nil {
		t.Fatal(err)
	}
	from, _ := ParseRevision(a.ResourceVersion)
	if _, err := s.Update(ctx, "/registry/configmaps/default/a", newCM, func(cur runtime.Object) (runtime.Object, error) {
		c := cur.(*corev1.ConfigMap)
		c.Labels = nil // stops matching app=x
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	pred := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Labels["app"] == "x" }
	w := s.Watch(ctx, "/registry/configmaps/", from, newCM, WatchOptions{Predicate: pred})
	defer w.Stop()
	ev := next(t, w)
	if ev.Type != watch.Deleted || ev.Object.(*corev1.ConfigMap).Name != "a" {
		t.Fatalf("got %s %v, want DELETED a (it stopped matching the selector)", ev.Type, ev.Object)
	}

	if err := s.Create(ctx, "/registry/configmaps/default/b", configMap("b", nil)); err != nil {
		t.Fatal(err)
	}
	cur, err := s.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, cur); err != nil {
		t.Fatal(err)
	}
	old := s.Watch(ctx, "/registry/configmaps/", from, newCM, WatchOptions{})
	defer old.Stop()
	ev = next(t, old)
	status, ok := ev.Object.(*metav1.Status)
	if ev.Type != watch.Error || !ok || status.Code != 410 || status.Reason != metav1.StatusReasonExpired {
		t.Fatalf("watch from a compacted revision: got %s %+v, want ERROR 410 Expired", ev.Type, ev.Object)
	}
	if _, err := s.List(ctx, "/registry/configmaps/", ListOptions{Revision: from}, newCM); !errors.Is(err, ErrExpired) {
		t.Fatalf("list at a compacted revision: got %v, want ErrExpired", err)
	}
}

func next(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event in 10s")
	}
	return watch.Event{}
}
