package sim

import (
	"encoding/binary"
	"fmt"
	"net"

	"k8s.io/apimachinery/pkg/types"

	"ordinal.dev/ordinal/internal/runtime"
)

// ipam hands out pod IPs from the node's pod CIDR the way CNI's host-local plugin does:
// the network address, the gateway (.1) and the broadcast address are never given out, and
// allocation goes round the range from the last address given, so a released IP is not
// handed out again at once (DNS answers and endpoints that still name it age out first).
type ipam struct {
	cidr  *net.IPNet
	first uint32 // lowest assignable address
	last  uint32 // highest assignable address
	next  uint32
	used  map[uint32]types.UID
}

func newIPAM(cidr string) (*ipam, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return nil, fmt.Errorf("pod CIDR %q: must be an IPv4 CIDR", cidr)
	}
	ones, bits := n.Mask.Size()
	if bits-ones < 2 {
		return nil, fmt.Errorf("pod CIDR %q: too small for pods", cidr)
	}
	base := binary.BigEndian.Uint32(n.IP.To4())
	size := uint32(1) << uint(bits-ones)
	return &ipam{cidr: n, first: base + 2, last: base + size - 2, next: base + 2, used: map[uint32]types.UID{}}, nil
}

func (p *ipam) allocate(uid types.UID) (string, error) {
	span := p.last - p.first + 1
	for i := uint32(0); i < span; i++ {
		a := p.first + (p.next-p.first+i)%span
		if _, taken := p.used[a]; taken {
			continue
		}
		p.used[a] = uid
		p.next = a + 1
		if p.next > p.last {
			p.next = p.first
		}
		return toIP(a), nil
	}
	return "", fmt.Errorf("%w %s", runtime.ErrPodCIDRExhausted, p.cidr)
}

func (p *ipam) release(ip string) {
	delete(p.used, ipToUint(ip))
}

func toIP(a uint32) string {
	b := make(net.IP, 4)
	binary.BigEndian.PutUint32(b, a)
	return b.String()
}

func parseIP(ip string) net.IP { return net.ParseIP(ip) }

func ipToUint(ip string) uint32 {
	p := net.ParseIP(ip).To4()
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}
