package deployment

import (
	"fmt"
	"sort"

	apps "k8s.io/api/apps/v1"
)

// rolloutRolling moves one step of a rolling update: scale the new ReplicaSet up as far
// as maxSurge allows; if nothing changed, scale old ones down as far as maxUnavailable
// allows; clean up history once complete; then report progress.
func (p *planner) rolloutRolling() error {
	newRS, oldRSs, err := p.getAllReplicaSetsAndSyncRevision(true)
	if err != nil {
		return err
	}
	allRSs := append(oldRSs, newRS)
	scaledUp, err := p.reconcileNewReplicaSet(allRSs, newRS)
	if err != nil {
		return err
	}
	if scaledUp {
		p.syncRolloutStatus(allRSs, newRS)
		return nil
	}
	scaledDown, err := p.reconcileOldReplicaSets(allRSs, filterActiveReplicaSets(oldRSs), newRS)
	if err != nil {
		return err
	}
	if scaledDown {
		p.syncRolloutStatus(allRSs, newRS)
		return nil
	}
	if deploymentComplete(p.d, &p.d.Status) {
		p.cleanupDeployment(oldRSs)
	}
	p.syncRolloutStatus(allRSs, newRS)
	return nil
}

// reconcileNewReplicaSet scales the new ReplicaSet towards spec.replicas within the surge.
func (p *planner) reconcileNewReplicaSet(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) (bool, error) {
	d := p.d
	if *newRS.Spec.Replicas == *d.Spec.Replicas {
		return false, nil
	}
	if *newRS.Spec.Replicas > *d.Spec.Replicas {
		scaled, _ := p.scaleReplicaSetAndRecordEvent(newRS, *d.Spec.Replicas)
		return scaled, nil
	}
	n, err := newRSNewReplicas(d, allRSs, newRS)
	if err != nil {
		return false, err
	}
	scaled, _ := p.scaleReplicaSetAndRecordEvent(newRS, n)
	return scaled, nil
}

// reconcileOldReplicaSets scales old ReplicaSets down while keeping spec.replicas -
// maxUnavailable pods available, counting the new ReplicaSet's unavailable pods against
// the budget. Unhealthy old replicas go first: removing them costs no availability.
func (p *planner) reconcileOldReplicaSets(allRSs, oldRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) (bool, error) {
	d := p.d
	if specReplicas(oldRSs) == 0 {
		return false, nil
	}
	minAvailable := *d.Spec.Replicas - MaxUnavailable(d)
	newRSUnavailable := *newRS.Spec.Replicas - newRS.Status.AvailableReplicas
	maxScaledDown := specReplicas(allRSs) - minAvailable - newRSUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := p.cleanupUnhealthyReplicas(oldRSs, maxScaledDown)
	if err != nil {
		return false, err
	}
	allRSs = append(oldRSs, newRS)
	scaledDown := p.scaleDownOldReplicaSetsForRollingUpdate(allRSs, oldRSs)
	return cleaned+scaledDown > 0, nil
}

// cleanupUnhealthyReplicas removes up to maxCleanup unavailable replicas from old
// ReplicaSets, oldest first, and returns the ReplicaSets as updated.
func (p *planner) cleanupUnhealthyReplicas(oldRSs []*apps.ReplicaSet, maxCleanup int32) ([]*apps.ReplicaSet, int32, error) {
	sort.Sort(byCreationTimestamp(oldRSs))
	var total int32
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		if *rs.Spec.Replicas == 0 || *rs.Spec.Replicas == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, *rs.Spec.Replicas-rs.Status.AvailableReplicas)
		newReplicas := *rs.Spec.Replicas - n
		if newReplicas > *rs.Spec.Replicas {
			return nil, 0, fmt.Errorf("when cleaning up unhealthy replicas, got invalid request to scale down %s/%s %d -> %d", rs.Namespace, rs.Name, *rs.Spec.Replicas, newReplicas)
		}
		_, oldRSs[i] = p.scaleReplicaSetAndRecordEvent(rs, newReplicas)
		total += n
	}
	return oldRSs, total, nil
}

// scaleDownOldReplicaSetsForRollingUpdate removes available old replicas, oldest
// ReplicaSet first, down to spec.replicas - maxUnavailable available pods in all.
func (p *planner) scaleDownOldReplicaSetsForRollingUpdate(allRSs, oldRSs []*apps.ReplicaSet) int32 {
	d := p.d
	minAvailable := *d.Spec.Replicas - MaxUnavailable(d)
	available := availableReplicas(allRSs)
	if available <= minAvailable {
		return 0
	}
	sort.Sort(byCreationTimestamp(oldRSs))
	var total int32
	budget := available - minAvailable
	for _, rs := range oldRSs {
		if total >= budget {
			break
		}
		if *rs.Spec.Replicas == 0 {
			continue
		}
		n := min(*rs.Spec.Replicas, budget-total)
		p.scaleReplicaSetAndRecordEvent(rs, *rs.Spec.Replicas-n)
		total += n
	}
	return total
}
