package process

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestHostsFile(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "shop"}}
	got := string(hostsFile(pod, "10.42.0.7", "cluster.local"))
	want := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.42.0.7\tweb-0\n"
	if got != want {
		t.Fatalf("no subdomain:\n%s\nwant:\n%s", got, want)
	}
	pod.Spec.Hostname, pod.Spec.Subdomain = "db", "nginx"
	pod.Spec.HostAliases = []corev1.HostAlias{{IP: "1.2.3.4", Hostnames: []string{"a", "b"}}}
	got = string(hostsFile(pod, "10.42.0.7", "cluster.local"))
	want2 := want[:len(want)-len("10.42.0.7\tweb-0\n")] + "10.42.0.7\tdb.nginx.shop.svc.cluster.local\tdb\n\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n"
	if got != want2 {
		t.Fatalf("subdomain and aliases:\n%s\nwant:\n%s", got, want2)
	}
}

func TestPodResolvConf(t *testing.T) {
	host := parseResolvConf([]byte("# comment\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch corp.example. lab.example\noptions rotate timeout:2\n"))
	settings := dnsSettings{ClusterDNS: "10.43.0.10", ClusterDomain: "cluster.local", Host: host}
	five, one := "5", "1"
	for _, tt := range []struct {
		name    string
		policy  corev1.DNSPolicy
		hostNet bool
		config  *corev1.PodDNSConfig
		want    string
	}{
		{name: "cluster first", policy: corev1.DNSClusterFirst,
			want: "search ns.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n"},
		{name: "default policy is cluster first", policy: "",
			want: "search ns.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n"},
		{name: "cluster first on the host network falls back to the host's", policy: corev1.DNSClusterFirst, hostNet: true,
			want: "search corp.example lab.example\nnameserver 192.0.2.1\nnameserver 192.0.2.2\noptions rotate timeout:2\n"},
		{name: "cluster first with host net", policy: corev1.DNSClusterFirstWithHostNet, hostNet: true,
			want: "search ns.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n"},
		{name: "default", policy: corev1.DNSDefault,
			want: "search corp.example lab.example\nnameserver 192.0.2.1\nnameserver 192.0.2.2\noptions rotate timeout:2\n"},
		{name: "none with config", policy: corev1.DNSNone,
			config: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"x.example"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &one}, {Name: "edns0"}}},
			want:   "search x.example\nnameserver 1.1.1.1\noptions ndots:1 edns0\n"},
		{name: "config merges into cluster first", policy: corev1.DNSClusterFirst,
			config: &corev1.PodDNSConfig{Nameservers: []string{"10.43.0.10", "9.9.9.9", "8.8.8.8", "7.7.7.7"}, Searches: []string{"svc.cluster.local", "extra.example"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &five}, {Name: "single-request"}}},
			want:   "search ns.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example extra.example\nnameserver 10.43.0.10\nnameserver 9.9.9.9\nnameserver 8.8.8.8\noptions ndots:5 single-request\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: corev1.PodSpec{DNSPolicy: tt.policy, HostNetwork: tt.hostNet, DNSConfig: tt.config}}
			if got := string(podResolvConf(pod, settings)); got != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPodHostname(t *testing.T) {
	long := "a123456789b123456789c123456789d123456789e123456789f123456789g12345"
	for _, tt := range []struct{ name, hostname, want string }{
		{"web-0", "", "web-0"},
		{"web-0", "db", "db"},
		{long, "", long[:63]},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tt.name}, Spec: corev1.PodSpec{Hostname: tt.hostname}}
		if got := podHostname(pod); got != tt.want {
			t.Errorf("podHostname(%q, %q) = %q, want %q", tt.name, tt.hostname, got, tt.want)
		}
	}
}
