// Package nodeipam is the node IPAM controller (upstream's range allocator): it gives every
// Node without spec.podCIDR the lowest free subnet of the cluster CIDR, by default a /24 of
// 10.42.0.0/16. Which subnets are taken is read from the Node objects themselves, so a
// restarted controller never hands one out twice.
package nodeipam

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
)

// ErrCIDRExhausted: every subnet of the cluster CIDR is in use.
var ErrCIDRExhausted = errors.New("nodeipam: no free pod CIDR left in the cluster CIDR")

// Defaults, as shared/DESIGN.md fixes them.
const (
	DefaultClusterCIDR  = "10.42.0.0/16"
	DefaultNodeMaskSize = 24
)

// subnets splits a cluster CIDR into node subnets of one mask size.
type subnets struct {
	base  uint32
	count uint32
	shift uint // bits per subnet
	mask  int
}

func newSubnets(clusterCIDR string, nodeMask int) (subnets, error) {
	_, n, err := net.ParseCIDR(clusterCIDR)
	if err != nil || n.IP.To4() == nil {
		return subnets{}, fmt.Errorf("cluster CIDR %q: must be an IPv4 CIDR", clusterCIDR)
	}
	ones, bits := n.Mask.Size()
	if nodeMask < ones || nodeMask > 30 {
		return subnets{}, fmt.Errorf("node mask size %d: must be between the cluster CIDR's (%d) and 30", nodeMask, ones)
	}
	return subnets{base: binary.BigEndian.Uint32(n.IP.To4()), count: 1 << uint(nodeMask-ones), shift: uint(bits - nodeMask), mask: nodeMask}, nil
}

func (s subnets) cidr(i uint32) string {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, s.base+i<<s.shift)
	return fmt.Sprintf("%s/%d", ip, s.mask)
}

// index returns the position of cidr among the subnets, or false if it is not one of them.
func (s subnets) index(cidr string) (uint32, bool) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return 0, false
	}
	if ones, _ := n.Mask.Size(); ones != s.mask {
		return 0, false
	}
	a := binary.BigEndian.Uint32(n.IP.To4())
	if a < s.base {
		return 0, false
	}
	i := (a - s.base) >> s.shift
	return i, i < s.count
}

// Plan returns the pod CIDR to give node, or "" if it has one. used holds the CIDRs taken by
// other nodes (and by assignments not yet visible in the cache). The lowest free subnet
// wins, so assignments are predictable: the first node of a cluster gets 10.42.0.0/24.
func Plan(node *corev1.Node, used map[string]bool, clusterCIDR string, nodeMask int) (string, error) {
	if node.Spec.PodCIDR != "" || len(node.Spec.PodCIDRs) > 0 {
		return "", nil
	}
	s, err := newSubnets(clusterCIDR, nodeMask)
	if err != nil {
		return "", err
	}
	taken := make(map[uint32]bool, len(used))
	for c := range used {
		if i, ok := s.index(c); ok {
			taken[i] = true
		}
	}
	for i := uint32(0); i < s.count; i++ {
		if !taken[i] {
			return s.cidr(i), nil
		}
	}
	return "", fmt.Errorf("%w %s", ErrCIDRExhausted, clusterCIDR)
}

// usedCIDRs collects the pod CIDRs the nodes hold.
func usedCIDRs(nodes []*corev1.Node) map[string]bool {
	used := map[string]bool{}
	for _, n := range nodes {
		if n.Spec.PodCIDR != "" {
			used[n.Spec.PodCIDR] = true
		}
		for _, c := range n.Spec.PodCIDRs {
			used[c] = true
		}
	}
	return used
}
