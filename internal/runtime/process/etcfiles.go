package process

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Limits of resolv.conf, as upstream's kubelet applies them (glibc's).
const (
	maxNameservers   = 3
	maxSearchDomains = 32
	maxSearchChars   = 2048
)

// podHostname is the pod's hostname: spec.hostname or the pod's name, cut to 63
// characters as the kubelet does.
func podHostname(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// hostsFile is a pod's /etc/hosts, as the kubelet writes it: localhost lines, the pod's own
// address (with its fully qualified name when it has a subdomain), then hostAliases.
func hostsFile(pod *corev1.Pod, ip, clusterDomain string) []byte {
	var b bytes.Buffer
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	if ip != "" {
		hostname := podHostname(pod)
		if sub := pod.Spec.Subdomain; sub != "" {
			fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", ip, hostname, sub, pod.Namespace, clusterDomain, hostname)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	b.Write(hostAliases(pod))
	return b.Bytes()
}

// hostNetworkHostsFile is the hosts file of a pod on the host's network: the host's own,
// with the pod's hostAliases after it.
func hostNetworkHostsFile(pod *corev1.Pod, host []byte) []byte {
	var b bytes.Buffer
	b.Write(host)
	if len(host) > 0 && host[len(host)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.Write(hostAliases(pod))
	return b.Bytes()
}

func hostAliases(pod *corev1.Pod) []byte {
	if len(pod.Spec.HostAliases) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("\n# Entries added by HostAliases.\n")
	for _, a := range pod.Spec.HostAliases {
		fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
	}
	return b.Bytes()
}

// resolvConf is a parsed resolv.conf.
type resolvConf struct {
	Nameservers []string
	Searches    []string
	Options     []string
}

func parseResolvConf(data []byte) resolvConf {
	var rc resolvConf
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				rc.Nameservers = append(rc.Nameservers, f[1])
			}
		case "search":
			rc.Searches = nil // the last search line wins, as the resolver reads it
			for _, s := range f[1:] {
				if s = strings.TrimSuffix(s, "."); s != "" {
					rc.Searches = append(rc.Searches, s)
				}
			}
		case "options":
			rc.Options = append(rc.Options, f[1:]...)
		}
	}
	return rc
}

// dnsSettings is what a pod's resolv.conf depends on.
type dnsSettings struct {
	ClusterDNS    string
	ClusterDomain string
	Host          resolvConf
}

// podResolvConf computes a pod's /etc/resolv.conf as upstream's kubelet does: ClusterFirst
// (ClusterFirstWithHostNet on the host network) points at the cluster DNS with the
// namespace's search path and ndots:5; Default (and ClusterFirst on the host network)
// copies the host's; None starts empty; dnsConfig then adds nameservers and searches and
// overrides options by name.
func podResolvConf(pod *corev1.Pod, s dnsSettings) []byte {
	var rc resolvConf
	policy := pod.Spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst
	}
	cluster := s.ClusterDNS != "" && (policy == corev1.DNSClusterFirstWithHostNet || (policy == corev1.DNSClusterFirst && !pod.Spec.HostNetwork))
	switch {
	case cluster:
		d := s.ClusterDomain
		rc.Nameservers = []string{s.ClusterDNS}
		rc.Searches = append([]string{pod.Namespace + ".svc." + d, "svc." + d, d}, s.Host.Searches...)
		rc.Options = []string{"ndots:5"}
	case policy == corev1.DNSNone:
	default:
		rc = resolvConf{
			Nameservers: append([]string(nil), s.Host.Nameservers...),
			Searches:    append([]string(nil), s.Host.Searches...),
			Options:     append([]string(nil), s.Host.Options...),
		}
	}
	if cfg := pod.Spec.DNSConfig; cfg != nil {
		rc.Nameservers = dedupe(append(rc.Nameservers, cfg.Nameservers...))
		rc.Searches = dedupe(append(rc.Searches, cfg.Searches...))
		rc.Options = mergeOptions(rc.Options, cfg.Options)
	}
	rc.Searches = dedupe(rc.Searches)
	if len(rc.Nameservers) > maxNameservers {
		rc.Nameservers = rc.Nameservers[:maxNameservers]
	}
	rc.Searches = limitSearches(rc.Searches)
	var b bytes.Buffer
	if len(rc.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(rc.Searches, " "))
	}
	for _, ns := range rc.Nameservers {
		fmt.Fprintf(&b, "nameserver %s\n", ns)
	}
	if len(rc.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(rc.Options, " "))
	}
	return b.Bytes()
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// mergeOptions applies dnsConfig options to resolv.conf options: an option of the same
// name is replaced where it stands, others are appended.
func mergeOptions(existing []string, extra []corev1.PodDNSConfigOption) []string {
	out := append([]string(nil), existing...)
	index := map[string]int{}
	for i, o := range out {
		name, _, _ := strings.Cut(o, ":")
		index[name] = i
	}
	for _, o := range extra {
		s := o.Name
		if o.Value != nil {
			s += ":" + *o.Value
		}
		if i, ok := index[o.Name]; ok {
			out[i] = s
			continue
		}
		index[o.Name] = len(out)
		out = append(out, s)
	}
	return out
}

func limitSearches(list []string) []string {
	if len(list) > maxSearchDomains {
		list = list[:maxSearchDomains]
	}
	total := 0
	for i, s := range list {
		total += len(s) + 1
		if total > maxSearchChars {
			return list[:i]
		}
	}
	return list
}
