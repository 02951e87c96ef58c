package statefulset

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// revisionsOf returns the revision label of each pod, in ordinal order.
func (h *harness) revisionsOf() []string {
	var out []string
	for _, pod := range h.om.listPods() {
		out = append(out, getPodRevision(pod))
	}
	return out
}

func TestOrderedReadyHaltsOnUnhealthyPod(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		t.Run(fmt.Sprintf("parallel=%v", parallel), func(t *testing.T) {
			set := newStatefulSet(3)
			if parallel {
				burst(set)
			}
			h := newHarness(t, set)
			h.converge(100)
			h.setRunning("foo-0", false)
			h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](5) })
			for range 5 {
				h.mustSync()
			}
			created := len(h.podNames()) == 5
			if created != parallel {
				t.Fatalf("pods with foo-0 unready = %v; Parallel creates at once, OrderedReady halts", h.podNames())
			}
			h.setRunning("foo-0", true)
			h.converge(100)
			if got := h.podNames(); len(got) != 5 {
				t.Fatalf("pods = %v, want 5", got)
			}
		})
	}
}

func TestOrderedReadyScaleDownWaitsForEachPod(t *testing.T) {
	h := newHarness(t, newStatefulSet(5))
	h.converge(100)
	h.om.log = nil
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](2) })
	for _, victim := range []string{"foo-4", "foo-3", "foo-2"} {
		h.mustSync()
		h.mustSync() // a second look while the pod terminates must not delete the next one
		if got := h.om.log; len(got) != 1 || got[0] != "delete "+victim {
			t.Fatalf("pod writes = %v, want only the deletion of %s", got, victim)
		}
		if pod := h.om.pod("default", victim); pod == nil || pod.DeletionTimestamp == nil {
			t.Fatalf("%s should be terminating", victim)
		}
		h.om.log = nil
		h.om.removePod("default", victim)
	}
	h.mustSync()
	if got := h.podNames(); !slices.Equal(got, []string{"foo-0", "foo-1"}) {
		t.Fatalf("pods = %v", got)
	}
}

func TestOrderedReadyScaleDownRemovesBrokenTopPod(t *testing.T) {
	h := newHarness(t, newStatefulSet(3))
	h.converge(100)
	h.setRunning("foo-2", false)
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](2) })
	h.mustSync()
	if pod := h.om.pod("default", "foo-2"); pod == nil || pod.DeletionTimestamp == nil {
		t.Fatal("the first unhealthy pod, the highest, should be scaled down")
	}
}

func TestBurstScaling(t *testing.T) {
	h := newHarness(t, burst(newStatefulSet(0)))
	h.om.tracker("CreatePod").delay = time.Millisecond
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](30) })
	h.mustSync()
	if got := len(h.podNames()); got != 30 {
		t.Fatalf("one Parallel sync created %d pods, want 30", got)
	}
	if rt := h.om.tracker("CreatePod"); rt.maxInflight < 2 {
		t.Errorf("creates in flight at once = %d, want slow-start batches", rt.maxInflight)
	}
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](1) })
	h.mustSync()
	if got := h.podNames(); len(got) != 1 {
		t.Fatalf("one Parallel sync left %v, want foo-0 only", got)
	}
}

func TestSlowStartBatchStopsAtFirstFailingBatch(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []int
	)
	err := slowStartBatch(1, 10, func(i int) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, i)
		if i == 1 {
			return errInjected
		}
		return nil
	})
	if err == nil {
		t.Fatal("want the batch's error")
	}
	// Batch 1 is {0}, batch 2 is {1, 2} (concurrent, so any order); nothing after.
	slices.Sort(calls)
	if !slices.Equal(calls, []int{0, 1, 2}) {
		t.Errorf("calls = %v, want 0, 1, 2", calls)
	}
}

func TestRollingUpdateWithPartition(t *testing.T) {
	h := newHarness(t, newStatefulSet(5))
	h.converge(100)
	oldRev := h.set().Status.CurrentRevision
	h.update(func(set *apps.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](2)
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	})
	h.converge(100)
	st := h.set().Status
	newRev := st.UpdateRevision
	if got, want := h.revisionsOf(), []string{oldRev, oldRev, newRev, newRev, newRev}; !slices.Equal(got, want) {
		t.Fatalf("revisions = %v, want %v", got, want)
	}
	if st.CurrentRevision != oldRev || st.UpdatedReplicas != 3 || st.CurrentReplicas != 2 {
		t.Errorf("status = %+v, want the partitioned rollout not complete", st)
	}
	// A pod below the partition comes back at the current revision.
	h.deletePod("foo-0")
	h.converge(100)
	if got := getPodRevision(h.om.pod("default", "foo-0")); got != oldRev {
		t.Errorf("recreated foo-0 at %s, want the current revision %s", got, oldRev)
	}
	h.update(func(set *apps.StatefulSet) { set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](0) })
	h.converge(100)
	st = h.set().Status
	if st.CurrentRevision != newRev || st.UpdatedReplicas != 5 || st.CurrentReplicas != 5 {
		t.Errorf("status = %+v, want the rollout complete", st)
	}
}

func TestRollingUpdatePartitionIsRelativeToStartOrdinal(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.Ordinals = &apps.StatefulSetOrdinals{Start: 5}
	h := newHarness(t, set)
	h.converge(100)
	oldRev := h.set().Status.CurrentRevision
	h.update(func(set *apps.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](1)
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	})
	h.converge(100)
	newRev := h.set().Status.UpdateRevision
	if got, want := h.revisionsOf(), []string{oldRev, newRev, newRev}; !slices.Equal(got, want) {
		t.Fatalf("revisions of foo-5..7 = %v, want %v", got, want)
	}
}

func TestOnDeleteUpdate(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.UpdateStrategy = apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}
	h := newHarness(t, set)
	h.converge(100)
	oldRev := h.set().Status.CurrentRevision
	h.om.log = nil
	h.update(func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	h.converge(100)
	if len(h.om.log) != 0 {
		t.Fatalf("OnDelete made pod writes %v on a template change", h.om.log)
	}
	newRev := h.set().Status.UpdateRevision
	h.deletePod("foo-1")
	h.converge(100)
	h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](4) })
	h.converge(100)
	if got, want := h.revisionsOf(), []string{oldRev, newRev, oldRev, newRev}; !slices.Equal(got, want) {
		t.Fatalf("revisions = %v, want %v", got, want)
	}
	// 1.32 never advances currentRevision for OnDelete.
	if st := h.set().Status; st.CurrentRevision != oldRev || st.UpdatedReplicas != 2 || st.CurrentReplicas != 2 {
		t.Errorf("status = %+v", st)
	}
}

func TestRollbackReusesRevision(t *testing.T) {
	h := newHarness(t, newStatefulSet(3))
	h.converge(100)
	first := h.set().Status.UpdateRevision
	h.update(func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = "nginx:2" })
	h.converge(100)
	h.update(func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = "nginx:1" })
	h.converge(100)
	st := h.set().Status
	if st.UpdateRevision != first || st.CurrentRevision != first {
		t.Fatalf("status = %+v, want the first revision %s reused", st, first)
	}
	revisions := h.om.listRevisions()
	if len(revisions) != 2 || revisions[1].Name != first || revisions[1].Revision != 3 {
		t.Fatalf("revisions = %v, want the first bumped to .revision 3 and no third object", revisions)
	}
}

func TestHistoryIsTruncated(t *testing.T) {
	set := newStatefulSet(2)
	set.Spec.RevisionHistoryLimit = ptr.To[int32](2)
	h := newHarness(t, set)
	h.converge(100)
	for i := 2; i <= 6; i++ {
		h.update(func(set *apps.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = fmt.Sprintf("nginx:%d", i) })
		h.converge(100)
	}
	revisions := h.om.listRevisions()
	// The live revision plus at most two historic ones; the newest ones are kept.
	if len(revisions) != 3 || revisions[0].Revision != 4 || revisions[2].Revision != 6 {
		var got []int64
		for _, r := range revisions {
			got = append(got, r.Revision)
		}
		t.Fatalf("revisions = %v, want 4, 5, 6", got)
	}
}

func TestMinReadySeconds(t *testing.T) {
	set := newStatefulSet(2)
	set.Spec.MinReadySeconds = 30
	h := newHarness(t, set)
	h.mustSync()
	h.kubeletStep() // running
	h.kubeletStep() // ready
	h.mustSync()
	if h.om.pod("default", "foo-1") != nil {
		t.Fatal("foo-1 created before foo-0 was available")
	}
	if st := h.set().Status; st.ReadyReplicas != 1 || st.AvailableReplicas != 0 {
		t.Errorf("status = %+v, want 1 ready, 0 available", st)
	}
	if h.requeueAfter < 30*time.Second || h.requeueAfter > 31*time.Second {
		t.Errorf("requeueAfter = %v, want about 30s", h.requeueAfter)
	}
	h.clock = h.clock.Add(31 * time.Second)
	h.mustSync()
	if h.om.pod("default", "foo-1") == nil {
		t.Fatal("foo-1 not created once foo-0 was available")
	}
	if st := h.set().Status; st.AvailableReplicas != 1 {
		t.Errorf("status = %+v, want 1 available", st)
	}
}

func TestStartOrdinal(t *testing.T) {
	set := newStatefulSet(3)
	set.Spec.Ordinals = &apps.StatefulSetOrdinals{Start: 2}
	h := newHarness(t, set)
	h.converge(100)
	if got := h.podNames(); !slices.Equal(got, []string{"foo-2", "foo-3", "foo-4"}) {
		t.Fatalf("pods = %v", got)
	}
	h.update(func(set *apps.StatefulSet) { set.Spec.Ordinals.Start = 4 })
	h.converge(100)
	if got := h.podNames(); !slices.Equal(got, []string{"foo-4", "foo-5", "foo-6"}) {
		t.Fatalf("pods after start 2→4 = %v", got)
	}
	h.update(func(set *apps.StatefulSet) { set.Spec.Ordinals = nil })
	h.converge(100)
	if got := h.podNames(); !slices.Equal(got, []string{"foo-0", "foo-1", "foo-2"}) {
		t.Fatalf("pods after removing ordinals = %v", got)
	}
}

// TestStuckRolloutIsRepaired checks the one place ordinal goes beyond upstream
// (kubernetes/kubernetes#67250): a rollout to a template whose pods never become ready
// blocks an OrderedReady set; fixing the template replaces the stuck pod by itself.
func TestStuckRolloutIsRepaired(t *testing.T) {
	h := newHarness(t, newStatefulSet(3))
	h.converge(100)
	good := h.set().Status.CurrentRevision
	h.update(func(set *apps.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].Image = "broken"
		set.Spec.Template.Annotations = map[string]string{neverReadyAnnotation: "true"}
	})
	h.converge(100)
	broken := h.set().Status.UpdateRevision
	if got, want := h.revisionsOf(), []string{good, good, broken}; !slices.Equal(got, want) {
		t.Fatalf("revisions = %v, want foo-2 replaced by the broken revision and stuck", got)
	}
	// A pod at the update revision that is not ready is only slow: it is waited for.
	stuck := h.om.pod("default", "foo-2")
	for range 5 {
		h.mustSync()
	}
	if pod := h.om.pod("default", "foo-2"); pod.UID != stuck.UID || pod.DeletionTimestamp != nil {
		t.Fatal("a pod at the update revision was replaced instead of waited for")
	}

	h.update(func(set *apps.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].Image = "nginx:3"
		set.Spec.Template.Annotations = nil
	})
	h.converge(100)
	st := h.set().Status
	fixed := st.UpdateRevision
	if got, want := h.revisionsOf(), []string{fixed, fixed, fixed}; !slices.Equal(got, want) {
		t.Fatalf("revisions = %v, want the set rolled to the fixed template", got)
	}
	if st.CurrentRevision != fixed || st.ReadyReplicas != 3 {
		t.Errorf("status = %+v", st)
	}
}

// TestStuckRolloutRespectsPartitionAndOnDelete: pods the rollout would not replace are not
// replaced by the repair either.
func TestStuckRolloutRespectsPartitionAndOnDelete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(set *apps.StatefulSet)
	}{
		{"below the partition", func(set *apps.StatefulSet) {
			set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](3)
		}},
		{"OnDelete", func(set *apps.StatefulSet) {
			set.Spec.UpdateStrategy = apps.StatefulSetUpdateStrategy{Type: apps.OnDeleteStatefulSetStrategyType}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, newStatefulSet(3))
			h.converge(100)
			h.setRunning("foo-1", false) // an old-revision pod is unready
			h.update(func(set *apps.StatefulSet) {
				tc.change(set)
				set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
			})
			for range 5 {
				h.mustSync()
			}
			if pod := h.om.pod("default", "foo-1"); pod.DeletionTimestamp != nil {
				t.Fatal("the repair replaced a pod the rollout does not own")
			}
		})
	}
}

func TestRetentionPolicyOwnerReferences(t *testing.T) {
	for _, policy := range retentionPolicies {
		t.Run(fmt.Sprintf("%s-%s", policy.WhenScaled, policy.WhenDeleted), func(t *testing.T) {
			set := newStatefulSet(3)
			set.Spec.PersistentVolumeClaimRetentionPolicy = &policy
			h := newHarness(t, set)
			h.converge(100)
			set = h.set()
			del := apps.DeletePersistentVolumeClaimRetentionPolicyType
			for _, claim := range h.om.listClaims() {
				if hasOwnerRef(claim, set) != (policy.WhenDeleted == del) || len(claim.OwnerReferences) > 1 {
					t.Errorf("claim %s owners = %v", claim.Name, claim.OwnerReferences)
				}
			}
			// Scale down: the first sync hands the claims of condemned pods to the pods
			// (WhenScaled=Delete) before deleting the top one.
			h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](1) })
			h.mustSync()
			for _, ord := range []int{1, 2} {
				claim := h.om.claim("default", fmt.Sprintf("datadir-foo-%d", ord))
				pod := h.om.pod("default", fmt.Sprintf("foo-%d", ord))
				if err := checkClaimInvariants(h.set(), pod, claim); err != nil && pod.DeletionTimestamp == nil {
					t.Error(err)
				}
				if policy.WhenScaled == del && !hasOwnerRef(claim, pod) {
					t.Errorf("claim %s not handed to its condemned pod: %v", claim.Name, claim.OwnerReferences)
				}
			}
			h.converge(100)
			for _, ord := range []int{1, 2} {
				if claim := h.om.claim("default", fmt.Sprintf("datadir-foo-%d", ord)); (claim == nil) != (policy.WhenScaled == del) {
					t.Errorf("claim of foo-%d present = %v under %v", ord, claim != nil, policy)
				}
			}
			// Scale back up: the ordinals come back with their retained claims, or new ones.
			h.update(func(set *apps.StatefulSet) { set.Spec.Replicas = ptr.To[int32](3) })
			h.converge(100)
			if got := len(h.om.listClaims()); got != 3 {
				t.Errorf("claims after scaling up = %d, want 3", got)
			}
		})
	}
}

func TestRetentionPolicyChangeRewritesOwners(t *testing.T) {
	h := newHarness(t, newStatefulSet(2))
	h.converge(100)
	h.update(func(set *apps.StatefulSet) {
		set.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = apps.DeletePersistentVolumeClaimRetentionPolicyType
	})
	h.converge(100)
	set := h.set()
	for _, claim := range h.om.listClaims() {
		if !hasOwnerRef(claim, set) {
			t.Errorf("claim %s owners = %v, want the set", claim.Name, claim.OwnerReferences)
		}
	}
	if !h.hasEvent("SuccessfulUpdate update Pod foo-0 in StatefulSet foo successful") {
		t.Errorf("events = %v, want upstream's update event", h.events)
	}
}

func TestConflictingControllerOnClaim(t *testing.T) {
	set := newStatefulSet(1)
	set.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = apps.DeletePersistentVolumeClaimRetentionPolicyType
	h := newHarness(t, set)
	h.converge(100)
	claim := h.om.claim("default", "datadir-foo-0")
	claim.OwnerReferences = append(claim.OwnerReferences, metav1.OwnerReference{
		APIVersion: "example.com/v1", Kind: "Other", Name: "other", UID: "other-uid", Controller: ptr.To(true)})
	h.om.putClaim(claim)
	h.converge(100)
	claim = h.om.claim("default", "datadir-foo-0")
	if len(claim.OwnerReferences) != 1 || claim.OwnerReferences[0].UID != "other-uid" {
		t.Errorf("owners = %v, want only the other controller", claim.OwnerReferences)
	}
	if !h.hasEvent("Warning ConflictingController PersistentVolumeClaim datadir-foo-0 has a conflicting OwnerReference") {
		t.Errorf("events = %v", h.events)
	}
}

func TestStaleClaimWaitsForGarbageCollection(t *testing.T) {
	set := newStatefulSet(1)
	set.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = apps.DeletePersistentVolumeClaimRetentionPolicyType
	h := newHarness(t, set)
	claim := getPersistentVolumeClaims(set, newStatefulSetPod(set, 0))[0]
	claim.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "foo-0", UID: "old-pod", Controller: ptr.To(true)}}
	h.om.putClaim(claim)
	h.mustSync()
	if h.om.pod("default", "foo-0") != nil {
		t.Fatal("pod created on a claim that belongs to an earlier pod of its name")
	}
	h.om.removeClaim("default", claim.Name)
	h.converge(100)
	if h.om.pod("default", "foo-0") == nil {
		t.Fatal("pod not created once the stale claim was collected")
	}
}

func TestAdoptionAndRelease(t *testing.T) {
	h := newHarness(t, newStatefulSet(1))
	set := h.set()
	orphan := newStatefulSetPod(set, 0)
	orphan.OwnerReferences = nil
	revision, err := newRevision(set, 1, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	orphan.Labels[apps.StatefulSetRevisionLabel] = revision.Name
	orphan.Status.Phase = v1.PodPending
	h.om.putPod(orphan)
	notMember := newStatefulSetPod(set, 3)
	notMember.Name, notMember.OwnerReferences = "foo-bar", nil
	notMember.Status.Phase = v1.PodRunning
	h.om.putPod(notMember)
	other := newStatefulSetPod(set, 5)
	other.Name = "foo-7"
	other.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "x", UID: "x-uid", Controller: ptr.To(true)}}
	other.Status.Phase = v1.PodRunning
	h.om.putPod(other)
	h.mustSync()
	if ref := metav1.GetControllerOf(h.om.pod("default", "foo-0")); ref == nil || ref.UID != set.UID || !*ref.BlockOwnerDeletion {
		t.Errorf("orphan foo-0 not adopted: %v", ref)
	}
	if h.om.claim("default", "datadir-foo-0") == nil {
		t.Error("the adopted pending pod's missing claim was not created")
	}
	if metav1.GetControllerOf(h.om.pod("default", "foo-bar")) != nil {
		t.Error("a pod whose name is not <set>-<ordinal> was adopted")
	}
	if ref := metav1.GetControllerOf(h.om.pod("default", "foo-7")); ref.UID != "x-uid" {
		t.Error("another controller's pod was taken")
	}
	// Changing the labels of a pod releases it.
	pod := h.om.pod("default", "foo-0")
	pod.Labels["app"] = "elsewhere"
	h.om.putPod(pod)
	if err := h.sync(); err == nil {
		t.Error("the released pod holds the name foo-0; creating the replacement must fail")
	}
	if metav1.GetControllerOf(h.om.pod("default", "foo-0")) != nil {
		t.Error("a pod that stopped matching the selector was not released")
	}
}

func TestAdoptsOrphanRevisions(t *testing.T) {
	h := newHarness(t, newStatefulSet(1))
	set := h.set()
	orphan, err := newRevision(set, 1, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	orphan.OwnerReferences = nil
	if _, err := h.om.CreateControllerRevision(t.Context(), orphan); err != nil {
		t.Fatal(err)
	}
	h.mustSync()
	revisions := h.om.listRevisions()
	if len(revisions) != 1 || metav1.GetControllerOf(revisions[0]) == nil || revisions[0].Revision != 1 {
		t.Fatalf("revisions = %v, want the orphan adopted and used", revisions)
	}
}

func TestDeletingSetOnlyWritesStatus(t *testing.T) {
	h := newHarness(t, newStatefulSet(2))
	h.converge(100)
	h.update(func(set *apps.StatefulSet) {
		ts := metav1.NewTime(h.clock)
		set.DeletionTimestamp = &ts
		set.Spec.Replicas = ptr.To[int32](4)
	})
	h.om.log = nil
	h.mustSync()
	if len(h.om.log) != 0 {
		t.Errorf("a set being deleted made pod writes %v", h.om.log)
	}
	if st := h.set().Status; st.ObservedGeneration != h.set().Generation {
		t.Errorf("status = %+v, want the generation observed", st)
	}
}

func TestRevisionNameCollision(t *testing.T) {
	h := newHarness(t, newStatefulSet(1))
	set := h.set()
	// Occupy the revision's name with different data.
	squatter, err := newRevision(set, 1, ptr.To[int32](0))
	if err != nil {
		t.Fatal(err)
	}
	squatter.Data.Raw = []byte(`{"spec":{"template":{"$patch":"replace"}}}`)
	squatter.Labels = map[string]string{"unrelated": "true"}
	squatter.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "x", UID: types.UID("x"), Controller: ptr.To(true)}}
	if _, err := h.om.CreateControllerRevision(t.Context(), squatter); err != nil {
		t.Fatal(err)
	}
	h.converge(100)
	st := h.set().Status
	if st.CollisionCount == nil || *st.CollisionCount != 1 || st.UpdateRevision == squatter.Name {
		t.Fatalf("status = %+v, want collisionCount 1 and another name", st)
	}
	want, _ := newRevision(set, 1, ptr.To[int32](1))
	if st.UpdateRevision != want.Name {
		t.Errorf("update revision %s, want %s", st.UpdateRevision, want.Name)
	}
	if pod := h.om.pod("default", "foo-0"); pod == nil || getPodRevision(pod) != want.Name {
		t.Error("pod not at the renamed revision")
	}
}

func TestFailedPodBelowPartitionComesBackAtCurrentRevision(t *testing.T) {
	h := newHarness(t, newStatefulSet(3))
	h.converge(100)
	oldRev := h.set().Status.CurrentRevision
	h.update(func(set *apps.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](2)
		set.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	})
	h.converge(100)
	h.setPhase("foo-0", v1.PodFailed)
	h.converge(100)
	if got := getPodRevision(h.om.pod("default", "foo-0")); got != oldRev {
		t.Errorf("foo-0 recreated at %s, want %s", got, oldRev)
	}
}
