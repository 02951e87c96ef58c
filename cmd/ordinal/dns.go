package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// ensureDNSAddress puts the cluster DNS address on the loopback interface, so that pods reach
// the DNS server inside ordinal at the kube-dns Service's IP (their resolv.conf nameserver)
// without a service proxy: a local address wins over the unreachable route that keeps the
// service range off the default route. It is idempotent.
func ensureDNSAddress(ip string) error {
	if net.ParseIP(ip) == nil {
		return fmt.Errorf("--cluster-dns %q is not an IP address", ip)
	}
	out, err := exec.Command("ip", "-o", "addr", "show", "dev", "lo").Output()
	if err != nil {
		return fmt.Errorf("reading the addresses of lo: %w", err)
	}
	if strings.Contains(string(out), " "+ip+"/32") {
		return nil
	}
	if out, err := exec.Command("ip", "addr", "add", ip+"/32", "dev", "lo").CombinedOutput(); err != nil {
		return fmt.Errorf("adding %s to lo: %v: %s", ip, err, strings.TrimSpace(string(out)))
	}
	return nil
}
