package deployment

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncStatusOnly only recomputes status (the Deployment is being deleted).
func (p *planner) syncStatusOnly() error {
	newRS, oldRSs, err := p.getAllReplicaSetsAndSyncRevision(false)
	if err != nil {
		return err
	}
	p.syncDeploymentStatus(append(oldRSs, newRS), newRS)
	return nil
}

// sync handles a paused Deployment or a scaling event: resize without rolling out.
func (p *planner) sync() error {
	newRS, oldRSs, err := p.getAllReplicaSetsAndSyncRevision(false)
	if err != nil {
		return err
	}
	if err := p.scale(newRS, oldRSs); err != nil {
		return err
	}
	// A paused Deployment still trims its history (no rollout will do it).
	if p.d.Spec.Paused && getRollbackTo(p.d) == nil {
		p.cleanupDeployment(oldRSs)
	}
	p.syncDeploymentStatus(append(oldRSs, newRS), newRS)
	return nil
}

// getAllReplicaSetsAndSyncRevision returns the new ReplicaSet (created when create and
// missing) and all old ones, with the new one's revision and annotations brought up to
// date.
func (p *planner) getAllReplicaSetsAndSyncRevision(create bool) (*apps.ReplicaSet, []*apps.ReplicaSet, error) {
	_, allOld := findOldReplicaSets(p.d, p.rsList)
	newRS, err := p.getNewReplicaSet(allOld, create)
	if err != nil {
		return nil, nil, err
	}
	return newRS, allOld, nil
}

// getNewReplicaSet finds d's new ReplicaSet and gives it the next revision and d's
// annotations; or, when create is set, creates it sized by newRSNewReplicas, named
// <deployment>-<pod-template-hash>.
func (p *planner) getNewReplicaSet(oldRSs []*apps.ReplicaSet, create bool) (*apps.ReplicaSet, error) {
	d := p.d
	existing := findNewReplicaSet(d, p.rsList)
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)
	if existing != nil {
		rs := existing.DeepCopy()
		annotationsUpdated := setNewReplicaSetAnnotations(d, rs, newRevision, true, maxRevHistoryLengthInChars)
		minReadySecondsChanged := rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds
		if annotationsUpdated || minReadySecondsChanged {
			rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			if minReadySecondsChanged {
				rs.Generation++
			}
			p.updateReplicaSet(rs, nil)
			// Later steps of this sync must see the update, not write it again.
			p.replaceReplicaSet(rs)
			return rs, nil
		}
		needsUpdate := setDeploymentRevision(d, rs.Annotations[RevisionAnnotation])
		// Progress is estimated from the first time the new ReplicaSet was seen.
		if hasProgressDeadline(d) && getCondition(d.Status, apps.DeploymentProgressing) == nil {
			setCondition(&d.Status, newCondition(apps.DeploymentProgressing, v1.ConditionTrue, FoundNewRSReason,
				fmt.Sprintf("Found new replica set %q", rs.Name), p.now))
			needsUpdate = true
		}
		if needsUpdate {
			p.updateStatus()
		}
		return rs, nil
	}
	if !create {
		return nil, nil
	}

	template := *d.Spec.Template.DeepCopy()
	hash := ComputeHash(&template, d.Status.CollisionCount)
	template.Labels = cloneAndAddLabel(d.Spec.Template.Labels, apps.DefaultDeploymentUniqueLabelKey, hash)
	zero := int32(0)
	rs := &apps.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            d.Name + "-" + hash,
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Labels:          template.Labels,
		},
		Spec: apps.ReplicaSetSpec{
			Replicas:        &zero,
			MinReadySeconds: d.Spec.MinReadySeconds,
			Selector:        cloneSelectorAndAddLabel(d.Spec.Selector, apps.DefaultDeploymentUniqueLabelKey, hash),
			Template:        template,
		},
	}
	n, err := newRSNewReplicas(d, append(append([]*apps.ReplicaSet(nil), oldRSs...), rs), rs)
	if err != nil {
		return nil, err
	}
	*rs.Spec.Replicas = n
	setNewReplicaSetAnnotations(d, rs, newRevision, false, maxRevHistoryLengthInChars)
	var ev *event
	if n > 0 {
		ev = &event{v1.EventTypeNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s from 0 to %d", rs.Name, n)}
	}
	p.createReplicaSet(rs, ev)

	needsUpdate := setDeploymentRevision(d, newRevision)
	if hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(apps.DeploymentProgressing, v1.ConditionTrue, NewReplicaSetReason,
			fmt.Sprintf("Created new replica set %q", rs.Name), p.now))
		needsUpdate = true
	}
	if needsUpdate {
		p.updateStatus()
	}
	return rs, nil
}

// replaceReplicaSet puts the updated rs in place of its old copy in the sync's list.
func (p *planner) replaceReplicaSet(rs *apps.ReplicaSet) {
	for i := range p.rsList {
		if p.rsList[i].UID == rs.UID {
			p.rsList[i] = rs
		}
	}
}

// scale resizes the ReplicaSets to spec.replicas: the only active one (or the newest)
// gets them all; with a saturated new ReplicaSet the old ones go to zero; otherwise,
// during a rolling update, the difference is spread in proportion to each ReplicaSet's
// size, the leftover going to the largest.
func (p *planner) scale(newRS *apps.ReplicaSet, oldRSs []*apps.ReplicaSet) error {
	d := p.d
	if rs := findActiveOrLatest(newRS, oldRSs); rs != nil {
		if *rs.Spec.Replicas == *d.Spec.Replicas {
			return nil
		}
		p.scaleReplicaSetAndRecordEvent(rs, *d.Spec.Replicas)
		return nil
	}
	if isSaturated(d, newRS) {
		for _, old := range filterActiveReplicaSets(oldRSs) {
			p.scaleReplicaSetAndRecordEvent(old, 0)
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	all := filterActiveReplicaSets(append(append([]*apps.ReplicaSet(nil), oldRSs...), newRS))
	allowed := int32(0)
	if *d.Spec.Replicas > 0 {
		allowed = *d.Spec.Replicas + MaxSurge(d)
	}
	toAdd := allowed - specReplicas(all)
	// Equal sizes: scale newer ReplicaSets up first and older ones down first.
	switch {
	case toAdd > 0:
		sort.Sort(bySizeNewer(all))
	case toAdd < 0:
		sort.Sort(bySizeOlder(all))
	}
	added := int32(0)
	sizes := make([]int32, len(all))
	for i, rs := range all {
		sizes[i] = *rs.Spec.Replicas
		if toAdd != 0 {
			proportion := replicaSetProportion(rs, d, toAdd, added)
			sizes[i] += proportion
			added += proportion
		}
	}
	for i, rs := range all {
		if i == 0 && toAdd != 0 {
			sizes[0] = max(sizes[0]+toAdd-added, 0)
		}
		p.scaleReplicaSet(rs, sizes[i])
	}
	return nil
}

// scaleReplicaSetAndRecordEvent resizes rs unless it already has newScale.
func (p *planner) scaleReplicaSetAndRecordEvent(rs *apps.ReplicaSet, newScale int32) (bool, *apps.ReplicaSet) {
	if *rs.Spec.Replicas == newScale {
		return false, rs
	}
	return p.scaleReplicaSet(rs, newScale)
}

// scaleReplicaSet writes rs with newScale replicas and the Deployment's current desired
// and max replicas; it reports whether the size changed.
func (p *planner) scaleReplicaSet(rs *apps.ReplicaSet, newScale int32) (bool, *apps.ReplicaSet) {
	d := p.d
	desired, maxReplicas := *d.Spec.Replicas, *d.Spec.Replicas+MaxSurge(d)
	sizeChanged := *rs.Spec.Replicas != newScale
	if !sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false, rs
	}
	oldScale := *rs.Spec.Replicas
	updated := rs.DeepCopy()
	*updated.Spec.Replicas = newScale
	setReplicasAnnotations(updated, desired, maxReplicas)
	var ev *event
	if sizeChanged {
		updated.Generation++
		op := "up"
		if newScale < oldScale {
			op = "down"
		}
		ev = &event{v1.EventTypeNormal, "ScalingReplicaSet", fmt.Sprintf("Scaled %s replica set %s from %d to %d", op, rs.Name, oldScale, newScale)}
	}
	p.updateReplicaSet(updated, ev)
	return sizeChanged, updated
}

// cleanupDeployment deletes the oldest old ReplicaSets beyond revisionHistoryLimit, of
// those with no replicas left and their status caught up.
func (p *planner) cleanupDeployment(oldRSs []*apps.ReplicaSet) {
	d := p.d
	if !hasRevisionHistoryLimit(d) {
		return
	}
	var cleanable []*apps.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			cleanable = append(cleanable, rs)
		}
	}
	diff := int32(len(cleanable)) - *d.Spec.RevisionHistoryLimit
	if diff <= 0 {
		return
	}
	sort.Sort(byRevision(cleanable))
	for _, rs := range cleanable[:diff] {
		if rs.Status.Replicas != 0 || *rs.Spec.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		p.deleteReplicaSet(rs)
	}
}

// calculateStatus recomputes d's status from its ReplicaSets (newRS may be nil).
func calculateStatus(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet, d *apps.Deployment, now time.Time) apps.DeploymentStatus {
	available := availableReplicas(allRSs)
	unavailable := max(specReplicas(allRSs)-available, 0)
	st := apps.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            statusReplicas(allRSs),
		UpdatedReplicas:     statusReplicas([]*apps.ReplicaSet{newRS}),
		ReadyReplicas:       readyReplicas(allRSs),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		CollisionCount:      d.Status.CollisionCount,
	}
	st.Conditions = append(st.Conditions, d.Status.Conditions...)
	if available >= *d.Spec.Replicas-MaxUnavailable(d) {
		setCondition(&st, newCondition(apps.DeploymentAvailable, v1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability.", now))
	} else {
		setCondition(&st, newCondition(apps.DeploymentAvailable, v1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability.", now))
	}
	return st
}

// syncDeploymentStatus writes the recomputed status if it changed.
func (p *planner) syncDeploymentStatus(allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) {
	st := calculateStatus(allRSs, newRS, p.d, p.now)
	if reflect.DeepEqual(p.d.Status, st) {
		return
	}
	p.d.Status = st
	p.updateStatus()
}
