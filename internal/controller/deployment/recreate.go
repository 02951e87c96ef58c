package deployment

import (
	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// rolloutRecreate scales every old ReplicaSet to zero, waits until none of their pods
// runs any more, and only then creates or scales up the new ReplicaSet.
func (p *planner) rolloutRecreate() error {
	// No new ReplicaSet yet: creating it now would scale up before scaling down.
	newRS, oldRSs, err := p.getAllReplicaSetsAndSyncRevision(false)
	if err != nil {
		return err
	}
	allRSs := append(oldRSs, newRS)
	if p.scaleDownOldReplicaSetsForRecreate(filterActiveReplicaSets(oldRSs)) {
		p.syncRolloutStatus(allRSs, newRS)
		return nil
	}
	if oldPodsRunning(newRS, oldRSs, p.podMap) {
		p.syncRolloutStatus(allRSs, newRS)
		return nil
	}
	if newRS == nil {
		if newRS, oldRSs, err = p.getAllReplicaSetsAndSyncRevision(true); err != nil {
			return err
		}
		allRSs = append(oldRSs, newRS)
	}
	p.scaleReplicaSetAndRecordEvent(newRS, *p.d.Spec.Replicas)
	if deploymentComplete(p.d, &p.d.Status) {
		p.cleanupDeployment(oldRSs)
	}
	p.syncRolloutStatus(allRSs, newRS)
	return nil
}

func (p *planner) scaleDownOldReplicaSetsForRecreate(oldRSs []*apps.ReplicaSet) bool {
	scaled := false
	for i, rs := range oldRSs {
		if *rs.Spec.Replicas == 0 {
			continue
		}
		if ok, updated := p.scaleReplicaSetAndRecordEvent(rs, 0); ok {
			oldRSs[i], scaled = updated, true
		}
	}
	return scaled
}

// oldPodsRunning reports whether an old ReplicaSet still counts pods, or any pod of an
// old ReplicaSet is not terminal: a terminating pod still runs, and a pod in phase
// Unknown may.
func oldPodsRunning(newRS *apps.ReplicaSet, oldRSs []*apps.ReplicaSet, podMap map[types.UID][]*v1.Pod) bool {
	if statusReplicas(oldRSs) > 0 {
		return true
	}
	for uid, pods := range podMap {
		if newRS != nil && newRS.UID == uid {
			continue
		}
		for _, pod := range pods {
			if pod.Status.Phase != v1.PodFailed && pod.Status.Phase != v1.PodSucceeded {
				return true
			}
		}
	}
	return false
}
