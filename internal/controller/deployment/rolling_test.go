package deployment

import (
	"testing"

	apps "k8s.io/api/apps/v1"
)

// The cases of upstream's TestDeploymentController_reconcileNewReplicaSet.
func TestReconcileNewReplicaSet(t *testing.T) {
	tests := []struct {
		deploymentReplicas, maxSurge, oldReplicas, newReplicas int32
		scaleExpected                                          bool
		expectedNewReplicas                                    int32
	}{
		{10, 0, 10, 0, false, 0},
		{10, 2, 10, 0, true, 2},
		{10, 2, 5, 0, true, 7},
		{10, 2, 10, 2, false, 0},
		{10, 2, 2, 11, true, 10},
	}
	for i, tt := range tests {
		newRS := rs("foo-v2", tt.newReplicas, nil, newTimestamp)
		oldRS := rs("foo-v1", tt.oldReplicas, nil, oldTimestamp)
		d := newDeployment("foo", tt.deploymentReplicas, nil, intOrStr(tt.maxSurge), intOrStr(0), nil)
		p := testPlanner(d)
		scaled, err := p.reconcileNewReplicaSet([]*apps.ReplicaSet{newRS, oldRS}, newRS)
		if err != nil {
			t.Fatal(err)
		}
		if scaled != tt.scaleExpected {
			t.Errorf("%d: scaled = %v, want %v", i, scaled, tt.scaleExpected)
			continue
		}
		if got, ok := p.scaled()["foo-v2"]; tt.scaleExpected && (!ok || got != tt.expectedNewReplicas) {
			t.Errorf("%d: new replicas = %d, want %d", i, got, tt.expectedNewReplicas)
		}
	}
}

// The cases of upstream's TestDeploymentController_reconcileOldReplicaSets.
func TestReconcileOldReplicaSets(t *testing.T) {
	tests := []struct {
		deploymentReplicas, maxUnavailable, oldReplicas, newReplicas int32
		readyFromOld, readyFromNew                                   int32
		scaleExpected                                                bool
		expectedOldReplicas                                          int32
	}{
		{10, 0, 10, 0, 10, 0, true, 9}, // maxUnavailable resolves to 1 when both are 0
		{10, 2, 10, 0, 10, 0, true, 8},
		{10, 2, 10, 0, 8, 0, true, 8}, // unhealthy replicas are cleaned up first
		{10, 2, 10, 0, 9, 0, true, 8}, // one unhealthy, one healthy
		{10, 2, 8, 2, 8, 0, false, 0}, // the new ReplicaSet's unavailable pods use the budget
	}
	for i, tt := range tests {
		newRS := withAvailable(rs("foo-v2", tt.newReplicas, nil, newTimestamp), tt.readyFromNew)
		oldRS := withAvailable(rs("foo-v1", tt.oldReplicas, nil, oldTimestamp), tt.readyFromOld)
		d := newDeployment("foo", tt.deploymentReplicas, nil, intOrStr(0), intOrStr(tt.maxUnavailable), nil)
		p := testPlanner(d)
		scaled, err := p.reconcileOldReplicaSets([]*apps.ReplicaSet{oldRS, newRS}, []*apps.ReplicaSet{oldRS}, newRS)
		if err != nil {
			t.Fatal(err)
		}
		if scaled != tt.scaleExpected {
			t.Errorf("%d: scaled = %v, want %v", i, scaled, tt.scaleExpected)
			continue
		}
		if got := p.scaled()["foo-v1"]; tt.scaleExpected && got != tt.expectedOldReplicas {
			t.Errorf("%d: old replicas = %d, want %d", i, got, tt.expectedOldReplicas)
		}
	}
}

// The cases of upstream's TestDeploymentController_cleanupUnhealthyReplicas.
func TestCleanupUnhealthyReplicas(t *testing.T) {
	tests := []struct {
		oldReplicas, readyPods, maxCleanup, wantCleanup int32
	}{
		{10, 8, 1, 1},
		{10, 8, 3, 2},
		{10, 8, 0, 0},
		{10, 10, 3, 0},
	}
	for i, tt := range tests {
		oldRS := withAvailable(rs("foo-v2", tt.oldReplicas, nil, oldTimestamp), tt.readyPods)
		p := testPlanner(newDeployment("foo", 10, nil, intOrStr(2), intOrStr(2), nil))
		_, n, err := p.cleanupUnhealthyReplicas([]*apps.ReplicaSet{oldRS}, tt.maxCleanup)
		if err != nil {
			t.Fatal(err)
		}
		if n != tt.wantCleanup {
			t.Errorf("%d: cleaned %d, want %d", i, n, tt.wantCleanup)
		}
	}
}

// The cases of upstream's
// TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate.
func TestScaleDownOldReplicaSetsForRollingUpdate(t *testing.T) {
	tests := []struct {
		deploymentReplicas, maxUnavailable, readyPods, oldReplicas int32
		scaleExpected                                              bool
		expectedOldReplicas                                        int32
	}{
		{10, 0, 10, 10, true, 9},
		{10, 2, 10, 10, true, 8},
		{10, 2, 8, 10, false, 0},
		{10, 2, 10, 0, false, 0},
		{10, 2, 1, 10, false, 0},
	}
	for i, tt := range tests {
		oldRS := withAvailable(rs("foo-v2", tt.oldReplicas, nil, oldTimestamp), tt.readyPods)
		p := testPlanner(newDeployment("foo", tt.deploymentReplicas, nil, intOrStr(0), intOrStr(tt.maxUnavailable), nil))
		n := p.scaleDownOldReplicaSetsForRollingUpdate([]*apps.ReplicaSet{oldRS}, []*apps.ReplicaSet{oldRS})
		if (n > 0) != tt.scaleExpected {
			t.Errorf("%d: scaled down %d, want scaling %v", i, n, tt.scaleExpected)
			continue
		}
		if got := p.scaled()["foo-v2"]; tt.scaleExpected && got != tt.expectedOldReplicas {
			t.Errorf("%d: old replicas = %d, want %d", i, got, tt.expectedOldReplicas)
		}
	}
}
