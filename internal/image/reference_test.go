package image

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ in, want string }{
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"library/busybox", "docker.io/library/busybox:latest"},
		{"docker.io/busybox", "docker.io/library/busybox:latest"},
		{"index.docker.io/library/busybox:1", "docker.io/library/busybox:1"},
		{"myrepo/x", "docker.io/myrepo/x:latest"},
		{"myrepo/x:v2", "docker.io/myrepo/x:v2"},
		{"quay.io/team/app", "quay.io/team/app:latest"},
		{"localhost:5000/x", "localhost:5000/x:latest"},
		{"127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c"},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"},
		{"busybox@" + digest, "docker.io/library/busybox@" + digest},
		{"busybox:1.36@" + digest, "docker.io/library/busybox:1.36@" + digest},
		{"host:5000/x@" + digest, "host:5000/x@" + digest},
	} {
		got, err := Normalize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "Busybox", "busybox:", "busybox@sha256:12", " busybox", "a//b", "busybox:bad tag"} {
		if got, err := Normalize(bad); !errors.Is(err, ErrInvalidReference) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrInvalidReference", bad, got, err)
		}
	}
}
