package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ipam hands out the IPs of one pod CIDR, like CNI's host-local plugin: one
// file per allocated IP, named after the IP and holding the pod ID, so the
// allocations survive restarts. The lowest free address is taken; the
// network address, the gateway (first address) and the broadcast address
// are never handed out. It is safe for concurrent use, and O_EXCL file
// creation keeps it safe across processes too.
type ipam struct {
	dir  string
	cidr *net.IPNet
	mu   sync.Mutex
}

func newIPAM(dir string, cidr *net.IPNet) (*ipam, error) {
	if cidr.IP.To4() == nil {
		return nil, fmt.Errorf("IP allocator for %s: only IPv4 is supported", cidr)
	}
	return &ipam{dir: dir, cidr: cidr}, nil
}

// Allocate returns the IP held by id, or reserves the lowest free one.
func (a *ipam) Allocate(id string) (net.IP, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, err := a.list()
	if err != nil {
		return nil, err
	}
	for ip, owner := range held {
		if owner == id {
			return net.ParseIP(ip).To4(), nil
		}
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return nil, fmt.Errorf("allocate IP for pod %s: %w", id, err)
	}
	first, last := hostRange(a.cidr)
	for i := first; i <= last; i++ {
		ip := u32ToIP(i)
		if _, taken := held[ip.String()]; taken {
			continue
		}
		f, err := os.OpenFile(filepath.Join(a.dir, ip.String()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue // taken by another process since list
		}
		if err != nil {
			return nil, fmt.Errorf("allocate IP %s for pod %s: %w", ip, id, err)
		}
		_, werr := f.WriteString(id)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			_ = os.Remove(f.Name())
			return nil, fmt.Errorf("allocate IP %s for pod %s: %w", ip, id, werr)
		}
		return ip, nil
	}
	return nil, fmt.Errorf("allocate IP for pod %s: no free address left in %s", id, a.cidr)
}

// Release frees every IP held by id; releasing an unknown id is no error.
func (a *ipam) Release(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, err := a.list()
	if err != nil {
		return err
	}
	var errs []error
	for ip, owner := range held {
		if owner != id {
			continue
		}
		if err := os.Remove(filepath.Join(a.dir, ip)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("release IP %s of pod %s: %w", ip, id, err))
		}
	}
	return errors.Join(errs...)
}

// IDs returns the sorted, distinct IDs holding an IP.
func (a *ipam) IDs() ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, err := a.list()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	ids := []string{}
	for _, id := range held {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// list reads the allocations: IP string -> ID. Files that do not name an
// address of the CIDR are ignored (left for a person to look at).
func (a *ipam) list() (map[string]string, error) {
	entries, err := os.ReadDir(a.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read IP allocations in %s: %w", a.dir, err)
	}
	held := make(map[string]string, len(entries))
	for _, e := range entries {
		ip := net.ParseIP(e.Name()).To4()
		if e.IsDir() || ip == nil || !a.cidr.Contains(ip) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(a.dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read IP allocation %s: %w", e.Name(), err)
		}
		held[ip.String()] = strings.TrimSpace(string(b))
	}
	return held, nil
}

// hostRange is the range of IPs pods may get: after the gateway (network
// address + 1), before the broadcast address.
func hostRange(cidr *net.IPNet) (first, last uint32) {
	base := ipToU32(cidr.IP.Mask(cidr.Mask))
	ones, bits := cidr.Mask.Size()
	size := uint32(1) << uint(bits-ones)
	return base + 2, base + size - 2
}

// nthIP is the i-th address of cidr (0 is the network address).
func nthIP(cidr *net.IPNet, i uint32) net.IP {
	return u32ToIP(ipToU32(cidr.IP.Mask(cidr.Mask)) + i)
}

func ipToU32(ip net.IP) uint32 { return binary.BigEndian.Uint32(ip.To4()) }

func u32ToIP(v uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, v)
	return ip
}
