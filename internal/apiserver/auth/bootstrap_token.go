package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Bootstrap tokens, as upstream's cluster-bootstrap package names their Secrets: a token
// "<id>.<secret>" is the Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token.
const (
	BootstrapTokenSecretPrefix = "bootstrap-token-"
	SecretTypeBootstrapToken   = corev1.SecretType("bootstrap.kubernetes.io/token")

	BootstrapTokenIDKey          = "token-id"
	BootstrapTokenSecretKey      = "token-secret"
	BootstrapTokenExpirationKey  = "expiration"
	BootstrapTokenDescriptionKey = "description"
	BootstrapTokenExtraGroupsKey = "auth-extra-groups"
	// BootstrapTokenUsageAuthentication must be "true" for the token to authenticate.
	BootstrapTokenUsageAuthentication = "usage-bootstrap-authentication"
)

var (
	bootstrapTokenPattern = regexp.MustCompile(`\A([a-z0-9]{6})\.([a-z0-9]{16})\z`)
	bootstrapGroupPattern = regexp.MustCompile(`\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z`)
)

// ParseBootstrapToken splits "<id>.<secret>"; ok is false for anything else.
func ParseBootstrapToken(token string) (id, secret string, ok bool) {
	m := bootstrapTokenPattern.FindStringSubmatch(token)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// authenticateBootstrapToken looks token up as upstream's bootstrap token authenticator does.
// A token that is not of the bootstrap form, or whose Secret is missing, deleted, of the
// wrong type, for another secret, expired or not for authentication, proves nothing: (nil,
// nil). Only a failed lookup is an error.
func (a *Authenticator) authenticateBootstrapToken(ctx context.Context, token string) (*user.Info, error) {
	id, secret, ok := ParseBootstrapToken(token)
	if !ok {
		return nil, nil
	}
	s, err := a.secrets(ctx, metav1.NamespaceSystem, BootstrapTokenSecretPrefix+id)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up bootstrap token %s: %w", id, err)
	}
	reject := func(why string) (*user.Info, error) {
		slog.Debug("bootstrap token rejected", "secret", s.Namespace+"/"+s.Name, "reason", why)
		return nil, nil
	}
	switch {
	case s.DeletionTimestamp != nil:
		return reject("deleted")
	case s.Type != SecretTypeBootstrapToken:
		return reject("type is not " + string(SecretTypeBootstrapToken))
	case subtle.ConstantTimeCompare(s.Data[BootstrapTokenSecretKey], []byte(secret)) != 1:
		return reject("wrong secret")
	case string(s.Data[BootstrapTokenIDKey]) != id:
		return reject("token-id does not match the name")
	case bootstrapTokenExpired(s, a.now()):
		return reject("expired")
	case string(s.Data[BootstrapTokenUsageAuthentication]) != "true":
		return reject("not for authentication")
	}
	groups, err := bootstrapTokenGroups(s)
	if err != nil {
		return reject(err.Error())
	}
	return &user.Info{Name: user.BootstrapUserPrefix + id, Groups: append(groups, user.AllAuthenticated)}, nil
}

// bootstrapTokenExpired: a token with an expiration that is past, or that does not parse as
// RFC 3339, no longer works.
func bootstrapTokenExpired(s *corev1.Secret, now time.Time) bool {
	raw := string(s.Data[BootstrapTokenExpirationKey])
	if raw == "" {
		return false
	}
	exp, err := time.Parse(time.RFC3339, raw)
	return err != nil || !now.Before(exp)
}

// bootstrapTokenGroups is system:bootstrappers plus the Secret's extra groups, which must all
// be system:bootstrappers:<something>; sorted and without repeats.
func bootstrapTokenGroups(s *corev1.Secret) ([]string, error) {
	groups := []string{user.BootstrappersGroup}
	if extra := string(s.Data[BootstrapTokenExtraGroupsKey]); extra != "" {
		for _, g := range strings.Split(extra, ",") {
			if !bootstrapGroupPattern.MatchString(g) {
				return nil, fmt.Errorf("%s: group %q does not match %s", BootstrapTokenExtraGroupsKey, g, bootstrapGroupPattern)
			}
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), nil
}

// tokenAlphabet is what token ids and secrets are made of.
const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewBootstrapToken returns a random token id (6 characters) and secret (16 characters);
// the token is id + "." + secret.
func NewBootstrapToken() (id, secret string) {
	return randomTokenString(6), randomTokenString(16)
}

func randomTokenString(n int) string {
	// Rejection sampling keeps every character equally likely: 252 is the largest multiple
	// of 36 below 256.
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if b < 252 && len(out) < n {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out)
}

// BootstrapTokenSecret is the Secret that makes id.secret a bootstrap token for joining nodes.
// ttl > 0 sets its expiration that long after now; description is free text.
func BootstrapTokenSecret(id, secret string, ttl time.Duration, description string, now time.Time) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapTokenSecretPrefix + id, Namespace: metav1.NamespaceSystem},
		Type:       SecretTypeBootstrapToken,
		Data: map[string][]byte{
			BootstrapTokenIDKey:               []byte(id),
			BootstrapTokenSecretKey:           []byte(secret),
			BootstrapTokenUsageAuthentication: []byte("true"),
		},
	}
	if ttl > 0 {
		s.Data[BootstrapTokenExpirationKey] = []byte(now.Add(ttl).UTC().Format(time.RFC3339))
	}
	if description != "" {
		s.Data[BootstrapTokenDescriptionKey] = []byte(description)
	}
	return s
}
