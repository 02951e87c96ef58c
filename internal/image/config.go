package image

import (
	"maps"
	"slices"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Config is what an image says about running its containers (the OCI image config's
// config object); the runtime combines it with the container spec as the kubelet does.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// User is "uid", "uid:gid", "name" or "name:group", resolved against the image's
	// /etc/passwd and /etc/group by the runtime.
	User string
	// ExposedPorts are "80/tcp"-style, sorted.
	ExposedPorts []string
	Labels       map[string]string
	StopSignal   string
}

func configFrom(cf *v1.ConfigFile) Config {
	c := cf.Config
	out := Config{
		Entrypoint: c.Entrypoint,
		Cmd:        c.Cmd,
		Env:        c.Env,
		WorkingDir: c.WorkingDir,
		User:       c.User,
		Labels:     c.Labels,
		StopSignal: c.StopSignal,
	}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	return out
}

// deepCopy keeps callers from changing the cached config through shared slices.
func (c Config) deepCopy() Config {
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Cmd = slices.Clone(c.Cmd)
	c.Env = slices.Clone(c.Env)
	c.ExposedPorts = slices.Clone(c.ExposedPorts)
	c.Labels = maps.Clone(c.Labels)
	return c
}
