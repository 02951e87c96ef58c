package deployment

import (
	"fmt"
	"math"

	apps "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ResolveFenceposts turns maxSurge (rounded up) and maxUnavailable (rounded down) into
// numbers of pods for desired replicas. Both resolving to 0 would block the rollout, so
// maxUnavailable becomes 1 then (validation forbids both being literally 0; rounding
// down can still get there).
func ResolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (int32, int32, error) {
	zero := intstr.FromInt32(0)
	surge, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxSurge, zero), int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, zero), int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return int32(surge), int32(unavailable), nil
}

func isRollingUpdate(d *apps.Deployment) bool {
	return d.Spec.Strategy.Type == apps.RollingUpdateDeploymentStrategyType
}

func rollingParams(d *apps.Deployment) (surge, unavailable *intstr.IntOrString) {
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		return ru.MaxSurge, ru.MaxUnavailable
	}
	return nil, nil
}

// MaxUnavailable is how many of d's replicas may be unavailable during a rolling
// update: 0 for Recreate or no replicas, never more than spec.replicas.
func MaxUnavailable(d *apps.Deployment) int32 {
	if !isRollingUpdate(d) || *d.Spec.Replicas == 0 {
		return 0
	}
	surge, unavailable := rollingParams(d)
	_, n, _ := ResolveFenceposts(surge, unavailable, *d.Spec.Replicas)
	return min(n, *d.Spec.Replicas)
}

// MaxSurge is how many pods above spec.replicas a rolling update may run (0 for Recreate).
func MaxSurge(d *apps.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	surge, unavailable := rollingParams(d)
	n, _, _ := ResolveFenceposts(surge, unavailable, *d.Spec.Replicas)
	return n
}

func hasProgressDeadline(d *apps.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

func hasRevisionHistoryLimit(d *apps.Deployment) bool {
	return d.Spec.RevisionHistoryLimit != nil && *d.Spec.RevisionHistoryLimit != math.MaxInt32
}

// Sums over ReplicaSets; nil entries (no new ReplicaSet yet) count nothing.

func specReplicas(rss []*apps.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += *rs.Spec.Replicas
		}
	}
	return n
}

func statusReplicas(rss []*apps.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.Replicas
		}
	}
	return n
}

func readyReplicas(rss []*apps.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.ReadyReplicas
		}
	}
	return n
}

func availableReplicas(rss []*apps.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.AvailableReplicas
		}
	}
	return n
}

// newRSNewReplicas is the size d's new ReplicaSet should have now: for a rolling update,
// as many more as maxSurge allows over all ReplicaSets, up to spec.replicas; for
// Recreate, spec.replicas.
func newRSNewReplicas(d *apps.Deployment, allRSs []*apps.ReplicaSet, newRS *apps.ReplicaSet) (int32, error) {
	switch d.Spec.Strategy.Type {
	case apps.RollingUpdateDeploymentStrategyType:
		surge, _ := rollingParams(d)
		maxSurge, err := intstr.GetScaledValueFromIntOrPercent(surge, int(*d.Spec.Replicas), true)
		if err != nil {
			return 0, err
		}
		current := specReplicas(allRSs)
		maxTotal := *d.Spec.Replicas + int32(maxSurge)
		if current >= maxTotal {
			return *newRS.Spec.Replicas, nil
		}
		up := min(maxTotal-current, *d.Spec.Replicas-*newRS.Spec.Replicas)
		return *newRS.Spec.Replicas + up, nil
	case apps.RecreateDeploymentStrategyType:
		return *d.Spec.Replicas, nil
	}
	return 0, fmt.Errorf("deployment type %v isn't supported", d.Spec.Strategy.Type)
}

// isSaturated reports whether rs holds all of d's replicas, all available, and both
// agree on it through the desired-replicas annotation.
func isSaturated(d *apps.Deployment, rs *apps.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := intAnnotation(rs, DesiredReplicasAnnotation)
	if !ok {
		return false
	}
	return *rs.Spec.Replicas == *d.Spec.Replicas && desired == *d.Spec.Replicas &&
		rs.Status.AvailableReplicas == *d.Spec.Replicas
}

// replicaSetProportion is how many replicas rs gains (or loses, negative) when
// toAdd replicas are spread over a Deployment's active ReplicaSets and added have
// already been given out.
func replicaSetProportion(rs *apps.ReplicaSet, d *apps.Deployment, toAdd, added int32) int32 {
	if rs == nil || *rs.Spec.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

// replicaSetFraction scales rs by the ratio of d's new maximum size to the one recorded
// on rs (or d's current status when rs has none), rounding to the nearest.
func replicaSetFraction(rs *apps.ReplicaSet, d *apps.Deployment) int32 {
	if *d.Spec.Replicas == 0 {
		return -*rs.Spec.Replicas
	}
	total := *d.Spec.Replicas + MaxSurge(d)
	annotated, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || annotated == 0 {
		// A zero base cannot be scaled from; fall back like upstream does for a
		// missing annotation.
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(*rs.Spec.Replicas*total) / float64(annotated)
	return int32(math.Round(size)) - *rs.Spec.Replicas
}
