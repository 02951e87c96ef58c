package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PullOptions say how to reach the registry.
type PullOptions struct {
	// PullSecrets are the data of the pod's imagePullSecrets: .dockerconfigjson or
	// .dockercfg payloads. The most specific matching entry is used.
	PullSecrets [][]byte
	// Keychain is asked when no pull secret matches; `ordinal image pull` passes
	// go-containerregistry's default keychain (~/.docker/config.json). Nil: anonymous.
	Keychain authn.Keychain
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// Platform is the platform pulled from multi-platform images.
var Platform = v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}

// Pull fetches ref from its registry into the store, whether or not it is there already
// (the pull policy is the caller's), fetching only the blobs the store lacks, and returns
// it ready like Get. Errors other than ErrInvalidReference are *PullError.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	remoteRef, err := r.remote()
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidReference, ref, err)
	}
	var kc authn.Keychain = newSecretKeychain(opts.PullSecrets)
	if opts.Keychain != nil {
		kc = authn.NewMultiKeychain(kc, opts.Keychain)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithPlatform(Platform),
		remote.WithUserAgent("ordinal"),
		remote.WithRetryPredicate(retryable),
	}
	if opts.Transport != nil {
		ropts = append(ropts, remote.WithTransport(opts.Transport))
	}
	desc, err := remote.Get(remoteRef, ropts...)
	if err != nil {
		return nil, pullError(r, err)
	}
	img, err := platformImage(desc)
	if err != nil {
		return nil, pullError(r, err)
	}
	l, err := s.lockStore(ctx, false)
	if err != nil {
		return nil, pullError(r, err)
	}
	out, err := s.ingest(ctx, img, []Reference{r}, desc.Digest.String())
	l.unlock()
	s.tidy()
	if err != nil {
		return nil, pullError(r, err)
	}
	return out[0], nil
}

// platformImage picks this node's image out of a multi-platform index.
func platformImage(desc *remote.Descriptor) (v1.Image, error) {
	if !desc.MediaType.IsIndex() {
		return desc.Image()
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS == Platform.OS && m.Platform.Architecture == Platform.Architecture && m.MediaType.IsImage() {
			return idx.Image(m.Digest)
		}
	}
	return nil, fmt.Errorf("no match for platform %s/%s in index %s: %w", Platform.OS, Platform.Architecture, desc.Digest, ErrNotFound)
}

// pullError classifies a failure by what the registry answered.
func pullError(r Reference, err error) error {
	pe := &PullError{Ref: r.String(), Err: err}
	var terr *transport.Error
	switch {
	case errors.Is(err, ErrNotFound):
		pe.Kind = ErrNotFound
	case errors.As(err, &terr):
		switch terr.StatusCode {
		case http.StatusNotFound:
			pe.Kind = ErrNotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			pe.Kind = ErrUnauthorized
		}
		for _, d := range terr.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				pe.Kind = ErrNotFound
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				pe.Kind = ErrUnauthorized
			}
		}
	}
	return pe
}

// retryable says whether a failed registry request is worth another try: a connection cut
// or timed out mid-way is; a registry that cannot be found or reached at all is not (with
// no network, the default retries only delay the fallback to a stored image by seconds).
func retryable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return false
	case errors.As(err, &op) && op.Op == "dial" && !op.Timeout():
		return false
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
