package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Service IP and node port allocation, as kube-apiserver's Service
// registry: in memory, rebuilt from the stored Services before the first
// Service write (the store is the truth, so nothing leaks across a
// restart), reserved before an object is written and released when a
// write fails or the Service leaves the store.

// DefaultServiceCIDR is the range Service cluster IPs come from.
var DefaultServiceCIDR = netip.MustParsePrefix("10.96.0.0/16")

// DefaultNodePorts is the range node ports come from.
var DefaultNodePorts = PortRange{First: 30000, Last: 32767}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last int }

func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// Errors of kube-apiserver's ipallocator and portallocator.
var (
	errIPAllocated   = errors.New("provided IP is already allocated")
	errPortAllocated = errors.New("provided port is already allocated")
	errRangeFull     = errors.New("range is full")
)

// ipAlloc hands out the addresses of an IPv4 range but its network and
// broadcast addresses; offset 0 is the first usable address.
type ipAlloc struct {
	cidr  netip.Prefix
	first netip.Addr
	set   *bitmap
}

// wellKnownIPOffsets are the kubernetes (x.x.0.1) and kube-dns (x.x.0.10)
// Service addresses: only given when asked for by name.
var wellKnownIPOffsets = map[int]bool{0: true, 9: true}

func newIPAlloc(cidr netip.Prefix) (*ipAlloc, error) {
	cidr = cidr.Masked()
	if !cidr.Addr().Is4() || cidr.Bits() < 12 || cidr.Bits() > 30 {
		return nil, fmt.Errorf("service CIDR %s: want an IPv4 range between /12 and /30", cidr)
	}
	size := 1<<(32-cidr.Bits()) - 2
	return &ipAlloc{cidr: cidr, first: cidr.Addr().Next(), set: newBitmap(size, rangeOffset(size), func(i int) bool { return wellKnownIPOffsets[i] })}, nil
}

// rangeOffset is kube-apiserver's calculateRangeOffset: the size of the
// lower band kept for static allocation, min(max(16, size/16), 256).
func rangeOffset(size int) int {
	if size < 16 {
		return 0
	}
	return min(max(16, size/16), 256)
}

func (a *ipAlloc) offset(ip netip.Addr) (int, bool) {
	if !a.cidr.Contains(ip) {
		return 0, false
	}
	b, f := ip.As4(), a.first.As4()
	i := int(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) - int(uint32(f[0])<<24|uint32(f[1])<<16|uint32(f[2])<<8|uint32(f[3]))
	return i, i >= 0 && i < a.set.size
}

func (a *ipAlloc) addr(i int) netip.Addr {
	f := a.first.As4()
	v := uint32(f[0])<<24 | uint32(f[1])<<16 | uint32(f[2])<<8 | uint32(f[3]) + uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// take reserves ip, with kube-apiserver's errors.
func (a *ipAlloc) take(ip netip.Addr) error {
	i, ok := a.offset(ip)
	if !ok {
		return fmt.Errorf("provided IP is not in the valid range. The range of valid IPs is %s", a.cidr)
	}
	if !a.set.take(i) {
		return errIPAllocated
	}
	return nil
}

func (a *ipAlloc) next() (netip.Addr, error) {
	i, ok := a.set.next()
	if !ok {
		return netip.Addr{}, errRangeFull
	}
	return a.addr(i), nil
}

func (a *ipAlloc) release(ip string) {
	if p, err := netip.ParseAddr(ip); err == nil {
		if i, ok := a.offset(p); ok {
			a.set.release(i)
		}
	}
}

// portAlloc hands out the ports of a range.
type portAlloc struct {
	r   PortRange
	set *bitmap
}

func newPortAlloc(r PortRange) (*portAlloc, error) {
	if r.First < 1 || r.Last > 65535 || r.Last < r.First {
		return nil, fmt.Errorf("node port range %s: want 1 <= first <= last <= 65535", r)
	}
	size := r.Last - r.First + 1
	return &portAlloc{r: r, set: newBitmap(size, rangeOffset(size), nil)}, nil
}

func (a *portAlloc) take(port int) error {
	if port < a.r.First || port > a.r.Last {
		return fmt.Errorf("provided port is not in the valid range. The range of valid ports is %s", a.r)
	}
	if !a.set.take(port - a.r.First) {
		return errPortAllocated
	}
	return nil
}

func (a *portAlloc) next() (int, error) {
	i, ok := a.set.next()
	if !ok {
		return 0, errRangeFull
	}
	return a.r.First + i, nil
}

func (a *portAlloc) release(port int) {
	if port >= a.r.First && port <= a.r.Last {
		a.set.release(port - a.r.First)
	}
}

// serviceAllocator holds both ranges. Its zero value is not usable: see
// newServiceAllocator.
type serviceAllocator struct {
	mu     sync.Mutex
	cidr   netip.Prefix
	ports  PortRange
	loaded bool
	ips    *ipAlloc
	nodes  *portAlloc
	// load lists the stored Services; it runs once, before the first allocation.
	load func(ctx context.Context) ([]*corev1.Service, error)
}

func newServiceAllocator(cidr netip.Prefix, ports PortRange, load func(ctx context.Context) ([]*corev1.Service, error)) *serviceAllocator {
	if !cidr.IsValid() {
		cidr = DefaultServiceCIDR
	}
	if ports == (PortRange{}) {
		ports = DefaultNodePorts
	}
	return &serviceAllocator{cidr: cidr, ports: ports, load: load}
}

// ready builds the maps from the store on first use; mu is held.
func (a *serviceAllocator) ready(ctx context.Context) error {
	if a.loaded {
		return nil
	}
	ips, err := newIPAlloc(a.cidr)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	nodes, err := newPortAlloc(a.ports)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	svcs, err := a.load(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("read the Services to rebuild the Service IP allocations: %w", err))
	}
	a.ips, a.nodes = ips, nodes
	for _, s := range svcs {
		for _, ip := range s.Spec.ClusterIPs {
			if p, err := netip.ParseAddr(ip); err == nil {
				_ = a.ips.take(p) // outside the range (the range changed) or shared: keep the Service as is
			}
		}
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 {
				_ = a.nodes.take(int(p.NodePort))
			}
		}
	}
	a.loaded = true
	return nil
}

// serviceAllocation is what one write reserved: abort gives it back when
// the write fails; commit gives back what the written object no longer
// holds (the old object's IPs and node ports).
type serviceAllocation struct {
	a        *serviceAllocator
	ips      []string
	ports    []int
	freeIPs  []string
	freePort []int
	done     bool
}

// finish commits (stored) or aborts the allocation; a nil one is a no-op.
func (x *serviceAllocation) finish(stored bool) {
	if x == nil || x.done {
		return
	}
	x.done = true
	x.a.mu.Lock()
	defer x.a.mu.Unlock()
	ips, ports := x.ips, x.ports
	if stored {
		ips, ports = x.freeIPs, x.freePort
	}
	for _, ip := range ips {
		x.a.ips.release(ip)
	}
	for _, p := range ports {
		x.a.nodes.release(p)
	}
}

// released gives back what a Service that left the store held.
func (a *serviceAllocator) released(svc *corev1.Service) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		return // the load will not see it
	}
	for _, ip := range svc.Spec.ClusterIPs {
		a.ips.release(ip)
	}
	for _, p := range svc.Spec.Ports {
		a.nodes.release(int(p.NodePort))
	}
}

var serviceGK = schema.GroupKind{Kind: "Service"}

func invalidService(name string, errs ...*field.Error) error {
	return apierrors.NewInvalid(serviceGK, name, errs)
}
