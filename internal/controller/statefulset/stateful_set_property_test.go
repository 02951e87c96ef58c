package statefulset

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// randomInput builds a random but well-formed control input: a set with random size, start,
// strategy, partition, policy and minReadySeconds; pods in random phases, readiness,
// termination and revisions at random ordinals in and around the range; claims that exist,
// are missing, terminate or carry random owners.
func randomInput(t *testing.T, r *rand.Rand) controlInput {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := newStatefulSet(int32(r.IntN(6)))
	set.UID = "set-uid"
	set.Generation = 3
	if r.IntN(2) == 0 {
		burst(set)
	}
	if start := r.IntN(3); start > 0 {
		set.Spec.Ordinals = &apps.StatefulSetOrdinals{Start: int32(start)}
	}
	if r.IntN(4) == 0 {
		set.Spec.UpdateStrategy = apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}
	} else {
		set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(int32(r.IntN(4)))
	}
	policy := retentionPolicies[r.IntN(len(retentionPolicies))]
	set.Spec.PersistentVolumeClaimRetentionPolicy = &policy
	if r.IntN(3) == 0 {
		set.Spec.MinReadySeconds = 10
	}
	if r.IntN(20) == 0 {
		set.DeletionTimestamp = &metav1.Time{Time: now}
	}
	current, err := newRevision(set, 1, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	update := current
	if r.IntN(2) == 0 {
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
		if update, err = newRevision(set, 2, ptr.To[int32](0)); err != nil {
			t.Fatal(err)
		}
	}
	revisionNames := []string{current.Name, update.Name, "foo-other"}

	in := controlInput{set: set, currentRevision: current, updateRevision: update, claims: map[string]*v1.PersistentVolumeClaim{}, now: now}
	for ordinal := 0; ordinal < getEndOrdinal(set)+3; ordinal++ {
		if r.IntN(10) < 6 {
			pod := newStatefulSetPod(set, ordinal)
			pod.UID = types.UID(fmt.Sprintf("pod-%d", ordinal))
			setPodRevision(pod, revisionNames[r.IntN(3)])
			pod.Status.Phase = []v1.PodPhase{v1.PodPending, v1.PodRunning, v1.PodRunning, v1.PodRunning, v1.PodFailed, v1.PodSucceeded}[r.IntN(6)]
			if pod.Status.Phase == v1.PodRunning && r.IntN(4) > 0 {
				since := []time.Duration{0, 5 * time.Second, time.Minute}[r.IntN(3)]
				pod.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-since))}}
			}
			if r.IntN(7) == 0 {
				pod.DeletionTimestamp = &metav1.Time{Time: now}
			}
			in.pods = append(in.pods, pod)
		}
		if r.IntN(10) < 7 {
			claim := getPersistentVolumeClaims(set, newStatefulSetPod(set, ordinal))[0]
			claim.UID = types.UID(fmt.Sprintf("claim-%d", ordinal))
			switch r.IntN(5) {
			case 0:
				claim.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)}
			case 1:
				claim.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: getPodName(set, ordinal), UID: "stale", Controller: ptr.To(true)}}
			}
			if r.IntN(10) == 0 {
				claim.DeletionTimestamp = &metav1.Time{Time: now}
			}
			in.claims[claim.Name] = claim
		}
	}
	r.Shuffle(len(in.pods), func(i, j int) { in.pods[i], in.pods[j] = in.pods[j], in.pods[i] })
	return in
}

// TestControlStepProperties feeds random states to the control step and checks what must
// hold whatever the state.
func TestControlStepProperties(t *testing.T) {
	iterations := 3000
	if testing.Short() {
		iterations = 300
	}
	for seed := range uint64(iterations) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		in := randomInput(t, r)
		res, err := updateStatefulSet(in)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := checkPlan(in, res); err != nil {
			t.Fatalf("seed %d: %v\nset: replicas %d start %d strategy %+v burst %v\npods: %v\nplan: %v", seed, err,
				*in.set.Spec.Replicas, getStartOrdinal(in.set), in.set.Spec.UpdateStrategy, allowsBurst(in.set), describePods(in), describePlan(res))
		}
	}
}

func describePods(in controlInput) []string {
	h := &harness{}
	_ = h
	var out []string
	for _, pod := range in.pods {
		s := fmt.Sprintf("%s:%s", pod.Name, pod.Status.Phase)
		if isPodReady(pod) {
			s += "/ready"
		}
		if isTerminating(pod) {
			s += "/terminating"
		}
		out = append(out, s+"@"+getPodRevision(pod))
	}
	return out
}

func describePlan(res *controlResult) []string {
	var out []string
	for _, phase := range res.phases {
		for _, s := range phase {
			for _, a := range s {
				name := a.podName
				if a.pod != nil {
					name = a.pod.Name
				}
				out = append(out, fmt.Sprintf("%d:%s", a.kind, name))
			}
		}
	}
	return out
}

func checkPlan(in controlInput, res *controlResult) error {
	set := in.set
	minReady := set.Spec.MinReadySeconds
	existing := map[string]*v1.Pod{}
	for _, pod := range in.pods {
		existing[pod.Name] = pod
	}
	healthyAndAvailable := func(name string) bool {
		pod, ok := existing[name]
		return ok && isHealthy(pod) && isRunningAndAvailable(pod, minReady, in.now)
	}
	var status apps.StatefulSetStatus
	computeReplicaStatus(&status, in.pods, minReady, in.currentRevision.Name, in.updateRevision.Name, in.now)
	if res.status.Replicas != status.Replicas || res.status.ReadyReplicas != status.ReadyReplicas ||
		res.status.AvailableReplicas != status.AvailableReplicas || res.status.UpdatedReplicas != status.UpdatedReplicas {
		return fmt.Errorf("status %+v does not count the pods (%+v)", res.status, status)
	}
	if res.status.ObservedGeneration != set.Generation || res.status.UpdateRevision != in.updateRevision.Name {
		return fmt.Errorf("status %+v: generation or revisions wrong", res.status)
	}
	if set.DeletionTimestamp != nil && len(res.phases) > 0 {
		return fmt.Errorf("a set being deleted got writes")
	}
	creates, deleted, healthyDeletes := 0, map[string]bool{}, 0
	for _, phase := range res.phases {
		for _, s := range phase {
			for _, a := range s {
				switch a.kind {
				case actionCreatePod:
					creates++
					pod := a.pod
					if _, ok := existing[pod.Name]; ok {
						return fmt.Errorf("creates %s while a pod of that name exists", pod.Name)
					}
					if !podInOrdinalRange(pod, set) || !identityMatches(set, pod) || !storageMatches(set, pod) {
						return fmt.Errorf("creates %s outside the range or with a wrong identity", pod.Name)
					}
					index := getOrdinal(pod) - getStartOrdinal(set)
					wantRev := in.updateRevision.Name
					if set.Spec.UpdateStrategy.Type == apps.RollingUpdateStatefulSetStrategyType && index < getPartition(set) {
						wantRev = in.currentRevision.Name
					}
					if getPodRevision(pod) != wantRev {
						return fmt.Errorf("creates %s at %s, want %s", pod.Name, getPodRevision(pod), wantRev)
					}
					for _, claim := range a.createClaims {
						if _, ok := in.claims[claim.Name]; ok {
							return fmt.Errorf("creates claim %s that exists", claim.Name)
						}
					}
					for _, claim := range getPersistentVolumeClaims(set, pod) {
						if c, ok := in.claims[claim.Name]; ok && c.DeletionTimestamp != nil && a.blocked == nil {
							return fmt.Errorf("creates %s on terminating claim %s", pod.Name, claim.Name)
						}
					}
					if !allowsBurst(set) {
						for o := getStartOrdinal(set); o < getOrdinal(pod); o++ {
							if !healthyAndAvailable(getPodName(set, o)) {
								return fmt.Errorf("creates %s while %s is not healthy and available", pod.Name, getPodName(set, o))
							}
						}
					}
				case actionDeletePod:
					pod := a.pod
					if isTerminating(pod) || deleted[pod.Name] {
						return fmt.Errorf("deletes %s again", pod.Name)
					}
					deleted[pod.Name] = true
					finished := isFailed(pod) || isSucceeded(pod)
					if podInOrdinalRange(pod, set) && !finished {
						index := getOrdinal(pod) - getStartOrdinal(set)
						if set.Spec.UpdateStrategy.Type != apps.RollingUpdateStatefulSetStrategyType || index < getPartition(set) ||
							getPodRevision(pod) == in.updateRevision.Name {
							return fmt.Errorf("deletes in-range %s that no update may replace", pod.Name)
						}
					}
					if isHealthy(pod) {
						healthyDeletes++
						if !allowsBurst(set) {
							for o := getStartOrdinal(set); o <= getEndOrdinal(set); o++ {
								if !healthyAndAvailable(getPodName(set, o)) {
									return fmt.Errorf("deletes healthy %s while %s is not healthy and available", pod.Name, getPodName(set, o))
								}
							}
						}
					}
				}
			}
		}
	}
	if !allowsBurst(set) && (creates > 1 || healthyDeletes > 1 || (creates > 0 && len(deleted) > 0)) {
		return fmt.Errorf("OrderedReady made %d creates and %d deletions in one sync", creates, len(deleted))
	}
	if allowsBurst(set) && set.DeletionTimestamp == nil {
		// Parallel creates every missing pod at once, unless an earlier owner's claim is
		// waiting for garbage collection.
		missing := 0
		for o := getStartOrdinal(set); o <= getEndOrdinal(set); o++ {
			pod := newStatefulSetPod(set, o)
			if _, ok := existing[pod.Name]; !ok && !(&planner{in: in}).podClaimIsStale(pod) {
				missing++
			}
		}
		if creates != missing {
			return fmt.Errorf("Parallel created %d of %d missing pods", creates, missing)
		}
	}
	return nil
}
