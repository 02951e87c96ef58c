package endpointslice

import (
	"testing"
	"time"

	discovery "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func trackedSliceAt(uid, rv string) *discovery.EndpointSlice {
	return &discovery.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-" + uid, UID: types.UID(uid),
		ResourceVersion: rv, Labels: map[string]string{discovery.LabelServiceName: "web"}}}
}

func TestSliceTracker(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := newSliceTracker()
	tr.now = func() time.Time { return now }
	a5, a7, b3 := trackedSliceAt("a", "5"), trackedSliceAt("a", "7"), trackedSliceAt("b", "3")

	if tr.stale("default/web", []*discovery.EndpointSlice{a5}) || !tr.shouldSync(a5) {
		t.Fatal("an untracked service is never stale and its events are news")
	}
	tr.wrote(a7)
	if !tr.stale("default/web", []*discovery.EndpointSlice{a5}) {
		t.Error("cache older than our write: want stale")
	}
	if tr.stale("default/web", []*discovery.EndpointSlice{a7}) || tr.shouldSync(a7) {
		t.Error("cache at our write: not stale, and the echo is no news")
	}
	if !tr.stale("default/web", nil) {
		t.Error("our created slice missing from the cache: want stale")
	}
	tr.wait("default/web")
	if !tr.caughtUp("default/web") || tr.caughtUp("default/web") {
		t.Error("caughtUp reports a waiting sync exactly once")
	}
	tr.deleting(b3)
	if !tr.stale("default/web", []*discovery.EndpointSlice{a7, b3}) {
		t.Error("a slice we deleted still cached: want stale")
	}
	if !tr.observedDeletion(b3) || tr.observedDeletion(a7) {
		t.Error("observedDeletion tells expected deletions from others")
	}
	// A write the cache never shows stops holding syncs back after a while.
	now = now.Add(trackedSliceTTL + time.Second)
	if tr.stale("default/web", nil) {
		t.Error("expired tracking still makes the cache stale")
	}
}
