package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// Store reads and writes objects under keys in etcd. It is safe for concurrent use.
type Store struct {
	client  *clientv3.Client
	watcher clientv3.Watcher // client, unless UseWatcher chose another
	codec   *codec
	// ObserveRequest, when set, is told how long each etcd request took (for metrics).
	ObserveRequest func(operation string, d time.Duration)
}

func (s *Store) observe(op string, start time.Time) {
	if s.ObserveRequest != nil {
		s.ObserveRequest(op, time.Since(start))
	}
}

// New returns a store on an etcd client (embedded member or external cluster alike).
func New(client *clientv3.Client, scheme *runtime.Scheme) *Store {
	return &Store{client: client, watcher: client, codec: newCodec(scheme)}
}

// UseWatcher makes the store watch through w (the embedded member's gRPC client) instead
// of its client.
func (s *Store) UseWatcher(w clientv3.Watcher) { s.watcher = w }

// Client is the etcd client underneath, for health checks and compaction.
func (s *Store) Client() *clientv3.Client { return s.client }

func formatRev(rev int64) string { return strconv.FormatInt(rev, 10) }

// ParseRevision turns a resourceVersion string into a revision; "" is 0.
func ParseRevision(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid resource version %q", rv)
	}
	return n, nil
}

func isCompacted(err error) bool {
	return errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, rpctypes.ErrGRPCCompacted)
}

func isFutureRev(err error) bool {
	return errors.Is(err, rpctypes.ErrFutureRev) || errors.Is(err, rpctypes.ErrGRPCFutureRev)
}

// Create stores obj under key if the key does not exist yet and sets obj's resourceVersion.
func (s *Store) Create(ctx context.Context, key string, obj runtime.Object) error {
	data, err := s.codec.encode(obj)
	if err != nil {
		return err
	}
	defer s.observe("create", time.Now())
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(data))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return keyErr(key, ErrAlreadyExists)
	}
	return setRev(obj, resp.Header.Revision)
}

// Get reads key into into.
func (s *Store) Get(ctx context.Context, key string, into runtime.Object) error {
	start := time.Now()
	resp, err := s.client.Get(ctx, key)
	s.observe("get", start)
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 {
		return keyErr(key, ErrNotFound)
	}
	kv := resp.Kvs[0]
	return s.codec.decode(kv.Value, into, kv.ModRevision)
}

// ListOptions select what List returns.
type ListOptions struct {
	// Revision reads at that exact revision; 0 reads the latest.
	Revision int64
	// Limit caps the number of items returned; 0 means no limit.
	Limit int64
	// Continue is a token from an earlier page; it fixes the revision.
	Continue string
	// Predicate keeps an item when it returns true; nil keeps everything.
	Predicate func(runtime.Object) bool
}

// ListResult is one page of a list.
type ListResult struct {
	Items    []runtime.Object
	Revision int64
	// Continue is the token for the next page, empty on the last page.
	Continue string
	// Remaining counts keys after this page when no predicate filtered them (an estimate otherwise).
	Remaining *int64
}

type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

func encodeContinue(startKey, prefix string, rev int64) (string, error) {
	b, err := json.Marshal(continueToken{APIVersion: "meta.k8s.io/v1", ResourceVersion: rev, StartKey: strings.TrimPrefix(startKey, prefix)})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ErrBadContinue is returned for a continue token that does not parse.
var ErrBadContinue = errors.New("continue key is not valid")

func decodeContinue(token, prefix string) (startKey string, rev int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, ErrBadContinue
	}
	var t continueToken
	if err := json.Unmarshal(b, &t); err != nil || t.APIVersion != "meta.k8s.io/v1" || t.ResourceVersion <= 0 {
		return "", 0, ErrBadContinue
	}
	if strings.Contains(t.StartKey, "..") || strings.HasPrefix(t.StartKey, "/") {
		return "", 0, ErrBadContinue
	}
	return prefix + t.StartKey, t.ResourceVersion, nil
}

// List reads the objects under prefix (which must end in "/") at one revision.
func (s *Store) List(ctx context.Context, prefix string, opts ListOptions, newItem func() runtime.Object) (*ListResult, error) {
	rangeEnd := clientv3.GetPrefixRangeEnd(prefix)
	startKey := prefix
	rev := opts.Revision
	if opts.Continue != "" {
		var err error
		startKey, rev, err = decodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, err
		}
	}
	result := &ListResult{}
	// Read in pages; with a predicate a page may keep fewer items than asked for, so keep
	// reading until the limit is met or the keys run out (as upstream's etcd3 store does).
	pageSize := opts.Limit
	if pageSize > 0 && opts.Predicate != nil && pageSize < 100 {
		pageSize = 100
	}
	for {
		ops := []clientv3.OpOption{clientv3.WithRange(rangeEnd)}
		if pageSize > 0 {
			ops = append(ops, clientv3.WithLimit(pageSize))
		}
		if rev > 0 {
			ops = append(ops, clientv3.WithRev(rev))
		}
		start := time.Now()
		resp, err := s.client.Get(ctx, startKey, ops...)
		s.observe("list", start)
		switch {
		case isCompacted(err):
			return nil, keyErr(prefix, ErrExpired)
		case isFutureRev(err):
			return nil, keyErr(prefix, ErrTooLargeRevision)
		case err != nil:
			return nil, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			obj := newItem()
			if err := s.codec.decode(kv.Value, obj, kv.ModRevision); err != nil {
				return nil, fmt.Errorf("decoding %s: %w", kv.Key, err)
			}
			if opts.Predicate != nil && !opts.Predicate(obj) {
				continue
			}
			result.Items = append(result.Items, obj)
			if opts.Limit > 0 && int64(len(result.Items)) == opts.Limit {
				more := resp.More || i < len(resp.Kvs)-1
				if more {
					next := string(kv.Key) + "\x00"
					token, err := encodeContinue(next, prefix, rev)
					if err != nil {
						return nil, err
					}
					result.Continue = token
					if opts.Predicate == nil {
						remaining := resp.Count - int64(i) - 1
						result.Remaining = &remaining
					}
				}
				result.Revision = rev
				return result, nil
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		startKey = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	result.Revision = rev
	return result, nil
}

// Count returns how many keys are under prefix.
func (s *Store) Count(ctx context.Context, prefix string) (int64, error) {
	resp, err := s.client.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Count, nil
}

// UpdateFunc gets the current object (nil when the key does not exist) and returns the object
// to store. It may be called several times when the key changes concurrently, so it must not
// have side effects. Returning an error aborts the update with that error.
type UpdateFunc func(current runtime.Object) (runtime.Object, error)

// Update reads key into a fresh object from newObj, calls tryUpdate and writes the result if the
// key still has the revision that was read, retrying on a concurrent change. When the encoded
// result equals what is stored, nothing is written and the current object is returned.
func (s *Store) Update(ctx context.Context, key string, newObj func() runtime.Object, tryUpdate UpdateFunc) (runtime.Object, error) {
	for {
		resp, err := s.client.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		var current runtime.Object
		var modRev int64
		var currentData []byte
		if len(resp.Kvs) > 0 {
			kv := resp.Kvs[0]
			current = newObj()
			if err := s.codec.decode(kv.Value, current, kv.ModRevision); err != nil {
				return nil, fmt.Errorf("decoding %s: %w", key, err)
			}
			modRev, currentData = kv.ModRevision, kv.Value
		}
		updated, err := tryUpdate(current)
		if err != nil {
			return nil, err
		}
		data, err := s.codec.encode(updated)
		if err != nil {
			return nil, err
		}
		if current != nil && bytes.Equal(data, currentData) {
			return updated, setRev(updated, modRev)
		}
		var cmp clientv3.Cmp
		if current == nil {
			cmp = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		} else {
			cmp = clientv3.Compare(clientv3.ModRevision(key), "=", modRev)
		}
		start := time.Now()
		txn, err := s.client.Txn(ctx).If(cmp).Then(clientv3.OpPut(key, string(data))).Commit()
		s.observe("update", start)
		if err != nil {
			return nil, err
		}
		if !txn.Succeeded {
			continue
		}
		return updated, setRev(updated, txn.Header.Revision)
	}
}

// Delete removes key after check approves the current object (check may be nil), retrying
// when the key changes in between. It returns the object as it was last stored.
func (s *Store) Delete(ctx context.Context, key string, newObj func() runtime.Object, check func(current runtime.Object) error) (runtime.Object, error) {
	for {
		resp, err := s.client.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		if len(resp.Kvs) == 0 {
			return nil, keyErr(key, ErrNotFound)
		}
		kv := resp.Kvs[0]
		current := newObj()
		if err := s.codec.decode(kv.Value, current, kv.ModRevision); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", key, err)
		}
		if check != nil {
			if err := check(current); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		txn, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
			Then(clientv3.OpDelete(key)).
			Commit()
		s.observe("delete", start)
		if err != nil {
			return nil, err
		}
		if txn.Succeeded {
			return current, nil
		}
	}
}

// Reserve creates a bare key (no object) if it does not exist; it is how unique values such as
// service cluster IPs are claimed. It returns ErrAlreadyExists when the key is taken.
func (s *Store) Reserve(ctx context.Context, key, value string) error {
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, value)).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return keyErr(key, ErrAlreadyExists)
	}
	return nil
}

// Release deletes a bare key made by Reserve.
func (s *Store) Release(ctx context.Context, key string) error {
	_, err := s.client.Delete(ctx, key)
	return err
}

// Keys lists the bare keys and values under prefix.
func (s *Store) Keys(ctx context.Context, prefix string) (map[string]string, error) {
	resp, err := s.client.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out, nil
}

// CurrentRevision returns the store's latest revision.
func (s *Store) CurrentRevision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, "compact_rev_key", clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

func setRev(obj runtime.Object, rev int64) error {
	return setResourceVersion(obj, formatRev(rev))
}
