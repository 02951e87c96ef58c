package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"ordinal.dev/ordinal/internal/storage"
)

// Get reads one object.
func (r *Registry) Get(ctx context.Context, res *Resource, ns, name string) (runtime.Object, error) {
	obj := res.New()
	if err := r.store.Get(ctx, res.key(ns, name), obj); err != nil {
		return nil, apiError(res, name, err)
	}
	setKind(res, obj)
	return obj, nil
}

// Selection is what a list or watch selects.
type Selection struct {
	Labels labels.Selector
	Fields fields.Selector
}

// ParseSelection parses label and field selectors, refusing fields the resource cannot be
// selected by (as upstream: `field label not supported: x`).
func (r *Registry) ParseSelection(res *Resource, labelSelector, fieldSelector string) (Selection, error) {
	sel := Selection{Labels: labels.Everything(), Fields: fields.Everything()}
	if labelSelector != "" {
		l, err := labels.Parse(labelSelector)
		if err != nil {
			return sel, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		sel.Labels = l
	}
	if fieldSelector != "" {
		f, err := fields.ParseSelector(fieldSelector)
		if err != nil {
			return sel, apierrors.NewBadRequest(err.Error())
		}
		supported := fieldSet(res, res.New())
		for _, req := range f.Requirements() {
			if _, ok := supported[req.Field]; !ok {
				return sel, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
		sel.Fields = f
	}
	return sel, nil
}

func fieldSet(res *Resource, obj runtime.Object) fields.Set {
	acc := accessor(obj)
	set := fields.Set{"metadata.name": acc.GetName()}
	if res.Namespaced {
		set["metadata.namespace"] = acc.GetNamespace()
	}
	if res.Fields != nil {
		for k, v := range res.Fields(obj) {
			set[k] = v
		}
	}
	return set
}

func (s Selection) empty() bool { return s.Labels.Empty() && s.Fields.Empty() }

func (r *Registry) predicate(res *Resource, sel Selection) func(runtime.Object) bool {
	if sel.empty() {
		return nil
	}
	return func(obj runtime.Object) bool {
		if !sel.Labels.Empty() && !sel.Labels.Matches(labels.Set(accessor(obj).GetLabels())) {
			return false
		}
		return sel.Fields.Empty() || sel.Fields.Matches(fieldSet(res, obj))
	}
}

// ListOptions are the list parameters the registry honours.
type ListOptions struct {
	Selection       Selection
	ResourceVersion string
	Exact           bool // resourceVersionMatch=Exact
	Limit           int64
	Continue        string
}

// List returns the typed list (e.g. *corev1.PodList) of the objects in ns ("" for all) that
// match, read at one revision.
func (r *Registry) List(ctx context.Context, res *Resource, ns string, opts ListOptions) (runtime.Object, error) {
	sopts := storage.ListOptions{Limit: opts.Limit, Continue: opts.Continue, Predicate: r.predicate(res, opts.Selection)}
	if opts.Exact {
		rev, err := storage.ParseRevision(opts.ResourceVersion)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		sopts.Revision = rev
	}
	result, err := r.store.List(ctx, res.prefix(ns), sopts, res.New)
	if errors.Is(err, storage.ErrExpired) && opts.Continue != "" {
		return nil, apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
	}
	if err != nil {
		return nil, apiError(res, "", err)
	}
	list := res.NewList()
	if err := meta.SetList(list, result.Items); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	lm.SetResourceVersion(fmt.Sprint(result.Revision))
	lm.SetContinue(result.Continue)
	lm.SetRemainingItemCount(result.Remaining)
	list.GetObjectKind().SetGroupVersionKind(res.GroupVersion().WithKind(res.ListKind))
	return list, nil
}

// WatchOptions are the watch parameters the registry honours.
type WatchOptions struct {
	Selection         Selection
	ResourceVersion   string
	Bookmarks         bool
	SendInitialEvents bool
}

// Watch streams changes of the matching objects. With resourceVersion "" or "0" (or
// sendInitialEvents) it first reports the current objects as ADDED, as upstream does.
func (r *Registry) Watch(ctx context.Context, res *Resource, ns string, opts WatchOptions) (watch.Interface, error) {
	rev, err := storage.ParseRevision(opts.ResourceVersion)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	pred := r.predicate(res, opts.Selection)
	newObj := func() runtime.Object { o := res.New(); setKind(res, o); return o }
	initial := rev == 0 || opts.SendInitialEvents
	var current []runtime.Object
	if initial {
		result, err := r.store.List(ctx, res.prefix(ns), storage.ListOptions{Revision: rev, Predicate: pred}, res.New)
		if err != nil {
			return nil, apiError(res, "", err)
		}
		current, rev = result.Items, result.Revision
	}
	w := r.store.Watch(ctx, res.prefix(ns), rev, newObj, storage.WatchOptions{Predicate: pred, Bookmarks: opts.Bookmarks})
	if !initial {
		return w, nil
	}
	return withInitialEvents(res, w, current, rev, opts.SendInitialEvents), nil
}

// withInitialEvents prefixes w with ADDED events for objects (and, when asked for through
// sendInitialEvents, a bookmark marking their end).
func withInitialEvents(res *Resource, w watch.Interface, objects []runtime.Object, rev int64, endBookmark bool) watch.Interface {
	out := &prefixedWatch{inner: w, result: make(chan watch.Event, 100), done: make(chan struct{})}
	go func() {
		defer close(out.result)
		send := func(ev watch.Event) bool {
			select {
			case out.result <- ev:
				return true
			case <-out.done:
				return false
			}
		}
		for _, o := range objects {
			setKind(res, o)
			if !send(watch.Event{Type: watch.Added, Object: o}) {
				return
			}
		}
		if endBookmark {
			b := res.New()
			setKind(res, b)
			acc := accessor(b)
			acc.SetResourceVersion(fmt.Sprint(rev))
			acc.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
			if !send(watch.Event{Type: watch.Bookmark, Object: b}) {
				return
			}
		}
		for ev := range w.ResultChan() {
			if !send(ev) {
				return
			}
		}
	}()
	return out
}

type prefixedWatch struct {
	inner  watch.Interface
	result chan watch.Event
	done   chan struct{}
	once   sync.Once
}

func (p *prefixedWatch) ResultChan() <-chan watch.Event { return p.result }

func (p *prefixedWatch) Stop() {
	p.once.Do(func() { close(p.done) })
	p.inner.Stop()
}
