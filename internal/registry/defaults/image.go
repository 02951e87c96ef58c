package defaults

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// DefaultImagePullPolicy returns the pull policy upstream gives a container
// whose imagePullPolicy is unset: Always when the image reference names the
// tag "latest", either explicitly or by giving neither a tag nor a digest, and
// IfNotPresent otherwise. A reference with only a digest is IfNotPresent.
//
// A reference that does not parse also gets IfNotPresent: upstream ignores the
// parse error here (validation only rejects empty images and images with
// surrounding spaces), so "BusyBox" is accepted and never pulled eagerly.
func DefaultImagePullPolicy(image string) corev1.PullPolicy {
	if tag, ok := imageTag(image); ok && tag == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// The grammar of an image reference, as the distribution project specifies
// it (reference := name [":" tag] ["@" digest]). Upstream parses references
// with that library; these expressions are written from the grammar so the
// same strings are accepted and rejected.
var (
	// alphaNumeric [separator alphaNumeric]*, where a separator is one
	// period, one or two underscores, or any number of dashes.
	pathComponent = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	// A DNS label: alphanumerics with inner dashes.
	domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	// A host is a dotted DNS name (IPv4 addresses included) or a bracketed
	// IPv6 address, optionally followed by a port.
	domain = `(?:` + domainComponent + `(?:\.` + domainComponent + `)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`

	referencePattern = regexp.MustCompile(`^(` +
		`(?:` + domain + `/)?` + pathComponent + `(?:/` + pathComponent + `)*` + // name
		`)(?::([\w][\w.-]{0,127}))?` + // tag
		`(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`) // digest

	// A bare 64-hex string is an image ID, not a repository name.
	imageIDPattern = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// digestHexLength lists the digest algorithms an image reference may use and
// the length of their lowercase hex encoding; any other algorithm fails to
// parse.
var digestHexLength = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// maxImageNameLength bounds the normalized name (registry and path).
const maxImageNameLength = 255

// imageTag returns the tag an image reference resolves to, with "latest"
// filled in when the reference has neither a tag nor a digest, and false when
// the reference does not parse.
//
// It normalizes the reference the way the Docker tooling does: a first path
// element that looks like a host (has a "." or ":", is "localhost", or has
// upper-case letters) is the registry; otherwise the registry is docker.io and
// single-element names live under "library/". This matters for
// "registry:5000/img": the ":5000" is a port, not a tag.
func imageTag(image string) (string, bool) {
	if imageIDPattern.MatchString(image) {
		return "", false
	}
	registry, remainder := splitRegistry(image)
	repository := remainder
	if i := strings.IndexByte(remainder, ':'); i >= 0 {
		repository = remainder[:i]
	}
	if strings.ToLower(repository) != repository {
		return "", false
	}
	m := referencePattern.FindStringSubmatch(registry + "/" + remainder)
	if m == nil || len(m[1]) > maxImageNameLength {
		return "", false
	}
	tag, digest := m[2], m[3]
	if digest != "" && !validDigest(digest) {
		return "", false
	}
	if tag == "" && digest == "" {
		tag = "latest"
	}
	return tag, true
}

// splitRegistry separates the registry host from the repository path,
// defaulting to Docker Hub.
func splitRegistry(image string) (registry, remainder string) {
	i := strings.IndexByte(image, '/')
	if i == -1 || (!strings.ContainsAny(image[:i], ".:") && image[:i] != "localhost" && strings.ToLower(image[:i]) == image[:i]) {
		registry, remainder = "docker.io", image
	} else {
		registry, remainder = image[:i], image[i+1:]
	}
	if registry == "index.docker.io" {
		registry = "docker.io"
	}
	if registry == "docker.io" && !strings.Contains(remainder, "/") {
		remainder = "library/" + remainder
	}
	return registry, remainder
}

// validDigest reports whether algorithm:hex names a known algorithm with an
// encoding of the right length in lowercase hex.
func validDigest(digest string) bool {
	algorithm, encoded, _ := strings.Cut(digest, ":")
	n, known := digestHexLength[algorithm]
	if !known || len(encoded) != n {
		return false
	}
	return strings.Trim(encoded, "0123456789abcdef") == ""
}
