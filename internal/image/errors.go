package image

import (
	"errors"
	"fmt"
)

// Errors callers branch on; they arrive wrapped, so test them with errors.Is.
var (
	// ErrInvalidReference: the string is not an image reference (the kubelet's
	// InvalidImageName).
	ErrInvalidReference = errors.New("invalid image reference")
	// ErrNotFound: the store has no such reference, or (inside a *PullError) the registry
	// has no such repository, tag or digest, or nothing for this platform.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: (inside a *PullError) the registry refused the credentials, or
	// wanted some and got none. Docker Hub answers this way for repositories that do not
	// exist too, so it cannot always be told apart from ErrNotFound.
	ErrUnauthorized = errors.New("pull access denied, repository does not exist or may require authorization")
)

// PullError is any failure of Pull. The agent reports it with reason ErrImagePull and the
// message "Failed to pull image \"<image>\": " + Error(), which carries the registry's own
// words as containerd's do.
type PullError struct {
	// Ref is the normalised reference that was pulled.
	Ref string
	// Kind is ErrNotFound, ErrUnauthorized or nil for other failures (network, registry
	// errors, bad content).
	Kind error
	// Err is what the registry or the transport said.
	Err error
}

func (e *PullError) Error() string {
	switch e.Kind {
	case ErrNotFound:
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s: not found (%v)", e.Ref, e.Ref, e.Ref, e.Err)
	case ErrUnauthorized:
		return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %v: %v", e.Ref, e.Ref, ErrUnauthorized, e.Err)
	}
	return fmt.Sprintf("failed to pull and unpack image %q: %v", e.Ref, e.Err)
}

// Unwrap lets errors.Is find both the kind and the underlying error.
func (e *PullError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}
