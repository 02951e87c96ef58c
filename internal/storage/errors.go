package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors a caller branches on; wrap them with the key through *KeyError.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict means the object changed between the read and the write the caller
	// conditioned on (a stale resourceVersion or UID precondition).
	ErrConflict = errors.New("conflict")
	// ErrExpired means the requested revision has been compacted away.
	ErrExpired = errors.New("revision compacted")
	// ErrTooLargeRevision means the requested revision is newer than the store has seen.
	ErrTooLargeRevision = errors.New("revision too large")
)

// KeyError names the key an error is about.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return fmt.Sprintf("%s: %v", e.Key, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(key string, err error) error { return &KeyError{Key: key, Err: err} }
