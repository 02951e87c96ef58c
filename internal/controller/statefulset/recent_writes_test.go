package statefulset

import (
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func rwPod(name, uid, rv string) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(uid), ResourceVersion: rv}}
}

func describe(pods []*v1.Pod) []string {
	var out []string
	for _, p := range pods {
		s := p.Name + "@" + p.ResourceVersion
		if p.DeletionTimestamp != nil {
			s += "/terminating"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestRecentWrites(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rw := newRecentWrites()
	rw.now = func() time.Time { return clock }

	cached := []*v1.Pod{rwPod("a", "ua", "5"), rwPod("b", "ub", "6")}
	rw.wrote(resourcePods, rwPod("c", "uc", "10"))  // created, not cached yet
	rw.wrote(resourcePods, rwPod("a", "ua", "11"))  // updated, cache older
	rw.deleted(resourcePods, rwPod("b", "ub", "6")) // deleted, cache still shows it alive
	rw.wrote(resourcePods, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "z", ResourceVersion: "12"}})

	got := describe(mergeRecent(rw, resourcePods, "default", cached, markTerminating))
	if want := []string{"a@11", "b@6/terminating", "c@10"}; !slices.Equal(got, want) {
		t.Fatalf("merged = %v, want %v", got, want)
	}
	if len(cached) != 2 || cached[0].ResourceVersion != "5" || cached[1].DeletionTimestamp != nil {
		t.Fatal("merging changed the cached objects")
	}

	// The informer catches up: the entries go, the cache is trusted again.
	rw.observed(resourcePods, rwPod("c", "uc", "10"), false)
	rw.observed(resourcePods, rwPod("a", "ua", "11"), false)
	gone := rwPod("b", "ub", "6")
	rw.observed(resourcePods, gone, true)
	cached = []*v1.Pod{rwPod("a", "ua", "11"), rwPod("c", "uc", "10")}
	if got := describe(mergeRecent(rw, resourcePods, "default", cached, markTerminating)); !slices.Equal(got, []string{"a@11", "c@10"}) {
		t.Fatalf("after catching up = %v", got)
	}

	// An object created and deleted again by someone else before the cache saw it.
	rw.wrote(resourcePods, rwPod("d", "ud", "20"))
	rw.observed(resourcePods, rwPod("d", "ud", "20"), true)
	if got := describe(mergeRecent(rw, resourcePods, "default", nil, markTerminating)); len(got) != 0 {
		t.Fatalf("a pod deleted by someone else is still listed: %v", got)
	}

	// Entries expire should a watch event be lost.
	rw.wrote(resourcePods, rwPod("e", "ue", "30"))
	clock = clock.Add(recentWritesTTL + time.Second)
	if got := describe(mergeRecent(rw, resourcePods, "default", nil, markTerminating)); len(got) != 0 {
		t.Fatalf("expired entry still listed: %v", got)
	}
	if len(rw.entries) != 0 {
		t.Errorf("entries = %d, want every expired one dropped", len(rw.entries))
	}
}

func TestRecentWritesFreshest(t *testing.T) {
	rw := newRecentWrites()
	set := newStatefulSet(1)
	set.UID, set.ResourceVersion = "u", "5"
	written := set.DeepCopy()
	written.ResourceVersion = "7"
	written.Status.Replicas = 1
	rw.wrote(resourceSets, written)
	if got := freshest(rw, resourceSets, set); got.ResourceVersion != "7" {
		t.Errorf("freshest = %s, want our write", got.ResourceVersion)
	}
	newer := set.DeepCopy()
	newer.ResourceVersion = "8"
	if got := freshest(rw, resourceSets, newer); got.ResourceVersion != "8" {
		t.Errorf("freshest = %s, want the newer cache", got.ResourceVersion)
	}
	if len(rw.entries) != 0 {
		t.Error("a caught-up entry must be dropped")
	}
}
