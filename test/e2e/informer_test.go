package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// eventLog records an informer's handler calls as "ADDED name", "MODIFIED name rv->rv" and
// "DELETED name".
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

func (l *eventLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

func (l *eventLog) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			l.add("ADDED %s", obj.(*corev1.ConfigMap).Name)
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, n := oldObj.(*corev1.ConfigMap), newObj.(*corev1.ConfigMap)
			l.add("MODIFIED %s %s->%s", n.Name, o.ResourceVersion, n.ResourceVersion)
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				l.add("DELETED %s (missed, found on re-list)", tomb.Key)
				return
			}
			l.add("DELETED %s", obj.(*corev1.ConfigMap).Name)
		},
	}
}

// waitFor waits until the log has an entry starting with marker and returns everything
// recorded after index from, up to and without the marker.
func (l *eventLog) waitFor(t *testing.T, from int, marker string) []string {
	t.Helper()
	var got []string
	eventually(t, 60*time.Second, func() string {
		all := l.snapshot()
		for i := from; i < len(all); i++ {
			if strings.HasPrefix(all[i], marker) {
				got = all[from:i]
				return ""
			}
		}
		return fmt.Sprintf("the informer has not seen %q; it saw %q", marker, all[from:])
	})
	return got
}

// TestInformerResumesAfterRestart: a client-go informer sees creates, updates and deletes in
// order; when the server restarts on the same data dir it resumes its watch from the last
// resourceVersion it saw, so it gets the changes made since and nothing twice.
func TestInformerResumesAfterRestart(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	config, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const ns = "informer"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cms := client.CoreV1().ConfigMaps(ns)
	create := func(name string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"test": "informer"}}, Data: map[string]string{"v": "1"}}
		if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	update := func(name, value string) {
		t.Helper()
		cm, err := cms.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		cm.Data["v"] = value
		if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update %s: %v", name, err)
		}
	}
	remove := func(name string) {
		t.Helper()
		if err := cms.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete %s: %v", name, err)
		}
	}

	create("untouched")
	create("changing")

	log := &eventLog{}
	// Only the test's own objects: the namespace also holds kube-root-ca.crt.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "test=informer" }))
	informer := factory.Core().V1().ConfigMaps().Informer()
	if _, err := informer.AddEventHandler(log.handler()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, informer.HasSynced) {
		t.Fatal("the informer did not sync")
	}

	// The initial list: one ADDED per object.
	create("marker-1")
	initial := log.waitFor(t, 0, "ADDED marker-1")
	slices.Sort(initial)
	if want := []string{"ADDED changing", "ADDED untouched"}; !slices.Equal(initial, want) {
		t.Fatalf("initial list gave %q, want %q", initial, want)
	}

	// Changes arrive in the order they were made.
	from := len(log.snapshot())
	create("temp")
	update("temp", "2")
	remove("temp")
	update("changing", "2")
	create("marker-2")
	wantEvents(t, log.waitFor(t, from, "ADDED marker-2"), "ADDED temp", "MODIFIED temp", "DELETED temp", "MODIFIED changing")

	// Restart the server; the informer keeps running and reconnects by itself.
	c.stop()
	c.restart()
	from = len(log.snapshot())
	create("after-restart")
	update("changing", "3")
	remove("marker-1")
	create("marker-3")
	// Only what changed since: no ADDED for objects the informer already has, and no
	// MODIFIED that does not change the resourceVersion (the sign of a re-list).
	wantEvents(t, log.waitFor(t, from, "ADDED marker-3"), "ADDED after-restart", "MODIFIED changing", "DELETED marker-1")

	store := informer.GetStore().ListKeys()
	slices.Sort(store)
	if want := []string{ns + "/after-restart", ns + "/changing", ns + "/marker-2", ns + "/marker-3", ns + "/untouched"}; !slices.Equal(store, want) {
		t.Errorf("informer cache = %q, want %q", store, want)
	}
}

// wantEvents compares recorded events with want, where a MODIFIED must also have moved
// the resourceVersion forward.
func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i] == want[i] || strings.HasPrefix(got[i], want[i]+" ")
		if ok && strings.HasPrefix(got[i], "MODIFIED ") {
			var name, rvs string
			fmt.Sscanf(got[i], "MODIFIED %s %s", &name, &rvs)
			before, after, _ := strings.Cut(rvs, "->")
			ok = before != after
		}
	}
	if !ok {
		t.Errorf("informer events = %q, want %q (each MODIFIED with a new resourceVersion)", got, want)
	}
}
