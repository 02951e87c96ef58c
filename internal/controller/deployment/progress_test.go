package deployment

import (
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestSyncRolloutStatus follows upstream's test of the same name.
func TestSyncRolloutStatus(t *testing.T) {
	pds := int32(60)
	long := metav1.NewTime(t0.Add(-2 * time.Minute))
	progressing := func(reason string, at metav1.Time) []apps.DeploymentCondition {
		return []apps.DeploymentCondition{{Type: apps.DeploymentProgressing, Status: v1.ConditionTrue, Reason: reason, LastUpdateTime: at, LastTransitionTime: at}}
	}
	tests := []struct {
		name       string
		d          func() *apps.Deployment
		allRSs     []*apps.ReplicaSet
		newRS      *apps.ReplicaSet
		wantReason string
		wantStatus v1.ConditionStatus
		wantMsg    string
	}{{
		name: "no progress deadline: no Progressing condition",
		d: func() *apps.Deployment {
			d := newDeployment("foo", 1, nil, nil, nil, nil)
			d.Status.Conditions = progressing(ReplicaSetUpdatedReason, long)
			return d
		},
		newRS: rs("foo-new", 1, nil, newTimestamp),
	}, {
		name: "complete: NewReplicaSetAvailable",
		d: func() *apps.Deployment {
			d := newDeployment("foo", 1, nil, nil, nil, nil)
			d.Spec.ProgressDeadlineSeconds = &pds
			d.Status.Conditions = progressing(ReplicaSetUpdatedReason, long)
			return d
		},
		newRS:      rs("foo-new", 1, nil, newTimestamp),
		wantReason: NewRSAvailableReason, wantStatus: v1.ConditionTrue,
		wantMsg: `ReplicaSet "foo-new" has successfully progressed.`,
	}, {
		name: "progress refreshes the condition",
		d: func() *apps.Deployment {
			d := newDeployment("foo", 2, nil, nil, nil, nil)
			d.Spec.ProgressDeadlineSeconds = &pds
			d.Status = apps.DeploymentStatus{Replicas: 2, UpdatedReplicas: 1, Conditions: progressing(ReplicaSetUpdatedReason, long)}
			return d
		},
		allRSs:     []*apps.ReplicaSet{withAvailable(rs("foo-old", 0, nil, oldTimestamp), 0)},
		newRS:      withAvailable(rs("foo-new", 2, nil, newTimestamp), 1),
		wantReason: ReplicaSetUpdatedReason, wantStatus: v1.ConditionTrue,
		wantMsg: `ReplicaSet "foo-new" is progressing.`,
	}, {
		name: "no progress past the deadline: ProgressDeadlineExceeded",
		d: func() *apps.Deployment {
			d := newDeployment("foo", 2, nil, nil, nil, nil)
			d.Spec.ProgressDeadlineSeconds = &pds
			d.Status = apps.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ObservedGeneration: 1, Conditions: progressing(ReplicaSetUpdatedReason, long)}
			return d
		},
		newRS:      withAvailable(rs("foo-new", 2, nil, newTimestamp), 0),
		wantReason: TimedOutReason, wantStatus: v1.ConditionFalse,
		wantMsg: `ReplicaSet "foo-new" has timed out progressing.`,
	}, {
		name: "no new replica set: the deployment is named",
		d: func() *apps.Deployment {
			d := newDeployment("foo", 0, nil, nil, nil, nil)
			d.Spec.ProgressDeadlineSeconds = &pds
			d.Status.Conditions = progressing(ReplicaSetUpdatedReason, long)
			return d
		},
		wantReason: NewRSAvailableReason, wantStatus: v1.ConditionTrue,
		wantMsg: `Deployment "foo" has successfully progressed.`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlanner(tt.d())
			all := tt.allRSs
			if tt.newRS != nil {
				all = append(all, tt.newRS)
			}
			p.syncRolloutStatus(all, tt.newRS)
			c := getCondition(p.d.Status, apps.DeploymentProgressing)
			if tt.wantReason == "" {
				if c != nil {
					t.Errorf("Progressing = %+v, want none", c)
				}
				return
			}
			if c == nil || c.Reason != tt.wantReason || c.Status != tt.wantStatus || c.Message != tt.wantMsg {
				t.Fatalf("Progressing = %+v, want %s/%s %q", c, tt.wantStatus, tt.wantReason, tt.wantMsg)
			}
			if tt.wantReason == ReplicaSetUpdatedReason && (!c.LastUpdateTime.Time.Equal(t0) || !c.LastTransitionTime.Equal(&long)) {
				t.Errorf("progress: lastUpdateTime %v (want now), lastTransitionTime %v (want kept)", c.LastUpdateTime, c.LastTransitionTime)
			}
		})
	}
}

func TestReplicaFailureIsCopied(t *testing.T) {
	failed := rs("foo-new", 2, nil, newTimestamp)
	failed.Status.Conditions = []apps.ReplicaSetCondition{{Type: apps.ReplicaSetReplicaFailure, Status: v1.ConditionTrue, Reason: "FailedCreate", Message: "quota"}}
	p := testPlanner(newDeployment("foo", 2, nil, nil, nil, nil))
	p.syncRolloutStatus([]*apps.ReplicaSet{failed}, failed)
	if c := getCondition(p.d.Status, apps.DeploymentReplicaFailure); c == nil || c.Reason != "FailedCreate" || c.Message != "quota" {
		t.Errorf("ReplicaFailure = %+v", c)
	}
	p.syncRolloutStatus([]*apps.ReplicaSet{rs("foo-new", 2, nil, newTimestamp)}, nil)
	if c := getCondition(p.d.Status, apps.DeploymentReplicaFailure); c != nil {
		t.Errorf("failure gone: condition still %+v", c)
	}
}

// TestRequeueStuckDeployment follows upstream's test of the same name.
func TestRequeueStuckDeployment(t *testing.T) {
	pds := int32(60)
	failed := []apps.DeploymentCondition{{Type: apps.DeploymentProgressing, Status: v1.ConditionFalse, Reason: TimedOutReason}}
	stuck := func(lastUpdate time.Time) []apps.DeploymentCondition {
		return []apps.DeploymentCondition{{Type: apps.DeploymentProgressing, Status: v1.ConditionTrue, Reason: ReplicaSetUpdatedReason, LastUpdateTime: metav1.NewTime(lastUpdate)}}
	}
	tests := []struct {
		name        string
		deadline    *int32
		conditions  []apps.DeploymentCondition
		status      apps.DeploymentStatus
		want        time.Duration
		rateLimited bool
	}{
		{name: "no progressDeadlineSeconds", conditions: stuck(t0), want: -1},
		{name: "no Progressing condition", deadline: &pds, want: -1},
		{name: "complete", deadline: &pds, conditions: stuck(t0), status: apps.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 1}, want: -1},
		{name: "already failed", deadline: &pds, conditions: failed, want: -1},
		{name: "stuck", deadline: &pds, conditions: stuck(t0.Add(-time.Minute + 10*time.Second)), want: 10 * time.Second},
		{name: "deadline passing now", deadline: &pds, conditions: stuck(t0.Add(-time.Minute)), want: 0, rateLimited: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDeployment("foo", 1, nil, nil, nil, nil)
			d.Spec.ProgressDeadlineSeconds = tt.deadline
			d.Status.Conditions = tt.conditions
			p := testPlanner(d)
			if got := p.requeueStuckDeployment(tt.status); got != tt.want {
				t.Errorf("after = %v, want %v", got, tt.want)
			}
			if p.out.requeueRateLimited != tt.rateLimited {
				t.Errorf("rate-limited requeue = %v", p.out.requeueRateLimited)
			}
			if tt.want > 0 && p.out.requeueAfter != tt.want+time.Second {
				t.Errorf("requeueAfter = %v, want %v", p.out.requeueAfter, tt.want+time.Second)
			}
		})
	}
}

// TestOldPodsRunning follows upstream's test of the same name.
func TestOldPodsRunning(t *testing.T) {
	newRS := rs("new", 1, nil, newTimestamp)
	old := rs("old", 0, nil, oldTimestamp)
	old.Status.Replicas = 0
	pod := func(phase v1.PodPhase) *v1.Pod { return &v1.Pod{Status: v1.PodStatus{Phase: phase}} }
	tests := []struct {
		name   string
		newRS  *apps.ReplicaSet
		oldRSs []*apps.ReplicaSet
		podMap map[types.UID][]*v1.Pod
		want   bool
	}{
		{"no old pods", newRS, []*apps.ReplicaSet{old}, map[types.UID][]*v1.Pod{newRS.UID: {pod(v1.PodRunning)}}, false},
		{"old replica set still counts replicas", nil, []*apps.ReplicaSet{rs("old2", 1, nil, oldTimestamp)}, nil, true},
		{"old running pod (terminating)", newRS, []*apps.ReplicaSet{old}, map[types.UID][]*v1.Pod{old.UID: {pod(v1.PodRunning)}}, true},
		{"old pending pod", newRS, []*apps.ReplicaSet{old}, map[types.UID][]*v1.Pod{old.UID: {pod(v1.PodPending)}}, true},
		{"old unknown pod", newRS, []*apps.ReplicaSet{old}, map[types.UID][]*v1.Pod{old.UID: {pod(v1.PodUnknown)}}, true},
		{"old terminal pods only", newRS, []*apps.ReplicaSet{old}, map[types.UID][]*v1.Pod{old.UID: {pod(v1.PodSucceeded), pod(v1.PodFailed)}}, false},
	}
	for _, tt := range tests {
		if got := oldPodsRunning(tt.newRS, tt.oldRSs, tt.podMap); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}
