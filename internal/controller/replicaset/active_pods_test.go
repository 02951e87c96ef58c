package replicaset

import (
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
)

// TestSortingActivePods follows upstream's test of the same name: pods listed in the
// order scale-down deletes them, each one losing to the previous on exactly one rule.
func TestSortingActivePods(t *testing.T) {
	always := v1.ContainerRestartPolicyAlways
	ordered := []*v1.Pod{
		newPod("unscheduled", unscheduled, phase(v1.PodPending)),
		newPod("pending", phase(v1.PodPending)),
		newPod("unknown", phase(v1.PodUnknown)),
		newPod("running-not-ready", notReady),
		newPod("low-deletion-cost", readySince(t0.Add(-time.Hour)), deletionCost("-10")),
		newPod("ready-recently", readySince(t0.Add(-time.Second))),
		newPod("many-restarts", readySince(t0.Add(-time.Hour)), restarts(5)),
		newPod("sidecar-restarts", readySince(t0.Add(-time.Hour)), func(p *v1.Pod) {
			p.Spec.InitContainers = []v1.Container{{Name: "side", RestartPolicy: &always}}
			p.Status.InitContainerStatuses = []v1.ContainerStatus{{Name: "side", RestartCount: 3}}
		}),
		newPod("created-recently", readySince(t0.Add(-time.Hour)), created(t0.Add(-time.Hour))),
		newPod("created-long-ago", readySince(t0.Add(-time.Hour)), created(t0.Add(-100*time.Hour))),
	}
	want := names(ordered)
	rng := rand.New(rand.NewSource(1))
	for range 50 {
		pods := append([]*v1.Pod(nil), ordered...)
		rng.Shuffle(len(pods), func(i, j int) { pods[i], pods[j] = pods[j], pods[i] })
		sort.Sort(activePodsWithRanks{pods: pods, rank: make([]int, len(pods)), now: t0})
		if diff := cmp.Diff(want, names(pods)); diff != "" {
			t.Fatalf("order (-want +got):\n%s", diff)
		}
	}
}

func TestSortingActivePodsWithRanks(t *testing.T) {
	hourAgo := t0.Add(-time.Hour)
	tests := []struct {
		name         string
		a, b         *v1.Pod
		rankA, rankB int
		now          time.Time
		aFirst       bool
	}{{
		name: "more related pods on the node goes first",
		a:    newPod("a", readySince(hourAgo)), rankA: 2,
		b: newPod("b", readySince(hourAgo)), rankB: 1,
		aFirst: true,
	}, {
		name: "deletion cost beats rank",
		a:    newPod("a", readySince(hourAgo), deletionCost("-1")), rankA: 0,
		b: newPod("b", readySince(hourAgo)), rankB: 5,
		aFirst: true,
	}, {
		name:   "readiness beats deletion cost",
		a:      newPod("a", notReady, deletionCost("100")),
		b:      newPod("b", readySince(hourAgo), deletionCost("-100")),
		aFirst: true,
	}, {
		name: "malformed deletion costs count as zero",
		a:    newPod("a", readySince(hourAgo), deletionCost("+5")), rankA: 1,
		b:      newPod("b", readySince(hourAgo), deletionCost("007")),
		aFirst: true,
	}, {
		name:   "ready times in one log2 bucket tie, broken by UID",
		a:      newPod("a", readySince(hourAgo.Add(-time.Minute))),
		b:      newPod("b", readySince(hourAgo)),
		now:    t0,
		aFirst: true,
	}, {
		name:   "without a clock the newer ready time goes first",
		a:      newPod("a", readySince(hourAgo.Add(-time.Minute))),
		b:      newPod("b", readySince(hourAgo)),
		aFirst: false,
	}, {
		name:   "creation times in one log2 bucket tie, broken by UID",
		a:      newPod("a", readySince(hourAgo), created(t0.Add(-61*time.Minute))),
		b:      newPod("b", readySince(hourAgo), created(t0.Add(-60*time.Minute))),
		now:    t0,
		aFirst: true,
	}, {
		name:   "creation times in different buckets: newer first",
		a:      newPod("a", readySince(hourAgo), created(t0.Add(-100*time.Hour))),
		b:      newPod("b", readySince(hourAgo), created(t0.Add(-time.Hour))),
		now:    t0,
		aFirst: false,
	}, {
		name:   "unscheduled first even if ready",
		a:      newPod("a", unscheduled, readySince(hourAgo)),
		b:      newPod("b", phase(v1.PodPending)),
		aFirst: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := activePodsWithRanks{pods: []*v1.Pod{tt.a, tt.b}, rank: []int{tt.rankA, tt.rankB}, now: tt.now}
			if got := s.Less(0, 1); got != tt.aFirst {
				t.Errorf("Less(a, b) = %v, want %v", got, tt.aFirst)
			}
			if tt.aFirst && s.Less(1, 0) {
				t.Errorf("Less(b, a) = true as well")
			}
		})
	}
}

func TestPodDeletionCost(t *testing.T) {
	for value, want := range map[string]int32{
		"-100": -100, "0": 0, "42": 42, "+1": 0, "01": 0, "": 0, "x": 0, "2147483648": 0,
	} {
		if got := podDeletionCost(newPod("p", deletionCost(value))); got != want {
			t.Errorf("cost %q = %d, want %d", value, got, want)
		}
	}
}
