package network

import (
	"errors"
	"fmt"
	"net"
	"sort"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the routes SetRoutes owns (rtnetlink protocol 109,
// 'm', unassigned in rtnetlink.h and iproute2's rt_protos); routes with any
// other protocol are never touched.
const RouteProtocol netlink.RouteProtocol = 109

// SetRoutes makes this node's routes to other nodes' pod CIDRs exactly
// routes (pod CIDR -> that node's IP on the Docker network): it adds the
// missing ones, replaces those with another gateway and deletes the ones it
// owns that are no longer wanted. This node's own pod CIDR is ignored.
func (n *Network) SetRoutes(routes map[string]net.IP) error {
	want, err := n.wantedRoutes(routes)
	if err != nil {
		return err
	}
	have, err := ownedRoutes()
	if err != nil {
		return err
	}
	d := diffRoutes(want, have)
	var errs []error
	for _, dst := range d.del {
		if err := netlink.RouteDel(ownedRoute(dst, have[dst])); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("delete route to %s via %s: %w", dst, have[dst], err))
		}
	}
	for _, dst := range d.add {
		if err := netlink.RouteAdd(ownedRoute(dst, want[dst])); err != nil {
			errs = append(errs, fmt.Errorf("add route to %s via %s: %w", dst, want[dst], err))
		}
	}
	for _, dst := range d.replace {
		if err := netlink.RouteReplace(ownedRoute(dst, want[dst])); err != nil {
			errs = append(errs, fmt.Errorf("replace route to %s via %s (was %s): %w", dst, want[dst], have[dst], err))
		}
	}
	if len(d.add)+len(d.replace)+len(d.del) > 0 {
		n.log.Info("pod routes updated", "added", d.add, "replaced", d.replace, "deleted", d.del)
	}
	return errors.Join(errs...)
}

// wantedRoutes normalises routes (CIDR keys in canonical form) and drops
// this node's own pod CIDR.
func (n *Network) wantedRoutes(routes map[string]net.IP) (map[string]net.IP, error) {
	own := n.podNet.String()
	want := make(map[string]net.IP, len(routes))
	for cidr, via := range routes {
		dst, err := parseIPv4CIDR("route destination", cidr)
		if err != nil {
			return nil, err
		}
		if via.To4() == nil {
			return nil, fmt.Errorf("route to %s: gateway %q is not an IPv4 address", cidr, via)
		}
		if dst.String() == own {
			continue
		}
		want[dst.String()] = via.To4()
	}
	return want, nil
}

// ownedRoutes lists the main table's IPv4 routes marked RouteProtocol.
func ownedRoutes() (map[string]net.IP, error) {
	filter := &netlink.Route{Protocol: RouteProtocol, Table: unix.RT_TABLE_MAIN}
	var list []netlink.Route
	var err error
	for range 3 {
		list, err = netlink.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list pod routes: %w", err)
	}
	have := make(map[string]net.IP, len(list))
	for _, r := range list {
		if r.Dst != nil {
			have[r.Dst.String()] = r.Gw.To4()
		}
	}
	return have, nil
}

func ownedRoute(dst string, via net.IP) *netlink.Route {
	_, ipn, _ := net.ParseCIDR(dst) // dst is canonical: parsed before
	return &netlink.Route{Dst: ipn, Gw: via, Protocol: RouteProtocol, Table: unix.RT_TABLE_MAIN}
}

// routeDiff is what turns the owned routes into the wanted ones; each list
// is sorted.
type routeDiff struct {
	add, replace, del []string
}

func diffRoutes(want, have map[string]net.IP) routeDiff {
	var d routeDiff
	for dst, via := range want {
		old, ok := have[dst]
		switch {
		case !ok:
			d.add = append(d.add, dst)
		case !old.Equal(via):
			d.replace = append(d.replace, dst)
		}
	}
	for dst := range have {
		if _, ok := want[dst]; !ok {
			d.del = append(d.del, dst)
		}
	}
	sort.Strings(d.add)
	sort.Strings(d.replace)
	sort.Strings(d.del)
	return d
}
