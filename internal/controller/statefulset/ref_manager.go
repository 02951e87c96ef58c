package statefulset

import (
	"context"
	"encoding/json"
	"fmt"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// A set controls the objects whose controller reference names its UID. Orphans that match
// its selector are adopted and objects it controls that stop matching are released, as
// upstream's ControllerRefManager does (§0.3 of the semantics notes).

// claimDecision is what a set does about one object it sees.
type claimDecision int

const (
	claimIgnore  claimDecision = iota // another controller's, or not ours to take
	claimKeep                         // ours, and still matching
	claimAdopt                        // an orphan that matches: add our controller reference
	claimRelease                      // ours but no longer matching: remove our reference
)

// decideClaim classifies obj for set. match is whether obj matches the set's selector (and,
// for pods, is named as one of its members).
func decideClaim(set *apps.StatefulSet, obj metav1.Object, match bool) claimDecision {
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		switch {
		case ref.UID != set.UID:
			return claimIgnore
		case match:
			return claimKeep
		case obj.GetDeletionTimestamp() != nil:
			return claimIgnore // going away anyway
		}
		return claimRelease
	}
	if !match || obj.GetDeletionTimestamp() != nil || obj.GetNamespace() != set.Namespace {
		return claimIgnore
	}
	return claimAdopt
}

// adoptPatch is the strategic merge patch that makes set obj's controller; the uid guards
// against a replaced object of the same name.
func adoptPatch(set *apps.StatefulSet, uid string) ([]byte, error) {
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
		"uid":             uid,
	}})
}

// releasePatch removes set's reference from an object with the given uid.
func releasePatch(set *apps.StatefulSet, uid string) ([]byte, error) {
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []map[string]any{{"$patch": "delete", "uid": set.UID}},
		"uid":             uid,
	}})
}

// adoptionGuard checks, once per sync and only when there is something to adopt, with a live
// read, that set still exists and is not being deleted: the cache may not know yet.
type adoptionGuard struct {
	om      objectManager
	set     *apps.StatefulSet
	checked bool
	err     error
}

func (g *adoptionGuard) canAdopt(ctx context.Context) error {
	if g.checked {
		return g.err
	}
	g.checked = true
	if g.set.DeletionTimestamp != nil {
		g.err = fmt.Errorf("%s/%s is being deleted", g.set.Namespace, g.set.Name)
		return g.err
	}
	fresh, err := g.om.GetStatefulSet(ctx, g.set.Namespace, g.set.Name)
	switch {
	case err != nil:
		g.err = err
	case fresh.UID != g.set.UID:
		g.err = fmt.Errorf("original StatefulSet %s/%s is gone: got uid %s, wanted %s", g.set.Namespace, g.set.Name, fresh.UID, g.set.UID)
	case fresh.DeletionTimestamp != nil:
		g.err = fmt.Errorf("%s/%s has just been deleted at %v", g.set.Namespace, g.set.Name, fresh.DeletionTimestamp)
	}
	return g.err
}

// claimPods returns the pods of the namespace that set controls after adopting and releasing.
// A set being deleted adopts nothing.
func claimPods(ctx context.Context, om objectManager, set *apps.StatefulSet, selector labels.Selector, pods []*v1.Pod) ([]*v1.Pod, error) {
	guard := &adoptionGuard{om: om, set: set}
	var claimed []*v1.Pod
	var errs []error
	for _, pod := range pods {
		match := selector.Matches(labels.Set(pod.Labels)) && isMemberOf(set, pod)
		switch decideClaim(set, pod, match) {
		case claimKeep:
			claimed = append(claimed, pod)
		case claimAdopt:
			if set.DeletionTimestamp != nil {
				continue
			}
			if err := guard.canAdopt(ctx); err != nil {
				errs = append(errs, fmt.Errorf("can't adopt Pod %s/%s: %w", pod.Namespace, pod.Name, err))
				continue
			}
			patch, err := adoptPatch(set, string(pod.UID))
			if err != nil {
				return nil, err
			}
			adopted, err := om.PatchPod(ctx, pod.Namespace, pod.Name, patch)
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				errs = append(errs, err)
			default:
				claimed = append(claimed, adopted)
			}
		case claimRelease:
			patch, err := releasePatch(set, string(pod.UID))
			if err != nil {
				return nil, err
			}
			// A pod gone or already changed needs no release.
			if _, err := om.PatchPod(ctx, pod.Namespace, pod.Name, patch); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
				errs = append(errs, err)
			}
		}
	}
	return claimed, utilerrors.NewAggregate(errs)
}

// claimRevisions returns the ControllerRevisions matching set's selector that it controls,
// adopting orphans.
func claimRevisions(ctx context.Context, om objectManager, set *apps.StatefulSet, selector labels.Selector, revisions []*apps.ControllerRevision) ([]*apps.ControllerRevision, error) {
	guard := &adoptionGuard{om: om, set: set}
	var claimed []*apps.ControllerRevision
	for _, r := range revisions {
		if !selector.Matches(labels.Set(r.Labels)) {
			continue
		}
		ref := metav1.GetControllerOfNoCopy(r)
		switch {
		case ref != nil && ref.UID == set.UID:
			claimed = append(claimed, r)
		case ref != nil || r.DeletionTimestamp != nil || set.DeletionTimestamp != nil:
		default:
			if err := guard.canAdopt(ctx); err != nil {
				return nil, fmt.Errorf("can't adopt ControllerRevisions: %w", err)
			}
			patch, err := adoptPatch(set, string(r.UID))
			if err != nil {
				return nil, err
			}
			adopted, err := om.PatchControllerRevision(ctx, r.Namespace, r.Name, patch)
			if err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return nil, err
			}
			claimed = append(claimed, adopted)
		}
	}
	return claimed, nil
}
