package statefulset

import (
	"fmt"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// maxBatchSize caps how many writes a Parallel set makes at once (upstream's realistic number
// of in-flight requests).
const maxBatchSize = 500

// controlInput is everything one control step looks at. Nothing in it may be changed: the
// objects come from the informer caches.
type controlInput struct {
	set *apps.StatefulSet
	// currentRevision and updateRevision exist in the API (planRevisions has been carried out).
	currentRevision *apps.ControllerRevision
	updateRevision  *apps.ControllerRevision
	collisionCount  int32
	// pods are the set's pods, already claimed by ownerReference.
	pods []*v1.Pod
	// claims are the PersistentVolumeClaims of the set's namespace, by name.
	claims map[string]*v1.PersistentVolumeClaim
	now    time.Time
}

// controlResult is what one control step decided.
type controlResult struct {
	// status is the status to write. It is valid even when carrying out phases fails.
	status apps.StatefulSetStatus
	// phases are carried out in order; within a phase, steps one after another (monotonic) or
	// in slow-start batches (burst). The first failure ends the sync.
	phases [][]step
	// monotonic: OrderedReady.
	monotonic bool
	// requeueAfter > 0 asks for another look then (a pod becomes available).
	requeueAfter time.Duration
}

// A step is the writes for one pod, made in order; a failure skips the rest of the step.
type step []action

type actionKind int

const (
	// actionCreatePod creates the claims, then the pod, then fixes claim owners.
	actionCreatePod actionKind = iota
	// actionCreateMissingClaims recreates claims of a Pending pod and fixes claim owners.
	actionCreateMissingClaims
	// actionUpdatePod repairs identity, storage and claim owners of an existing pod.
	actionUpdatePod
	// actionUpdateClaims fixes the owners of a condemned pod's claims.
	actionUpdateClaims
	// actionDeletePod deletes a pod.
	actionDeletePod
	// actionEvent records an event on the set.
	actionEvent
)

// An action is one write (or event) the control step asks for.
type action struct {
	kind actionKind
	// pod is the pod concerned: built for actionCreatePod, a copy with its identity and
	// storage repaired for actionUpdatePod (nil when only claims need work), otherwise the
	// pod as observed.
	pod *v1.Pod
	// podName names the pod for events when pod is nil.
	podName string
	// createClaims are claims to create before the pod.
	createClaims []*v1.PersistentVolumeClaim
	// updateClaims are copies of existing claims with their ownerReferences rewritten.
	updateClaims []*v1.PersistentVolumeClaim
	// blocked is why the pod's claims are not usable yet (a claim is being deleted); the
	// action fails with it after creating what it can.
	blocked error
	// forUpdate marks a deletion for a rolling update: a pod already gone is fine.
	forUpdate bool
	// event is recorded on the set by actionEvent.
	event event
}

type event struct {
	eventType, reason, message string
}

// updateStatefulSet is the control step. It sorts the set's pods into replicas (in range,
// indexed by ordinal, missing ones built at the right revision) and condemned ones, and
// decides, in upstream's order: replace failed pods, create missing ones (OrderedReady: one
// at a time, each after its predecessors are Running, Ready and available), repair identity
// and claims, scale down from the highest ordinal, then update one pod from the top (not for
// OnDelete). It does no I/O.
func updateStatefulSet(in controlInput) (*controlResult, error) {
	set := in.set
	minReady := set.Spec.MinReadySeconds
	res := &controlResult{monotonic: !allowsBurst(set)}
	status := &res.status
	status.ObservedGeneration = set.Generation
	status.CurrentRevision = in.currentRevision.Name
	status.UpdateRevision = in.updateRevision.Name
	collisionCount := in.collisionCount
	status.CollisionCount = &collisionCount
	computeReplicaStatus(status, in.pods, minReady, in.currentRevision.Name, in.updateRevision.Name, in.now)
	res.requeueAfter = nextAvailableCheck(in.pods, minReady, in.now)

	p := &planner{in: in, res: res, deleted: map[string]bool{}}
	start := getStartOrdinal(set)
	replicas := make([]*v1.Pod, max(int(*set.Spec.Replicas), 0))
	var condemned []*v1.Pod
	for _, pod := range in.pods {
		switch ordinal := getOrdinal(pod); {
		case podInOrdinalRange(pod, set):
			replicas[ordinal-start] = pod
		case ordinal >= 0:
			condemned = append(condemned, pod)
		}
	}
	for i := range replicas {
		if replicas[i] == nil {
			pod, err := p.newPod(start + i)
			if err != nil {
				return nil, err
			}
			replicas[i] = pod
		}
	}
	sortByOrdinal(condemned)

	// The first unavailable pod, in range first, then condemned, ascending: OrderedReady may
	// still scale it down.
	var firstUnavailable *v1.Pod
	for _, pod := range append(append([]*v1.Pod(nil), replicas...), condemned...) {
		if isUnavailable(pod, minReady, in.now) {
			firstUnavailable = pod
			break
		}
	}
	// Condemned pods go highest ordinal first.
	for i, j := 0, len(condemned)-1; i < j; i, j = i+1, j-1 {
		condemned[i], condemned[j] = condemned[j], condemned[i]
	}

	// A set being deleted only gets its status; the garbage collector removes its pods.
	if set.DeletionTimestamp != nil {
		return res, nil
	}

	var phase []step
	for i := range replicas {
		s, exit := p.processReplica(replicas, i)
		if len(s) > 0 {
			phase = append(phase, s)
		}
		if exit && res.monotonic {
			res.phases = append(res.phases, phase)
			return res, nil
		}
	}
	res.phases = append(res.phases, phase)

	phase = nil
	for _, pod := range condemned {
		if s := p.fixClaimOwners(pod); len(s) > 0 {
			phase = append(phase, s)
		}
	}
	res.phases = append(res.phases, phase)

	phase = nil
	for _, pod := range condemned {
		s, exit := p.processCondemned(pod, firstUnavailable)
		if len(s) > 0 {
			phase = append(phase, s)
		}
		if exit && res.monotonic {
			res.phases = append(res.phases, phase)
			return res, nil
		}
	}
	res.phases = append(res.phases, phase)

	if set.Spec.UpdateStrategy.Type == apps.OnDeleteStatefulSetStrategyType {
		return res, nil
	}
	if s := p.rollingUpdate(replicas); len(s) > 0 {
		res.phases = append(res.phases, []step{s})
	}
	return res, nil
}

// planner carries one control step's state.
type planner struct {
	in  controlInput
	res *controlResult
	// currentSet and updateSet are the set at its current and update revision, made when a
	// pod has to be built.
	currentSet, updateSet *apps.StatefulSet
	// deleted names pods this step already deletes, so that no later phase deletes them again.
	deleted map[string]bool
}

// newPod builds the pod with the given ordinal at the revision it should have.
func (p *planner) newPod(ordinal int) (*v1.Pod, error) {
	var err error
	if p.currentSet == nil {
		if p.currentSet, err = applyRevision(p.in.set, p.in.currentRevision); err != nil {
			return nil, fmt.Errorf("applying revision %s: %w", p.in.currentRevision.Name, err)
		}
		if p.updateSet, err = applyRevision(p.in.set, p.in.updateRevision); err != nil {
			return nil, fmt.Errorf("applying revision %s: %w", p.in.updateRevision.Name, err)
		}
	}
	return newVersionedStatefulSetPod(p.currentSet, p.updateSet, p.in.currentRevision.Name, p.in.updateRevision.Name, ordinal), nil
}

func (p *planner) terminating(pod *v1.Pod) bool {
	return isTerminating(pod) || p.deleted[pod.Name]
}

func (p *planner) deletePod(pod *v1.Pod, forUpdate bool) action {
	p.deleted[pod.Name] = true
	return action{kind: actionDeletePod, pod: pod, forUpdate: forUpdate}
}

// processReplica decides for the in-range pod replicas[i] and tells whether an OrderedReady
// set must stop here for this sync.
func (p *planner) processReplica(replicas []*v1.Pod, i int) (step, bool) {
	set, pod := p.in.set, replicas[i]
	monotonic := p.res.monotonic
	minReady := set.Spec.MinReadySeconds

	// A pod that finished (Failed, or Succeeded: an evicted or rebooted pod's phase follows
	// its exit code) is deleted; its replacement is built on a later sync, once the old
	// object is gone, so two pods never share the name and the storage.
	if isFailed(pod) || isSucceeded(pod) {
		if p.terminating(pod) {
			return nil, true
		}
		e := event{v1.EventTypeWarning, "RecreatingFailedPod",
			fmt.Sprintf("StatefulSet %s/%s is recreating failed Pod %s", set.Namespace, set.Name, pod.Name)}
		if isSucceeded(pod) {
			e = event{v1.EventTypeNormal, "RecreatingTerminatedPod",
				fmt.Sprintf("StatefulSet %s/%s is recreating terminated Pod %s", set.Namespace, set.Name, pod.Name)}
		}
		return step{{kind: actionEvent, event: e}, p.deletePod(pod, false)}, true
	}

	if !isCreated(pod) {
		if p.podClaimIsStale(pod) {
			// A claim still belongs to an earlier pod of this name and will be garbage
			// collected: creating the pod now would bind it to storage about to vanish.
			return nil, true
		}
		return p.createPod(pod), monotonic
	}

	var s step
	if isPending(pod) {
		// Recreates a claim deleted under a pod that could not start without it.
		s = p.createMissingClaims(pod)
	}
	if monotonic && isTerminating(pod) {
		return s, true
	}
	if monotonic && !isRunningAndReady(pod) {
		if a, ok := p.replaceStuckPod(pod, i); ok {
			s = append(s, a)
		}
		return s, true
	}
	if monotonic && !isRunningAndAvailable(pod, minReady, p.in.now) {
		return s, true
	}
	return append(s, p.repairPod(pod)...), false
}

// replaceStuckPod goes beyond upstream (kubernetes/kubernetes#67250, "forced rollback"). An
// OrderedReady RollingUpdate waits on the first pod that is not Running and Ready, and only
// replaces pods after all are healthy; so when a bad template left a pod that never becomes
// ready and the user fixes the template, upstream waits forever for a pod that can never get
// better, until someone deletes it by hand. Here, a pod that blocks the set, runs a revision
// other than the update revision, and sits in the part of the set the rolling update would
// replace anyway (index >= partition), is deleted; the create path then brings it back at the
// update revision. A pod that already runs the update revision is only slow, and is waited
// for as upstream does; OnDelete sets are left to the user.
func (p *planner) replaceStuckPod(pod *v1.Pod, index int) (action, bool) {
	set := p.in.set
	if set.Spec.UpdateStrategy.Type != apps.RollingUpdateStatefulSetStrategyType ||
		getPodRevision(pod) == p.in.updateRevision.Name ||
		index < getPartition(set) ||
		p.terminating(pod) {
		return action{}, false
	}
	return p.deletePod(pod, true), true
}

// processCondemned decides for a pod outside the ordinal range (highest ordinal first) and
// tells whether an OrderedReady set must stop here.
func (p *planner) processCondemned(pod, firstUnavailable *v1.Pod) (step, bool) {
	monotonic := p.res.monotonic
	if p.terminating(pod) {
		return nil, monotonic
	}
	// OrderedReady scales down only through healthy pods, except that the first unhealthy
	// pod may go, so a single broken highest pod does not block a scale-down.
	if monotonic && pod != firstUnavailable && isUnavailable(pod, p.in.set.Spec.MinReadySeconds, p.in.now) {
		return nil, true
	}
	return step{p.deletePod(pod, false)}, true
}

// rollingUpdate deletes the highest in-range pod (down to the partition) that does not run
// the update revision, one per sync; it waits instead when the pod it reaches is unavailable.
// The create path replaces the pod at the update revision on a later sync.
func (p *planner) rollingUpdate(replicas []*v1.Pod) step {
	minReady := p.in.set.Spec.MinReadySeconds
	for target := len(replicas) - 1; target >= getPartition(p.in.set); target-- {
		pod := replicas[target]
		if getPodRevision(pod) != p.in.updateRevision.Name && !p.terminating(pod) {
			p.res.status.CurrentReplicas--
			return step{p.deletePod(pod, true)}
		}
		if isUnavailable(pod, minReady, p.in.now) {
			return nil
		}
	}
	return nil
}

// podClaimIsStale tells whether, under WhenScaled=Delete, one of pod's claims is still owned
// by an earlier pod of the same name.
func (p *planner) podClaimIsStale(pod *v1.Pod) bool {
	if getPersistentVolumeClaimRetentionPolicy(p.in.set).WhenScaled == apps.RetainPersistentVolumeClaimRetentionPolicyType {
		return false
	}
	for _, claim := range getPersistentVolumeClaims(p.in.set, pod) {
		if existing, ok := p.in.claims[claim.Name]; ok && hasStaleOwnerRef(existing, pod, podKind) {
			return true
		}
	}
	return false
}

// claimWork sorts pod's claims into those to create (with the owners the policy wants), those
// whose owners need rewriting, and an error naming claims that are being deleted.
func (p *planner) claimWork(pod *v1.Pod) (create, update []*v1.PersistentVolumeClaim, events []event, blocked error) {
	set := p.in.set
	var errs []error
	for _, claim := range getPersistentVolumeClaims(set, pod) {
		existing, ok := p.in.claims[claim.Name]
		switch {
		case !ok:
			updateClaimOwnerRefForSetAndPod(claim, set, pod)
			create = append(create, claim)
		case existing.DeletionTimestamp != nil:
			errs = append(errs, fmt.Errorf("pvc %s is being deleted", claim.Name))
		case !isClaimOwnerUpToDate(existing, set, pod):
			if hasUnexpectedController(existing, set, pod) {
				// Upstream's wording, typo included.
				events = append(events, event{v1.EventTypeWarning, "ConflictingController",
					fmt.Sprintf("PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim", claim.Name)})
			}
			fixed := existing.DeepCopy()
			updateClaimOwnerRefForSetAndPod(fixed, set, pod)
			update = append(update, fixed)
		}
	}
	return create, update, events, utilerrors.NewAggregate(errs)
}

// eventActions turns events into actions recorded before the writes they explain.
func eventActions(events []event) step {
	var s step
	for _, e := range events {
		s = append(s, action{kind: actionEvent, event: e})
	}
	return s
}

// createPod plans the creation of a built pod and its claims.
func (p *planner) createPod(pod *v1.Pod) step {
	create, update, events, blocked := p.claimWork(pod)
	return append(eventActions(events),
		action{kind: actionCreatePod, pod: pod, createClaims: create, updateClaims: update, blocked: blocked})
}

// createMissingClaims plans the recreation of a Pending pod's missing claims.
func (p *planner) createMissingClaims(pod *v1.Pod) step {
	create, update, events, blocked := p.claimWork(pod)
	if len(create) == 0 && len(update) == 0 && blocked == nil {
		return nil
	}
	return append(eventActions(events),
		action{kind: actionCreateMissingClaims, pod: pod, createClaims: create, updateClaims: update, blocked: blocked})
}

// repairPod plans fixing a pod whose identity, storage or claim owners drifted.
func (p *planner) repairPod(pod *v1.Pod) step {
	set := p.in.set
	create, update, events, blocked := p.claimWork(pod)
	identityOK, storageOK := identityMatches(set, pod), storageMatches(set, pod)
	if identityOK && storageOK && len(update) == 0 {
		return nil
	}
	a := action{kind: actionUpdatePod, podName: pod.Name, updateClaims: update}
	if !identityOK || !storageOK {
		a.pod = pod.DeepCopy()
		updateIdentity(set, a.pod)
		if !storageOK {
			updateStorage(set, a.pod)
			a.createClaims, a.blocked = create, blocked
		}
	}
	return append(eventActions(events), a)
}

// fixClaimOwners plans the owner changes a condemned pod's claims need (under WhenScaled=Delete
// they pass to the pod, so they go with it).
func (p *planner) fixClaimOwners(pod *v1.Pod) step {
	_, update, events, _ := p.claimWork(pod)
	if len(update) == 0 {
		return nil
	}
	return append(eventActions(events), action{kind: actionUpdateClaims, pod: pod, updateClaims: update})
}
