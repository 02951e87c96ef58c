package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// fileLock is a held flock(2) on a file. flock locks belong to the open file, so two
// goroutines of one process exclude each other just as two processes do.
type fileLock struct{ f *os.File }

// maxLockPoll bounds the wait between two tries of a contended lock. Locks are polled
// rather than blocked on so that a waiter honours its context (a pull stuck behind another
// pull's download can still be cancelled).
const maxLockPoll = 20 * time.Millisecond

// lockFile takes a shared or exclusive flock on path, creating the file, and waits for it
// until ctx ends.
func lockFile(ctx context.Context, path string, exclusive bool) (*fileLock, error) {
	delay := 500 * time.Microsecond
	for {
		l, ok, err := tryLockFile(path, exclusive)
		if err != nil || ok {
			return l, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, maxLockPoll)
	}
}

// tryLockFile takes the lock if it is free and says whether it did.
func tryLockFile(path string, exclusive bool) (*fileLock, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err == nil {
		return &fileLock{f: f}, true, nil
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("lock %s: %w", path, err)
}

func (l *fileLock) unlock() {
	// Closing the file releases the lock.
	l.f.Close()
}
