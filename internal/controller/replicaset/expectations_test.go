package replicaset

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	e := newExpectations()
	if !e.satisfied("ns/rs", t0) {
		t.Fatal("an owner without expectations must sync")
	}
	e.expectCreations("ns/rs", 2, t0)
	if e.satisfied("ns/rs", t0) {
		t.Fatal("creations pending: must wait")
	}
	e.creationObserved("ns/rs")
	e.creationObserved("ns/rs")
	if !e.satisfied("ns/rs", t0) {
		t.Fatal("all creations seen: must sync")
	}

	e.expectDeletions("ns/rs", []string{"ns/a", "ns/b"}, t0)
	e.deletionObserved("ns/rs", "ns/other")
	e.deletionObserved("ns/rs", "ns/a")
	if e.satisfied("ns/rs", t0) {
		t.Fatal("ns/b not seen: must wait")
	}
	if !e.satisfied("ns/rs", t0.Add(ExpectationsTimeout+time.Second)) {
		t.Fatal("expired expectations must not stall the owner")
	}
	e.deletionObserved("ns/rs", "ns/b")
	if !e.satisfied("ns/rs", t0) {
		t.Fatal("all deletions seen: must sync")
	}
	e.expectCreations("ns/rs", 1, t0)
	e.forget("ns/rs")
	if !e.satisfied("ns/rs", t0) {
		t.Fatal("forgotten: must sync")
	}
}

func TestSlowStartBatch(t *testing.T) {
	var calls atomic.Int32
	n, err := slowStartBatch(10, 1, func() error { calls.Add(1); return nil })
	if n != 10 || err != nil || calls.Load() != 10 {
		t.Fatalf("all succeed: got %d, %v after %d calls", n, err, calls.Load())
	}
	// Batches of 1, 2, 4: the third fails from its first call on, so 3 succeed in 7 calls.
	calls.Store(0)
	var seq atomic.Int32
	n, err = slowStartBatch(100, 1, func() error {
		calls.Add(1)
		if seq.Add(1) > 3 {
			return errors.New("quota")
		}
		return nil
	})
	if n != 3 || err == nil || calls.Load() != 7 {
		t.Fatalf("failing batch: got %d, %v after %d calls; want 3, error, 7", n, err, calls.Load())
	}
	if n, err := slowStartBatch(0, 1, func() error { return nil }); n != 0 || err != nil {
		t.Fatalf("nothing to do: got %d, %v", n, err)
	}
}
