package auth

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/apiserver/auth/user"
)

// Authentication outcomes a caller branches on.
var (
	// ErrNoCredentials: the request carries no client certificate and no bearer token.
	ErrNoCredentials = errors.New("no credentials")
	// ErrUnauthorized: the request carries credentials that prove no identity.
	ErrUnauthorized = errors.New("invalid credentials")
)

// SecretGetter reads one Secret (bootstrap tokens live in kube-system). It returns an error
// for which apierrors.IsNotFound holds when there is none.
type SecretGetter func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// AuthenticatorConfig says which credentials are accepted.
type AuthenticatorConfig struct {
	// Tokens maps static bearer tokens to the user they authenticate, who is in
	// system:masters (the admin token).
	Tokens map[string]string
	// ClientCA is the PEM of the CA whose client certificates are accepted (empty: none).
	ClientCA []byte
	// Secrets looks up bootstrap token Secrets (nil: bootstrap tokens are not accepted).
	Secrets SecretGetter
	// Now is the clock that expires bootstrap tokens (nil: time.Now).
	Now func() time.Time
}

// Authenticator tells who made a request, trying what kube-apiserver tries, in its order: a
// client certificate, then a bearer token (static, then bootstrap).
type Authenticator struct {
	tokens    []staticToken
	clientCAs *x509.CertPool
	secrets   SecretGetter
	now       func() time.Time
}

type staticToken struct {
	token []byte
	user  *user.Info
}

// NewAuthenticator builds an authenticator; it fails only on a ClientCA without certificates.
func NewAuthenticator(cfg AuthenticatorConfig) (*Authenticator, error) {
	a := &Authenticator{secrets: cfg.Secrets, now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	for token, name := range cfg.Tokens {
		a.tokens = append(a.tokens, staticToken{[]byte(token), &user.Info{Name: name, Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}})
	}
	if len(cfg.ClientCA) > 0 {
		a.clientCAs = x509.NewCertPool()
		if !a.clientCAs.AppendCertsFromPEM(cfg.ClientCA) {
			return nil, errors.New("authentication: the client CA PEM holds no certificate")
		}
	}
	return a, nil
}

// Authenticate returns the user the request's credentials prove, ErrNoCredentials when it
// carries none, ErrUnauthorized when they prove nothing, or another error when they could not
// be checked (storage unavailable): the caller answers 401 to all errors, as upstream does.
func (a *Authenticator) Authenticate(r *http.Request) (*user.Info, error) {
	certErr := ErrNoCredentials
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		u, err := a.authenticateCertificate(r.TLS.PeerCertificates)
		if err == nil {
			return u, nil
		}
		certErr = err
	}
	token, ok := bearerToken(r)
	if !ok {
		return nil, certErr
	}
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(t.token, []byte(token)) == 1 {
			return t.user, nil
		}
	}
	if a.secrets != nil {
		u, err := a.authenticateBootstrapToken(r.Context(), token)
		if err != nil || u != nil {
			return u, err
		}
	}
	return nil, ErrUnauthorized
}

// bearerToken reads "Authorization: Bearer <token>"; any other scheme is no token.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authenticateCertificate verifies a client certificate chain against the cluster CA: the
// subject's common name is the user and its organizations are the groups.
func (a *Authenticator) authenticateCertificate(chain []*x509.Certificate) (*user.Info, error) {
	if a.clientCAs == nil {
		return nil, fmt.Errorf("%w: client certificates are not accepted", ErrUnauthorized)
	}
	opts := x509.VerifyOptions{
		Roots:         a.clientCAs,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime:   a.now(),
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(opts); err != nil {
		return nil, fmt.Errorf("%w: client certificate %q: %v", ErrUnauthorized, leaf.Subject.CommonName, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, fmt.Errorf("%w: client certificate has no common name", ErrUnauthorized)
	}
	groups := append(append([]string(nil), leaf.Subject.Organization...), user.AllAuthenticated)
	return &user.Info{Name: leaf.Subject.CommonName, Groups: groups}, nil
}
