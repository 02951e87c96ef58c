package image

import (
	"encoding/json"
	"path"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// secretKeychain gives the credentials of a pod's imagePullSecrets: the data of
// kubernetes.io/dockerconfigjson (.dockerconfigjson, {"auths": {...}}) and
// kubernetes.io/dockercfg (.dockercfg, the map alone) secrets.
type secretKeychain struct {
	// creds are ordered most specific key first.
	creds []registryCred
}

type registryCred struct {
	// host may hold a glob (*.example.com) and a port; repo is a path prefix or empty.
	host, repo string
	auth       authn.AuthConfig
}

// newSecretKeychain parses docker config payloads; payloads that do not parse are skipped,
// as the kubelet skips secrets it cannot read, so that the pull goes on anonymously.
func newSecretKeychain(payloads [][]byte) *secretKeychain {
	kc := &secretKeychain{}
	for _, data := range payloads {
		var cfg struct {
			Auths map[string]authn.AuthConfig `json:"auths"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil || cfg.Auths == nil {
			if err := json.Unmarshal(data, &cfg.Auths); err != nil {
				continue
			}
		}
		for key, auth := range cfg.Auths {
			host, repo := parseCredKey(key)
			if host != "" {
				kc.creds = append(kc.creds, registryCred{host: host, repo: repo, auth: auth})
			}
		}
	}
	// The most specific key wins, as in the kubelet: a longer path, then a host without
	// a glob. The kubelet also retries with the other matches; one try is enough here.
	sort.SliceStable(kc.creds, func(i, j int) bool {
		a, b := kc.creds[i], kc.creds[j]
		if len(a.repo) != len(b.repo) {
			return len(a.repo) > len(b.repo)
		}
		return !strings.Contains(a.host, "*") && strings.Contains(b.host, "*")
	})
	return kc
}

// parseCredKey turns a docker config key ("https://index.docker.io/v1/", "host:5000",
// "host/team") into a registry host as go-containerregistry names it and a path prefix.
func parseCredKey(key string) (host, repo string) {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	host, repo, _ = strings.Cut(strings.TrimRight(key, "/"), "/")
	repo = strings.TrimSuffix(strings.TrimPrefix(repo+"/", "v1/"), "/")
	repo = strings.TrimSuffix(strings.TrimPrefix(repo+"/", "v2/"), "/")
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		host = name.DefaultRegistry
	}
	return host, repo
}

// Resolve implements authn.Keychain.
func (kc *secretKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	registry := target.RegistryStr()
	repo := strings.TrimPrefix(strings.TrimPrefix(target.String(), registry), "/")
	for _, c := range kc.creds {
		if ok, _ := path.Match(c.host, registry); !ok {
			continue
		}
		if c.repo != "" && repo != c.repo && !strings.HasPrefix(repo, c.repo+"/") {
			continue
		}
		return authn.FromConfig(c.auth), nil
	}
	return authn.Anonymous, nil
}
