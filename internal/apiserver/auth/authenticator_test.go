package auth

import (
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAuthenticate(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	valid := func(s *corev1.Secret) *corev1.Secret { return s }
	tokenSecret := func(edit func(*corev1.Secret)) *corev1.Secret {
		s := BootstrapTokenSecret("abcdef", "0123456789abcdef", time.Hour, "test", testNow)
		if edit != nil {
			edit(s)
		}
		return s
	}
	store := map[string]*corev1.Secret{
		"kube-system/bootstrap-token-abcdef": valid(tokenSecret(nil)),
		"kube-system/bootstrap-token-expird": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-expird", []byte("expird")
			s.Data[BootstrapTokenExpirationKey] = []byte(testNow.Add(-time.Second).Format(time.RFC3339))
		}),
		"kube-system/bootstrap-token-badexp": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-badexp", []byte("badexp")
			s.Data[BootstrapTokenExpirationKey] = []byte("tomorrow")
		}),
		"kube-system/bootstrap-token-noauth": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-noauth", []byte("noauth")
			delete(s.Data, BootstrapTokenUsageAuthentication)
		}),
		"kube-system/bootstrap-token-opaque": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-opaque", []byte("opaque")
			s.Type = corev1.SecretTypeOpaque
		}),
		"kube-system/bootstrap-token-othrid": tokenSecret(func(s *corev1.Secret) { s.Name = "bootstrap-token-othrid" }),
		"kube-system/bootstrap-token-delete": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-delete", []byte("delete")
			now := metav1.NewTime(testNow)
			s.DeletionTimestamp = &now
		}),
		"kube-system/bootstrap-token-groups": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-groups", []byte("groups")
			s.Data[BootstrapTokenExtraGroupsKey] = []byte("system:bootstrappers:workers,system:bootstrappers:workers")
		}),
		"kube-system/bootstrap-token-badgrp": tokenSecret(func(s *corev1.Secret) {
			s.Name, s.Data[BootstrapTokenIDKey] = "bootstrap-token-badgrp", []byte("badgrp")
			s.Data[BootstrapTokenExtraGroupsKey] = []byte("system:masters")
		}),
	}
	a, err := NewAuthenticator(AuthenticatorConfig{
		Tokens: map[string]string{"admin-token": "admin"}, ClientCA: ca.pem, Secrets: secrets(store, nil), Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	nodeCert := ca.issue(t, "system:node:n1", []string{"system:nodes"}, x509.ExtKeyUsageClientAuth, testNow.Add(-time.Hour), testNow.Add(day))
	cases := []struct {
		name   string
		req    *http.Request
		user   string
		groups string
		err    error
	}{
		{"admin token", request("admin-token"), "admin", "system:masters,system:authenticated", nil},
		{"wrong token", request("admin-token2"), "", "", ErrUnauthorized},
		{"no credentials", request(""), "", "", ErrNoCredentials},
		{"another scheme", func() *http.Request { r := request(""); r.Header.Set("Authorization", "Basic YTpi"); return r }(), "", "", ErrNoCredentials},
		{"lower-case bearer", func() *http.Request { r := request(""); r.Header.Set("Authorization", "bearer admin-token"); return r }(), "admin", "system:masters,system:authenticated", nil},
		{"bootstrap token", request("abcdef.0123456789abcdef"), "system:bootstrap:abcdef", "system:bootstrappers,system:authenticated", nil},
		{"bootstrap token, wrong secret", request("abcdef.0123456789abcdee"), "", "", ErrUnauthorized},
		{"bootstrap token, no secret", request("zzzzzz.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, expired", request("expird.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, unparsable expiration", request("badexp.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, not for authentication", request("noauth.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, wrong type", request("opaque.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, token-id of another", request("othrid.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, being deleted", request("delete.0123456789abcdef"), "", "", ErrUnauthorized},
		{"bootstrap token, extra groups", request("groups.0123456789abcdef"), "system:bootstrap:groups", "system:bootstrappers,system:bootstrappers:workers,system:authenticated", nil},
		{"bootstrap token, extra group outside system:bootstrappers", request("badgrp.0123456789abcdef"), "", "", ErrUnauthorized},
		{"node certificate", request("", nodeCert), "system:node:n1", "system:nodes,system:authenticated", nil},
		{"certificate of another CA", request("", other.issue(t, "system:node:n1", []string{"system:nodes"}, x509.ExtKeyUsageClientAuth, testNow.Add(-time.Hour), testNow.Add(day))), "", "", ErrUnauthorized},
		{"serving certificate", request("", ca.issue(t, "system:node:n1", []string{"system:nodes"}, x509.ExtKeyUsageServerAuth, testNow.Add(-time.Hour), testNow.Add(day))), "", "", ErrUnauthorized},
		{"expired certificate", request("", ca.issue(t, "system:node:n1", []string{"system:nodes"}, x509.ExtKeyUsageClientAuth, testNow.Add(-2*day), testNow.Add(-day))), "", "", ErrUnauthorized},
		{"bad certificate, good token", request("admin-token", other.issue(t, "system:node:n1", nil, x509.ExtKeyUsageClientAuth, testNow.Add(-time.Hour), testNow.Add(day))), "admin", "system:masters,system:authenticated", nil},
		{"good certificate wins over a token", request("abcdef.0123456789abcdef", nodeCert), "system:node:n1", "system:nodes,system:authenticated", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := a.Authenticate(tc.req)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || u != nil {
					t.Fatalf("got %v, %v; want %v", u, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != tc.user || strings.Join(u.Groups, ",") != tc.groups {
				t.Fatalf("got %s %v, want %s [%s]", u.Name, u.Groups, tc.user, tc.groups)
			}
		})
	}
}

func TestBootstrapTokenLookupFailureIsNotUnauthorized(t *testing.T) {
	a, err := NewAuthenticator(AuthenticatorConfig{Secrets: secrets(nil, errors.New("etcd is down"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(request("abcdef.0123456789abcdef")); err == nil || errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "etcd is down") {
		t.Fatalf("err = %v, want the lookup failure", err)
	}
}

func TestClientCertificatesNeedAClientCA(t *testing.T) {
	ca := newTestCA(t)
	a, err := NewAuthenticator(AuthenticatorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cert := ca.issue(t, "alice", nil, x509.ExtKeyUsageClientAuth, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if _, err := a.Authenticate(request("", cert)); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if _, err := NewAuthenticator(AuthenticatorConfig{ClientCA: []byte("not pem")}); err == nil {
		t.Fatal("a client CA without a certificate was accepted")
	}
}
