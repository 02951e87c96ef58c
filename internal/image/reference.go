package image

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how references show Docker Hub, as Docker, containerd and the kubelet do;
// go-containerregistry calls it index.docker.io on the wire.
const dockerHub = "docker.io"

// pathComponent is one component of a repository path in the distribution grammar.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// Reference is a normalised image reference: docker.io/library/busybox:latest,
// host:5000/team/app@sha256:…, or both a tag and a digest (the digest decides what is pulled).
type Reference struct {
	// Name is the registry and repository: docker.io/library/busybox.
	Name string
	// Tag is empty only when Digest is set and no tag was written.
	Tag string
	// Digest is "sha256:<hex>" for references by digest.
	Digest string
}

// ParseReference normalises s the way Docker Hub names are normalised everywhere:
// busybox → docker.io/library/busybox:latest, myrepo/x → docker.io/myrepo/x:latest,
// host:port/x → host:port/x:latest. Errors wrap ErrInvalidReference.
func ParseReference(s string) (Reference, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return Reference{}, fmt.Errorf("%w: %q", ErrInvalidReference, s)
	}
	base, digest, hasDigest := strings.Cut(s, "@")
	opts := []name.Option{name.WithDefaultTag("")}
	tag, err := name.NewTag(base, opts...)
	if err != nil {
		return Reference{}, fmt.Errorf("%w: %q: %v", ErrInvalidReference, s, err)
	}
	for _, c := range strings.Split(tag.RepositoryStr(), "/") {
		if !pathComponent.MatchString(c) {
			return Reference{}, fmt.Errorf("%w: %q: bad repository path component %q", ErrInvalidReference, s, c)
		}
	}
	r := Reference{Name: displayName(tag.Repository), Tag: tag.TagStr()}
	if hasDigest {
		d, err := name.NewDigest(tag.Repository.Name()+"@"+digest, opts...)
		if err != nil {
			return Reference{}, fmt.Errorf("%w: %q: %v", ErrInvalidReference, s, err)
		}
		r.Digest = d.DigestStr()
	} else if r.Tag == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Normalize returns the normalised form of an image reference (see ParseReference).
func Normalize(s string) (string, error) {
	r, err := ParseReference(s)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

func (r Reference) String() string {
	s := r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// remote is the reference go-containerregistry fetches: by digest when there is one.
func (r Reference) remote() (name.Reference, error) {
	if r.Digest != "" {
		return name.NewDigest(r.Name + "@" + r.Digest)
	}
	return name.NewTag(r.Name + ":" + r.Tag)
}

func displayName(repo name.Repository) string {
	registry := repo.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = dockerHub
	}
	return registry + "/" + repo.RepositoryStr()
}
