package registry

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"strconv"

	"ordinal.dev/ordinal/internal/storage"
)

// ErrRangeFull means no address or port is left in a range.
var ErrRangeFull = errors.New("range is full")

// ErrAllocated means a requested address or port is already taken.
var ErrAllocated = errors.New("provided IP is already allocated")

// IPAllocator hands out service cluster IPs from a CIDR. Each allocation is a key in the
// store, created atomically, so several apiservers never hand out the same address, and a
// crash between allocating and creating the Service leaks at most that one key (Repair
// reclaims it).
type IPAllocator struct {
	store  *storage.Store
	cidr   *net.IPNet
	base   *big.Int
	size   int64 // usable addresses: network and broadcast excluded
	prefix string
}

// NewIPAllocator allocates from cidr (IPv4).
func NewIPAllocator(store *storage.Store, cidr *net.IPNet) *IPAllocator {
	ones, bits := cidr.Mask.Size()
	size := int64(1)<<uint(bits-ones) - 2
	return &IPAllocator{store: store, cidr: cidr, base: big.NewInt(0).SetBytes(cidr.IP.To4()), size: size, prefix: "/registry/serviceips/"}
}

// CIDR is the range addresses come from.
func (a *IPAllocator) CIDR() *net.IPNet { return a.cidr }

func (a *IPAllocator) ipAt(offset int64) net.IP {
	n := big.NewInt(0).Add(a.base, big.NewInt(offset+1))
	b := n.Bytes()
	ip := make(net.IP, 4)
	copy(ip[4-len(b):], b)
	return ip
}

// Allocate reserves a free address for owner ("namespace/name").
func (a *IPAllocator) Allocate(ctx context.Context, owner string) (net.IP, error) {
	start := rand.Int64N(a.size)
	for i := int64(0); i < a.size; i++ {
		ip := a.ipAt((start + i) % a.size)
		err := a.store.Reserve(ctx, a.prefix+ip.String(), owner)
		if err == nil {
			return ip, nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) {
			return nil, err
		}
	}
	return nil, ErrRangeFull
}

// AllocateSpecific reserves ip for owner.
func (a *IPAllocator) AllocateSpecific(ctx context.Context, ip net.IP, owner string) error {
	if !a.Contains(ip) {
		return fmt.Errorf("provided IP is not in the valid range. The range of valid IPs is %s", a.cidr)
	}
	err := a.store.Reserve(ctx, a.prefix+ip.String(), owner)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return ErrAllocated
	}
	return err
}

// Contains reports whether ip is an allocatable address of the range.
func (a *IPAllocator) Contains(ip net.IP) bool {
	ip4 := ip.To4()
	if ip4 == nil || !a.cidr.Contains(ip4) {
		return false
	}
	off := big.NewInt(0).Sub(big.NewInt(0).SetBytes(ip4), a.base).Int64()
	return off >= 1 && off <= a.size
}

// Release frees ip.
func (a *IPAllocator) Release(ctx context.Context, ip string) error {
	return a.store.Release(ctx, a.prefix+ip)
}

// PortAllocator hands out NodePorts the same way.
type PortAllocator struct {
	store      *storage.Store
	base, size int
	prefix     string
}

// NewPortAllocator allocates ports in [base, base+size).
func NewPortAllocator(store *storage.Store, base, size int) *PortAllocator {
	return &PortAllocator{store: store, base: base, size: size, prefix: "/registry/servicenodeports/"}
}

// Allocate reserves a free port.
func (p *PortAllocator) Allocate(ctx context.Context, owner string) (int, error) {
	start := rand.IntN(p.size)
	for i := 0; i < p.size; i++ {
		port := p.base + (start+i)%p.size
		err := p.store.Reserve(ctx, p.prefix+strconv.Itoa(port), owner)
		if err == nil {
			return port, nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) {
			return 0, err
		}
	}
	return 0, ErrRangeFull
}

// AllocateSpecific reserves port.
func (p *PortAllocator) AllocateSpecific(ctx context.Context, port int, owner string) error {
	if port < p.base || port >= p.base+p.size {
		return fmt.Errorf("provided port is not in the valid range. The range of valid ports is %d-%d", p.base, p.base+p.size-1)
	}
	err := p.store.Reserve(ctx, p.prefix+strconv.Itoa(port), owner)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return errors.New("provided port is already allocated")
	}
	return err
}

// Release frees port.
func (p *PortAllocator) Release(ctx context.Context, port int) error {
	return p.store.Release(ctx, p.prefix+strconv.Itoa(port))
}
