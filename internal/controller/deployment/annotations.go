package deployment

import (
	"log/slog"
	"strconv"
	"strings"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
)

// Annotations the controller keeps on Deployments and their ReplicaSets.
const (
	// RevisionAnnotation numbers the rollouts: the new ReplicaSet has the highest.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the revisions a ReplicaSet held before a rollback
	// made it new again.
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is spec.replicas of the Deployment when the ReplicaSet
	// was last sized; a difference reveals a scaling event.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas + maxSurge at that time, the base of
	// proportional scaling.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// DeprecatedRollbackTo carries the legacy spec.rollbackTo of extensions/v1beta1.
	DeprecatedRollbackTo = "deprecated.deployment.rollback.to"
)

// maxRevHistoryLengthInChars bounds the revision-history annotation.
const maxRevHistoryLengthInChars = 2000

// annotationsToSkip are not copied from a Deployment to its new ReplicaSet (nor back on
// a rollback): they are the controller's own bookkeeping, or kubectl's.
var annotationsToSkip = map[string]bool{
	v1.LastAppliedConfigAnnotation: true,
	RevisionAnnotation:             true,
	RevisionHistoryAnnotation:      true,
	DesiredReplicasAnnotation:      true,
	MaxReplicasAnnotation:          true,
	DeprecatedRollbackTo:           true,
}

// revision is the revision annotation of rs, 0 when missing.
func revision(rs *apps.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// maxRevision is the highest revision among rss; unparsable ones are skipped.
func maxRevision(rss []*apps.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		if v, err := revision(rs); err == nil && v > m {
			m = v
		}
	}
	return m
}

// lastRevision is the second highest revision among rss.
func lastRevision(rss []*apps.ReplicaSet) int64 {
	var m, second int64
	for _, rs := range rss {
		v, err := revision(rs)
		switch {
		case err != nil:
		case v >= m:
			second, m = m, v
		case v > second:
			second = v
		}
	}
	return second
}

// setDeploymentRevision records rev on d and reports whether it changed.
func setDeploymentRevision(d *apps.Deployment, rev string) bool {
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	if d.Annotations[RevisionAnnotation] == rev {
		return false
	}
	d.Annotations[RevisionAnnotation] = rev
	return true
}

// setNewReplicaSetAnnotations copies d's annotations to its new ReplicaSet rs and raises
// rs's revision to newRevision if lower, keeping the previous number in the revision
// history (rs was an old ReplicaSet made new again by a rollback). A ReplicaSet about to
// be created (!exists) also gets the replicas annotations. It reports a change.
func setNewReplicaSetAnnotations(d *apps.Deployment, rs *apps.ReplicaSet, newRevision string, exists bool, historyLimit int) bool {
	changed := copyDeploymentAnnotationsToReplicaSet(d, rs)
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	oldRevision, had := rs.Annotations[RevisionAnnotation]
	oldRev, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			slog.Info("replica set revision is not a number", "replicaSet", rs.Namespace+"/"+rs.Name, "revision", oldRevision)
			return false
		}
		oldRev = 0
	}
	newRev, err := strconv.ParseInt(newRevision, 10, 64)
	if err != nil {
		return false
	}
	if oldRev < newRev {
		rs.Annotations[RevisionAnnotation] = newRevision
		changed = true
	}
	if had && oldRev < newRev {
		history := rs.Annotations[RevisionHistoryAnnotation]
		old := strings.Split(history, ",")
		if old[0] == "" {
			rs.Annotations[RevisionHistoryAnnotation] = oldRevision
		} else {
			total := len(history) + len(oldRevision) + 1
			start := 0
			for total > historyLimit && start < len(old) {
				total -= len(old[start]) + 1
				start++
			}
			if total <= historyLimit {
				rs.Annotations[RevisionHistoryAnnotation] = strings.Join(append(old[start:], oldRevision), ",")
			}
		}
	}
	if !exists && setReplicasAnnotations(rs, *d.Spec.Replicas, *d.Spec.Replicas+MaxSurge(d)) {
		changed = true
	}
	return changed
}

// copyDeploymentAnnotationsToReplicaSet copies d's annotations but the skipped ones to
// rs, and reports a change. Annotations d no longer has stay on rs.
func copyDeploymentAnnotationsToReplicaSet(d *apps.Deployment, rs *apps.ReplicaSet) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if annotationsToSkip[k] || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	return changed
}

// setDeploymentAnnotationsTo replaces d's annotations by rs's, keeping d's skipped ones
// (a rollback to rs).
func setDeploymentAnnotationsTo(d *apps.Deployment, rs *apps.ReplicaSet) {
	kept := map[string]string{}
	for k, v := range d.Annotations {
		if annotationsToSkip[k] {
			kept[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if !annotationsToSkip[k] {
			kept[k] = v
		}
	}
	d.Annotations = kept
}

func intAnnotation(rs *apps.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// setReplicasAnnotations records desired and max replicas on rs and reports a change.
func setReplicasAnnotations(rs *apps.ReplicaSet, desired, max int32) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	changed := false
	for k, v := range map[string]string{
		DesiredReplicasAnnotation: strconv.Itoa(int(desired)),
		MaxReplicasAnnotation:     strconv.Itoa(int(max)),
	} {
		if rs.Annotations[k] != v {
			rs.Annotations[k] = v
			changed = true
		}
	}
	return changed
}

func replicasAnnotationsNeedUpdate(rs *apps.ReplicaSet, desired, max int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[MaxReplicasAnnotation] != strconv.Itoa(int(max))
}
