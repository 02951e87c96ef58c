package defaults

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefaultImagePullPolicy(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		image string
		want  corev1.PullPolicy
	}{
		// No tag and no digest means "latest", which may move: pull it.
		{"busybox", corev1.PullAlways},
		{"busybox:latest", corev1.PullAlways},
		{"library/busybox", corev1.PullAlways},
		{"docker.io/library/busybox:latest", corev1.PullAlways},
		{"index.docker.io/busybox:1.36", corev1.PullIfNotPresent},
		{"busybox:1.36", corev1.PullIfNotPresent},
		{"mysql:5.7", corev1.PullIfNotPresent},
		{"ghcr.io/c1t1d0s7/go-myweb:alpine", corev1.PullIfNotPresent},
		{"k8s.gcr.io/nginx-slim:0.8", corev1.PullIfNotPresent},
		// A registry port is not a tag.
		{"registry:5000/img", corev1.PullAlways},
		{"registry:5000/img:v1", corev1.PullIfNotPresent},
		{"registry:5000/team/img:latest", corev1.PullAlways},
		{"localhost/img", corev1.PullAlways},
		{"localhost:5000/img:v1", corev1.PullIfNotPresent},
		{"[::1]:5000/img", corev1.PullAlways},
		{"[::1]:5000/img:v2", corev1.PullIfNotPresent},
		{"10.0.0.1:5000/img:v2", corev1.PullIfNotPresent},
		// A digest pins the content; with "latest" next to it the tag wins,
		// as upstream only looks at the tag.
		{"img@" + digest, corev1.PullIfNotPresent},
		{"registry:5000/img@" + digest, corev1.PullIfNotPresent},
		{"img:v1@" + digest, corev1.PullIfNotPresent},
		{"img:latest@" + digest, corev1.PullAlways},
		// Tags are case-sensitive.
		{"busybox:LATEST", corev1.PullIfNotPresent},
		// References that do not parse are IfNotPresent, as upstream ignores
		// the parse error.
		{"", corev1.PullIfNotPresent},
		{"BusyBox", corev1.PullIfNotPresent},
		{"busybox:", corev1.PullIfNotPresent},
		{"busybox:bad tag", corev1.PullIfNotPresent},
		{"img:latest@sha256:abc", corev1.PullIfNotPresent},
		{"img:latest@md5:" + strings.Repeat("ab", 16), corev1.PullIfNotPresent},
		{"img:latest@sha256:" + strings.Repeat("AB", 32), corev1.PullIfNotPresent},
		{strings.Repeat("ab", 32), corev1.PullIfNotPresent},
		{"registry.example.com/" + strings.Repeat("a", 250), corev1.PullIfNotPresent},
	}
	for _, tt := range tests {
		if got := DefaultImagePullPolicy(tt.image); got != tt.want {
			t.Errorf("DefaultImagePullPolicy(%q) = %s, want %s", tt.image, got, tt.want)
		}
	}
}

func TestImageTag(t *testing.T) {
	tests := []struct {
		image  string
		tag    string
		parsed bool
	}{
		{"busybox", "latest", true},
		{"busybox:1.36", "1.36", true},
		{"Registry.Example.com/team/img:v1", "v1", true},
		{"registry:5000/img", "latest", true},
		{"a-b__c.d/e---f_g:v1.2-rc_3", "v1.2-rc_3", true},
		{"img@sha256:" + strings.Repeat("0", 64), "", true},
		// An upper-case first element can only be a registry host.
		{"Team/img", "latest", true},
		{"team/Img", "", false},
		{"img/", "", false},
		{"-img", "", false},
		{"img:" + strings.Repeat("t", 129), "", false},
	}
	for _, tt := range tests {
		tag, parsed := imageTag(tt.image)
		if tag != tt.tag || parsed != tt.parsed {
			t.Errorf("imageTag(%q) = %q, %v; want %q, %v", tt.image, tag, parsed, tt.tag, tt.parsed)
		}
	}
}
