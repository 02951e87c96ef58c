package statefulset

import (
	"context"
	"fmt"
	"sync"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/record"
)

// statefulPodControl carries out the control step's pod and claim writes through the object
// manager and records upstream's events for each.
type statefulPodControl struct {
	om       objectManager
	recorder record.EventRecorder
}

// execute carries out res's phases in order. In a phase, an OrderedReady set makes its steps
// one after another and a Parallel set in slow-start batches; the first failure ends the sync
// (the rest is retried with backoff).
func (spc *statefulPodControl) execute(ctx context.Context, set *apps.StatefulSet, res *controlResult) error {
	for _, phase := range res.phases {
		run := func(i int) error { return spc.runStep(ctx, set, phase[i], &res.status) }
		if res.monotonic {
			for i := range phase {
				if err := run(i); err != nil {
					return err
				}
			}
			continue
		}
		if err := slowStartBatch(1, len(phase), run); err != nil {
			return err
		}
	}
	return nil
}

// slowStartBatch calls fn for 0..count-1 in batches of initialBatchSize, then twice as many
// each time (at most maxBatchSize), stopping after the first batch with a failure; so a
// problem that makes every write fail (a quota, a webhook) costs one call, not hundreds.
func slowStartBatch(initialBatchSize, count int, fn func(int) error) error {
	next := 0
	for size := min(count, initialBatchSize); size > 0; size = min(2*size, count-next, maxBatchSize) {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for i := next; i < next+size; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		next += size
		if len(errs) > 0 {
			return utilerrors.NewAggregate(errs)
		}
	}
	return nil
}

// runStep makes a step's writes in order, stopping at the first failure.
func (spc *statefulPodControl) runStep(ctx context.Context, set *apps.StatefulSet, s step, status *apps.StatefulSetStatus) error {
	for _, a := range s {
		var err error
		switch a.kind {
		case actionEvent:
			spc.recorder.Event(set, a.event.eventType, a.event.reason, a.event.message)
		case actionCreatePod:
			err = spc.createStatefulPod(ctx, set, a)
		case actionCreateMissingClaims:
			err = spc.createMissingPersistentVolumeClaims(ctx, set, a)
		case actionUpdatePod:
			err = spc.updateStatefulPod(ctx, set, a)
		case actionUpdateClaims:
			err = spc.updateClaims(ctx, a.pod.Name, a.updateClaims)
		case actionDeletePod:
			err = spc.deleteStatefulPod(ctx, set, a)
			if a.forUpdate && err != nil && apierrors.IsNotFound(err) {
				err = nil
			} else if a.forUpdate && err != nil {
				// The rolling update counted the pod out of currentReplicas.
				status.CurrentReplicas++
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// createStatefulPod creates the pod's claims, then the pod, then fixes the owners of claims
// it reuses. A pod that already exists is an error without an event: the cache was stale and
// the next sync sees it.
func (spc *statefulPodControl) createStatefulPod(ctx context.Context, set *apps.StatefulSet, a action) error {
	if err := spc.createPersistentVolumeClaims(ctx, set, a.pod.Name, a.createClaims, a.blocked); err != nil {
		spc.recordPodEvent("create", set, a.pod.Name, err)
		return err
	}
	_, err := spc.om.CreatePod(ctx, a.pod)
	if apierrors.IsAlreadyExists(err) {
		return err
	}
	if err == nil {
		if err := spc.updateClaims(ctx, a.pod.Name, a.updateClaims); err != nil {
			spc.recordPodEvent("update", set, a.pod.Name, err)
			return err
		}
	}
	spc.recordPodEvent("create", set, a.pod.Name, err)
	return err
}

// createMissingPersistentVolumeClaims recreates a Pending pod's missing claims.
func (spc *statefulPodControl) createMissingPersistentVolumeClaims(ctx context.Context, set *apps.StatefulSet, a action) error {
	if err := spc.createPersistentVolumeClaims(ctx, set, a.pod.Name, a.createClaims, a.blocked); err != nil {
		return err
	}
	if err := spc.updateClaims(ctx, a.pod.Name, a.updateClaims); err != nil {
		spc.recordPodEvent("update", set, a.pod.Name, err)
		return err
	}
	return nil
}

// createPersistentVolumeClaims creates claims, each with its event, and returns their errors
// together with blocked (claims being deleted).
func (spc *statefulPodControl) createPersistentVolumeClaims(ctx context.Context, set *apps.StatefulSet, podName string, claims []*v1.PersistentVolumeClaim, blocked error) error {
	var errs []error
	if blocked != nil {
		errs = append(errs, blocked)
	}
	for _, claim := range claims {
		_, err := spc.om.CreateClaim(ctx, claim)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to create PVC %s: %w", claim.Name, err))
		}
		// A claim that already exists was created by an earlier sync: no event.
		if err == nil || !apierrors.IsAlreadyExists(err) {
			spc.recordClaimEvent("create", set, podName, claim.Name, err)
		}
	}
	return utilerrors.NewAggregate(errs)
}

// updateClaims writes claims whose ownerReferences the retention policy changed.
func (spc *statefulPodControl) updateClaims(ctx context.Context, podName string, claims []*v1.PersistentVolumeClaim) error {
	for _, claim := range claims {
		if _, err := spc.om.UpdateClaim(ctx, claim); err != nil {
			return fmt.Errorf("could not update claim %s for delete policy ownerRefs: %w", claim.Name, err)
		}
	}
	return nil
}

// maxUpdateRetries bounds how often a pod repair is retried on a conflict within one sync.
const maxUpdateRetries = 5

// updateStatefulPod repairs an existing pod: creates claims its storage needs, fixes claim
// owners, and writes the pod's corrected identity and volumes, re-reading it on a conflict.
func (spc *statefulPodControl) updateStatefulPod(ctx context.Context, set *apps.StatefulSet, a action) error {
	err := spc.repairStatefulPod(ctx, set, a)
	spc.recordPodEvent("update", set, a.podName, err)
	return err
}

func (spc *statefulPodControl) repairStatefulPod(ctx context.Context, set *apps.StatefulSet, a action) error {
	if err := spc.createPersistentVolumeClaims(ctx, set, a.podName, a.createClaims, a.blocked); err != nil {
		return err
	}
	if err := spc.updateClaims(ctx, a.podName, a.updateClaims); err != nil {
		return err
	}
	if a.pod == nil {
		return nil
	}
	pod := a.pod
	for attempt := 0; ; attempt++ {
		_, err := spc.om.UpdatePod(ctx, pod)
		if err == nil || !apierrors.IsConflict(err) || attempt == maxUpdateRetries {
			return err
		}
		current, getErr := spc.om.GetPod(ctx, pod.Namespace, pod.Name)
		if getErr != nil {
			return err
		}
		pod = current.DeepCopy()
		if !identityMatches(set, pod) {
			updateIdentity(set, pod)
		}
		if !storageMatches(set, pod) {
			updateStorage(set, pod)
		}
	}
}

// deleteStatefulPod deletes a pod and records the event.
func (spc *statefulPodControl) deleteStatefulPod(ctx context.Context, set *apps.StatefulSet, a action) error {
	err := spc.om.DeletePod(ctx, a.pod)
	spc.recordPodEvent("delete", set, a.pod.Name, err)
	return err
}

// verbReason capitalises verb for an event reason (SuccessfulCreate, FailedDelete).
func verbReason(verb string) string {
	if verb == "" {
		return ""
	}
	return string(verb[0]-'a'+'A') + verb[1:]
}

// recordPodEvent records upstream's event for a pod write.
func (spc *statefulPodControl) recordPodEvent(verb string, set *apps.StatefulSet, podName string, err error) {
	if err == nil {
		spc.recorder.Event(set, v1.EventTypeNormal, "Successful"+verbReason(verb),
			fmt.Sprintf("%s Pod %s in StatefulSet %s successful", verb, podName, set.Name))
		return
	}
	spc.recorder.Event(set, v1.EventTypeWarning, "Failed"+verbReason(verb),
		fmt.Sprintf("%s Pod %s in StatefulSet %s failed error: %s", verb, podName, set.Name, err))
}

// recordClaimEvent records upstream's event for a claim write.
func (spc *statefulPodControl) recordClaimEvent(verb string, set *apps.StatefulSet, podName, claimName string, err error) {
	if err == nil {
		spc.recorder.Event(set, v1.EventTypeNormal, "Successful"+verbReason(verb),
			fmt.Sprintf("%s Claim %s Pod %s in StatefulSet %s success", verb, claimName, podName, set.Name))
		return
	}
	spc.recorder.Event(set, v1.EventTypeWarning, "Failed"+verbReason(verb),
		fmt.Sprintf("%s Claim %s for Pod %s in StatefulSet %s failed error: %s", verb, claimName, podName, set.Name, err))
}
