package statefulset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// A StatefulSet's history is a list of ControllerRevisions, each holding a strategic merge
// patch that puts one pod template back onto the set. kubectl reads them for `rollout
// history` and applies one for `rollout undo`, comparing bytes with a patch it computes the
// same way to print "skipped rollback": so the bytes must be exactly upstream's.

// controllerRevisionHashLabel is the label upstream puts on every ControllerRevision.
const controllerRevisionHashLabel = "controller.kubernetes.io/hash"

// getPatch returns the patch that restores set's pod template:
// {"spec":{"template":{...,"$patch":"replace"}}}, keys sorted, no spaces. It encodes the
// template through a generic map exactly as upstream and kubectl do, so the same template
// always gives the same bytes.
func getPatch(set *apps.StatefulSet) ([]byte, error) {
	data, err := json.Marshal(&set.Spec.Template)
	if err != nil {
		return nil, err
	}
	var template map[string]interface{}
	if err := json.Unmarshal(data, &template); err != nil {
		return nil, err
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]interface{}{"spec": map[string]interface{}{"template": template}})
}

// hashControllerRevision returns upstream's HashControllerRevision: FNV-32 (not 32a) of the
// data bytes followed by the decimal collision count, if given, safely encoded.
func hashControllerRevision(revision *apps.ControllerRevision, probe *int32) string {
	hf := fnv.New32()
	hf.Write(revision.Data.Raw)
	if probe != nil {
		hf.Write([]byte(strconv.FormatInt(int64(*probe), 10)))
	}
	return rand.SafeEncodeString(fmt.Sprint(hf.Sum32()))
}

// controllerRevisionName returns <prefix>-<hash>, the prefix cut so the name stays a valid
// object name.
func controllerRevisionName(prefix, hash string) string {
	if len(prefix) > 223 {
		prefix = prefix[:223]
	}
	return prefix + "-" + hash
}

// newRevision builds (does not create) the ControllerRevision recording set's template with
// the given .revision number: template labels plus the hash label, the set's annotations (so
// change-cause shows in `kubectl rollout history`), and a controller reference to set.
func newRevision(set *apps.StatefulSet, revision int64, collisionCount *int32) (*apps.ControllerRevision, error) {
	patch, err := getPatch(set)
	if err != nil {
		return nil, err
	}
	labels := copyMap(set.Spec.Template.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	cr := &apps.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       set.Namespace,
			Labels:          labels,
			Annotations:     copyMap(set.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: patch},
		Revision: revision,
	}
	if cr.Annotations == nil {
		cr.Annotations = map[string]string{}
	}
	hash := hashControllerRevision(cr, collisionCount)
	cr.Name = controllerRevisionName(set.Name, hash)
	cr.Labels[controllerRevisionHashLabel] = hash
	return cr, nil
}

// applyRevision returns a copy of set with revision's patch applied: the set as it was at that
// revision.
func applyRevision(set *apps.StatefulSet, revision *apps.ControllerRevision) (*apps.StatefulSet, error) {
	original, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	patched, err := strategicpatch.StrategicMergePatch(original, revision.Data.Raw, &apps.StatefulSet{})
	if err != nil {
		return nil, err
	}
	restored := &apps.StatefulSet{}
	if err := json.Unmarshal(patched, restored); err != nil {
		return nil, err
	}
	return restored, nil
}

// sortControllerRevisions sorts revisions by .revision, then creation time, then name.
func sortControllerRevisions(revisions []*apps.ControllerRevision) {
	slices.SortStableFunc(revisions, func(a, b *apps.ControllerRevision) int {
		switch {
		case a.Revision != b.Revision:
			return compareInt64(a.Revision, b.Revision)
		case !a.CreationTimestamp.Equal(&b.CreationTimestamp):
			if a.CreationTimestamp.Before(&b.CreationTimestamp) {
				return -1
			}
			return 1
		}
		return bytes.Compare([]byte(a.Name), []byte(b.Name))
	})
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// nextRevision returns the .revision for a new entry in sorted revisions: one more than the
// last, or 1.
func nextRevision(revisions []*apps.ControllerRevision) int64 {
	if len(revisions) == 0 {
		return 1
	}
	return revisions[len(revisions)-1].Revision + 1
}

// equalRevision tells whether two revisions record the same template: equal data bytes, and
// hash labels that do not contradict each other (upstream compares them only when both parse
// as numbers).
func equalRevision(lhs, rhs *apps.ControllerRevision) bool {
	if lhs == nil || rhs == nil {
		return lhs == rhs
	}
	lh, lerr := strconv.ParseInt(lhs.Labels[controllerRevisionHashLabel], 10, 32)
	rh, rerr := strconv.ParseInt(rhs.Labels[controllerRevisionHashLabel], 10, 32)
	if lerr == nil && rerr == nil && uint32(lh) != uint32(rh) {
		return false
	}
	return bytes.Equal(lhs.Data.Raw, rhs.Data.Raw)
}

// revisionPlan says how this sync arrives at its current and update revisions.
type revisionPlan struct {
	// update is the update revision: an existing object, or, when create is set, a new one.
	update *apps.ControllerRevision
	// create: no revision records the template yet; create update (on a name collision, bump
	// collisionCount and try the next name).
	create bool
	// bumpTo > 0: update is an older revision recording the template (a rollback); raise its
	// .revision to bumpTo rather than create a copy.
	bumpTo int64
	// current is the revision named by status.currentRevision, nil on the first sync (then the
	// update revision is current too).
	current        *apps.ControllerRevision
	collisionCount int32
}

// planRevisions decides set's update revision from its sorted revisions: the latest if it
// already records the template, an older equal one (bumped) on a rollback, else a new one.
func planRevisions(set *apps.StatefulSet, revisions []*apps.ControllerRevision) (revisionPlan, error) {
	var plan revisionPlan
	if set.Status.CollisionCount != nil {
		plan.collisionCount = *set.Status.CollisionCount
	}
	candidate, err := newRevision(set, nextRevision(revisions), &plan.collisionCount)
	if err != nil {
		return plan, err
	}
	var equal *apps.ControllerRevision
	for _, r := range revisions {
		if equalRevision(r, candidate) {
			equal = r
		}
	}
	switch {
	case equal != nil && equal == revisions[len(revisions)-1]:
		plan.update = equal
	case equal != nil:
		plan.update, plan.bumpTo = equal, candidate.Revision
	default:
		plan.update, plan.create = candidate, true
	}
	for _, r := range revisions {
		if r.Name == set.Status.CurrentRevision {
			plan.current = r
			break
		}
	}
	return plan, nil
}

// truncateHistory returns the revisions to delete so that no more than revisionHistoryLimit
// non-live revisions remain, oldest first. Live are the current and update revisions and any
// revision a pod is labelled with. A negative limit keeps everything.
func truncateHistory(set *apps.StatefulSet, pods []*v1.Pod, revisions []*apps.ControllerRevision, current, update *apps.ControllerRevision) []*apps.ControllerRevision {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	if limit < 0 {
		return nil
	}
	live := make(map[string]bool, len(pods)+2)
	if current != nil {
		live[current.Name] = true
	}
	if update != nil {
		live[update.Name] = true
	}
	for _, pod := range pods {
		live[getPodRevision(pod)] = true
	}
	var history []*apps.ControllerRevision
	for _, r := range revisions {
		if !live[r.Name] {
			history = append(history, r)
		}
	}
	if len(history) <= limit {
		return nil
	}
	return history[:len(history)-limit]
}
