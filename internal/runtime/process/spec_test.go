package process

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"ordinal.dev/ordinal/internal/image"
)

func TestContainerArgs(t *testing.T) {
	img := image.Config{Entrypoint: []string{"/entry"}, Cmd: []string{"default"}}
	for _, tt := range []struct {
		command, args, want []string
	}{
		{nil, nil, []string{"/entry", "default"}},
		{nil, []string{"x"}, []string{"/entry", "x"}},
		{[]string{"/bin/sh"}, nil, []string{"/bin/sh"}},
		{[]string{"/bin/sh"}, []string{"-c", "true"}, []string{"/bin/sh", "-c", "true"}},
	} {
		if got := containerArgs(img, tt.command, tt.args); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("containerArgs(%v, %v) = %v, want %v", tt.command, tt.args, got, tt.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/img", "A=1"}, "web-0", []string{"A=2", "B=3"})
	want := []string{"PATH=/img", "A=2", "HOSTNAME=web-0", "B=3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := mergeEnv(nil, "", nil); !reflect.DeepEqual(got, []string{defaultPath}) {
		t.Fatalf("no PATH: %v", got)
	}
}

func TestCapabilities(t *testing.T) {
	if got := capabilities(nil, false); len(got) != len(defaultCapabilities) {
		t.Fatalf("default: %v", got)
	}
	got := capabilities(&corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"net_admin", "CAP_KILL"}}, false)
	if !reflect.DeepEqual(got, []string{"CAP_KILL", "CAP_NET_ADMIN"}) {
		t.Fatalf("drop all, add two: %v", got)
	}
	got = capabilities(&corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}}, false)
	if slices.Contains(got, "CAP_NET_RAW") || !slices.Contains(got, "CAP_CHOWN") {
		t.Fatalf("drop NET_RAW: %v", got)
	}
	if got := capabilities(nil, true); len(got) != len(allCapabilities) {
		t.Fatalf("privileged: %d capabilities", len(got))
	}
}

func TestResources(t *testing.T) {
	c := &corev1.Container{Resources: corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi"), corev1.ResourceCPU: resource.MustParse("500m")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")},
	}}
	r := resources(c, false)
	if *r.Memory.Limit != 64<<20 || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || *r.CPU.Shares != 256 {
		t.Fatalf("resources: memory %d quota %d period %d shares %d", *r.Memory.Limit, *r.CPU.Quota, *r.CPU.Period, *r.CPU.Shares)
	}
	if r := resources(&corev1.Container{}, false); r.Memory != nil || *r.CPU.Shares != 2 || r.CPU.Quota != nil {
		t.Fatalf("best effort: %+v", r)
	}
}

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc", "group"), []byte("root:x:0:\nwww:x:33:\nextra:x:500:www\n"), 0o644)
	pod := &corev1.Pod{}
	for _, tt := range []struct {
		user string
		sc   corev1.SecurityContext
		want userIDs
	}{
		{"", corev1.SecurityContext{}, userIDs{}},
		{"www", corev1.SecurityContext{}, userIDs{UID: 33, GID: 33, Additional: []uint32{500}}},
		{"33:500", corev1.SecurityContext{}, userIDs{UID: 33, GID: 500}},
		{"1000", corev1.SecurityContext{}, userIDs{UID: 1000}},
		{"www", corev1.SecurityContext{RunAsUser: ptr(int64(7)), RunAsGroup: ptr(int64(8))}, userIDs{UID: 7, GID: 8}},
	} {
		got, err := resolveUser(root, tt.user, pod, tt.sc)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("resolveUser(%q, %+v) = %+v, %v; want %+v", tt.user, tt.sc, got, err, tt.want)
		}
	}
	if _, err := resolveUser(root, "nobody-here", pod, corev1.SecurityContext{}); err == nil {
		t.Error("an unknown user name must be an error")
	}
	yes := true
	if _, err := resolveUser(root, "", pod, corev1.SecurityContext{RunAsNonRoot: &yes}); err != errRunAsRoot {
		t.Errorf("runAsNonRoot as root: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
