package replicaset

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
)

func TestPlanReplicas(t *testing.T) {
	hourAgo := t0.Add(-time.Hour)
	tests := []struct {
		name       string
		replicas   int32
		active     []*v1.Pod
		related    []*v1.Pod
		burst      int
		wantCreate int
		wantDelete []string
	}{{
		name: "nothing to do", replicas: 2, active: podList(2), burst: 500,
	}, {
		name: "creates the missing pods", replicas: 3, active: podList(1), burst: 500, wantCreate: 2,
	}, {
		name: "creates at most burst pods per sync", replicas: 1200, burst: 500, wantCreate: 500,
	}, {
		name: "deletes unscheduled, then not ready pods first", replicas: 2,
		active: []*v1.Pod{
			newPod("ready", readySince(hourAgo)),
			newPod("not-ready", notReady),
			newPod("ready-2", readySince(hourAgo)),
			newPod("unscheduled", unscheduled, phase(v1.PodPending)),
		},
		burst: 500, wantDelete: []string{"unscheduled", "not-ready"},
	}, {
		name: "scale to zero deletes every pod", replicas: 0, active: podList(3), burst: 500,
		wantDelete: []string{"p0", "p1", "p2"},
	}, {
		name: "deletes at most burst pods per sync", replicas: 0, active: podList(3), burst: 2,
		wantDelete: []string{"p0", "p1"},
	}, {
		name: "spreads: the pod sharing its node with more related pods goes", replicas: 1,
		active: []*v1.Pod{
			newPod("alone", onNode("node-1"), readySince(hourAgo)),
			newPod("crowded", onNode("node-2"), readySince(hourAgo)),
		},
		related: []*v1.Pod{
			newPod("alone", onNode("node-1")), newPod("crowded", onNode("node-2")),
			newPod("sibling", onNode("node-2")), newPod("gone", onNode("node-1"), terminating),
		},
		burst: 500, wantDelete: []string{"crowded"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planReplicas(tt.replicas, tt.active, tt.related, tt.burst, t0)
			if got.create != tt.wantCreate {
				t.Errorf("create = %d, want %d", got.create, tt.wantCreate)
			}
			if diff := cmp.Diff(tt.wantDelete, names(got.delete), cmp.Comparer(func(a, b []string) bool {
				return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b)
			})); diff != "" {
				t.Errorf("delete (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodsToDeleteDoesNotReorderInput(t *testing.T) {
	active := []*v1.Pod{newPod("b", readySince(t0)), newPod("a", notReady)}
	podsToDelete(active, nil, 1, t0)
	if active[0].Name != "b" {
		t.Errorf("input reordered: %v", names(active))
	}
}
