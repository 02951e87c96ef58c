package daemonset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// claimer reconciles controller references between an owner and candidate objects, as
// upstream's ControllerRefManager: keep what the owner controls and its selector matches,
// adopt matching orphans, release owned objects that no longer match.
type claimer struct {
	owner    metav1.Object
	kind     schema.GroupVersionKind
	selector labels.Selector
	// fresh re-reads the owner without the cache; adoption stops if it is gone, replaced or
	// being deleted (an owner must not adopt while the garbage collector orphans).
	fresh func(ctx context.Context) (metav1.Object, error)
	// patch applies a strategic merge patch to the named object.
	patch func(ctx context.Context, name string, data []byte) error

	once     sync.Once
	adoptErr error
}

// claim returns the objects the owner controls after adoption and release.
func claim[T metav1.Object](ctx context.Context, c *claimer, objs []T) ([]T, error) {
	var out []T
	var errs []error
	for _, obj := range objs {
		ok, err := c.claimOne(ctx, obj)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			out = append(out, obj)
		}
	}
	return out, utilerrors.NewAggregate(errs)
}

func (c *claimer) claimOne(ctx context.Context, obj metav1.Object) (bool, error) {
	match := c.selector.Matches(labels.Set(obj.GetLabels()))
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		if ref.UID != c.owner.GetUID() {
			return false, nil
		}
		if match {
			return true, nil
		}
		if c.owner.GetDeletionTimestamp() != nil {
			return false, nil
		}
		err := c.patch(ctx, obj.GetName(), releasePatch(c.owner, obj))
		if err != nil && !apierrors.IsNotFound(err) {
			return false, err
		}
		return false, nil
	}
	if !match || c.owner.GetDeletionTimestamp() != nil || obj.GetDeletionTimestamp() != nil || obj.GetNamespace() != c.owner.GetNamespace() {
		return false, nil
	}
	c.once.Do(func() { c.adoptErr = c.canAdopt(ctx) })
	if c.adoptErr != nil {
		return false, c.adoptErr
	}
	if err := c.patch(ctx, obj.GetName(), adoptPatch(c.owner, c.kind, obj)); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func (c *claimer) canAdopt(ctx context.Context) error {
	fresh, err := c.fresh(ctx)
	if err != nil {
		return err
	}
	if fresh.GetUID() != c.owner.GetUID() {
		return fmt.Errorf("original %s %s/%s is gone: got uid %s, wanted %s", c.kind.Kind, c.owner.GetNamespace(), c.owner.GetName(), fresh.GetUID(), c.owner.GetUID())
	}
	if fresh.GetDeletionTimestamp() != nil {
		return errors.New(c.kind.Kind + " " + c.owner.GetNamespace() + "/" + c.owner.GetName() + " has just been deleted")
	}
	return nil
}

// adoptPatch adds the owner's controller reference; metadata.uid makes it a precondition.
func adoptPatch(owner metav1.Object, kind schema.GroupVersionKind, obj metav1.Object) []byte {
	ref := metav1.NewControllerRef(owner, kind)
	data, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []any{ref},
		"uid":             obj.GetUID(),
	}})
	return data
}

// releasePatch removes the owner's reference from obj.
func releasePatch(owner, obj metav1.Object) []byte {
	data, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"ownerReferences": []any{map[string]any{"$patch": "delete", "uid": owner.GetUID()}},
		"uid":             obj.GetUID(),
	}})
	return data
}
