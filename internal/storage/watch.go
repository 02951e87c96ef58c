package storage

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// WatchOptions select what Watch streams.
type WatchOptions struct {
	// Predicate keeps objects for which it returns true. An object that stops matching is
	// reported as DELETED and one that starts matching as ADDED, as upstream does.
	Predicate func(runtime.Object) bool
	// Bookmarks asks for BOOKMARK events carrying the revision the stream has reached.
	Bookmarks bool
}

// Watch streams the changes under prefix made after revision fromRev (0: from now on). A
// revision that was compacted ends the stream with an ERROR event carrying a 410 Expired
// Status, which clients answer with a fresh list.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64, newItem func() runtime.Object, opts WatchOptions) watch.Interface {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	w := &etcdWatch{cancel: cancel, result: make(chan watch.Event, 100)}
	ops := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithPrevKV()}
	if fromRev > 0 {
		ops = append(ops, clientv3.WithRev(fromRev+1))
	}
	if opts.Bookmarks {
		ops = append(ops, clientv3.WithProgressNotify())
	}
	wch := s.watcher.Watch(ctx, prefix, ops...)
	go w.run(ctx, s.codec, wch, newItem, opts)
	return w
}

type etcdWatch struct {
	cancel   context.CancelFunc
	result   chan watch.Event
	stopOnce sync.Once
}

func (w *etcdWatch) Stop()                          { w.stopOnce.Do(w.cancel) }
func (w *etcdWatch) ResultChan() <-chan watch.Event { return w.result }

func (w *etcdWatch) send(ctx context.Context, ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *etcdWatch) run(ctx context.Context, c *codec, wch clientv3.WatchChan, newItem func() runtime.Object, opts WatchOptions) {
	defer close(w.result)
	defer w.cancel()
	matches := func(obj runtime.Object) bool { return opts.Predicate == nil || opts.Predicate(obj) }
	decode := func(data []byte, rev int64) (runtime.Object, error) {
		obj := newItem()
		return obj, c.decode(data, obj, rev)
	}
	for resp := range wch {
		if resp.CompactRevision != 0 {
			w.send(ctx, expiredEvent(fmt.Sprintf("The resourceVersion for the provided watch is too old. (compacted to %d)", resp.CompactRevision)))
			return
		}
		if err := resp.Err(); err != nil {
			w.send(ctx, errorEvent(err))
			return
		}
		if resp.IsProgressNotify() {
			obj := newItem()
			if err := setRev(obj, resp.Header.Revision); err == nil {
				if !w.send(ctx, watch.Event{Type: watch.Bookmark, Object: obj}) {
					return
				}
			}
			continue
		}
		for _, ev := range resp.Events {
			out, ok, err := convertEvent(ev, decode, matches, opts.Predicate != nil)
			if err != nil {
				w.send(ctx, errorEvent(err))
				return
			}
			if ok && !w.send(ctx, out) {
				return
			}
		}
	}
}

// convertEvent turns one etcd event into the watch event a client with this predicate sees.
func convertEvent(ev *clientv3.Event, decode func([]byte, int64) (runtime.Object, error), matches func(runtime.Object) bool, filtered bool) (watch.Event, bool, error) {
	rev := ev.Kv.ModRevision
	var prev runtime.Object
	if ev.PrevKv != nil && (filtered || ev.Type == clientv3.EventTypeDelete) {
		// The previous state is reported with the revision of this event, as upstream does,
		// so that a client resuming from it does not see the event again.
		var err error
		if prev, err = decode(ev.PrevKv.Value, rev); err != nil {
			return watch.Event{}, false, err
		}
	}
	if ev.Type == clientv3.EventTypeDelete {
		if prev == nil || !matches(prev) {
			return watch.Event{}, false, nil
		}
		return watch.Event{Type: watch.Deleted, Object: prev}, true, nil
	}
	cur, err := decode(ev.Kv.Value, rev)
	if err != nil {
		return watch.Event{}, false, err
	}
	curMatch := matches(cur)
	prevMatch := !ev.IsCreate() && (!filtered || (prev != nil && matches(prev)))
	switch {
	case curMatch && !prevMatch:
		return watch.Event{Type: watch.Added, Object: cur}, true, nil
	case curMatch:
		return watch.Event{Type: watch.Modified, Object: cur}, true, nil
	case prevMatch:
		return watch.Event{Type: watch.Deleted, Object: prev}, true, nil
	}
	return watch.Event{}, false, nil
}

func expiredEvent(msg string) watch.Event {
	return watch.Event{Type: watch.Error, Object: &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: metav1.StatusReasonExpired, Code: http.StatusGone,
	}}
}

func errorEvent(err error) watch.Event {
	return watch.Event{Type: watch.Error, Object: &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: err.Error(), Reason: metav1.StatusReasonInternalError, Code: http.StatusInternalServerError,
	}}
}
